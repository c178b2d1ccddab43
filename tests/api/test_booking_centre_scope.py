"""Requesters' details stay within the centre that lends: holes the authorisation matrix found, kept closed."""

from __future__ import annotations

from tests.booking_fixtures import at, request_body


def test_staff_of_another_centre_neither_read_a_request_nor_take_over_its_private_link(
    feed, booking_client, staff_client_for, admin_client
):
    centre, elsewhere = feed.location(), feed.location()
    asset = feed.asset(centre)
    created = booking_client.post("/requests", json=request_body(asset, at(1, 10), at(1, 15))).json
    request_id, link = created["request_id"], created["status_url"]
    stranger = staff_client_for([elsewhere], staff_id=2)
    assert stranger.get("/requests").json == []
    for path in (f"/requests/{request_id}", f"/requests/{request_id}/audit"):
        refused = stranger.get(path)
        assert refused.status_code == 403 and refused.json["type"].endswith("/not-your-centre")
    # A new link would revoke the requester's and hand the stranger the power to cancel in their name.
    assert stranger.post(f"/requests/{request_id}/status-link").status_code == 403
    assert booking_client.get(link).status_code == 200
    own = staff_client_for([centre], staff_id=3)
    assert [r["request_id"] for r in own.get("/requests").json] == [request_id]
    assert own.get(f"/requests/{request_id}").json["contact"]["email"] == "an@example.org"
    assert admin_client.get(f"/requests/{request_id}/audit").status_code == 200
    assert admin_client.get("/requests").json[0]["request_id"] == request_id


def test_handing_over_a_request_that_does_not_exist_is_a_404_page_not_a_500(environ, databases):
    from services.booking.web import create_pages_app
    from shared.auth import SESSION_COOKIE
    from shared.config import load_settings
    from tests.booking_fixtures import staff_cookie

    app = create_pages_app(load_settings("booking", environ), databases["booking"])
    app.config["WTF_CSRF_ENABLED"] = False  # the form's protection is tested in test_pages
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, staff_cookie([1]))
    assert client.post("/staff/aanvragen/424242/meegeven", data={}).status_code == 404
