"""Regression tests for 500s the property tests found at the edges of what people type: years 1 and 9999
with an offset, days at the end of the calendar, and digits that are not ASCII ('²')."""

from __future__ import annotations

from shared.auth import SESSION_COOKIE
from tests.booking_fixtures import at, request_body, staff_cookie
from tests.support.forms import csrf_token
from tests.support.notify import staff_headers


def test_an_instant_at_the_end_of_the_calendar_is_a_422_naming_the_field(feed, booking_client):
    asset = feed.asset(feed.location())
    for pickup in ("0001-01-01T00:30+05:00", "9999-12-31T23:59-05:00"):
        response = booking_client.post("/requests", json=request_body(asset, pickup, at(1, 15)))
        assert response.status_code == 422, response.json
        assert [e["field"] for e in response.json["errors"]] == ["pickup_at"]


def test_the_call_list_of_the_last_day_of_the_calendar_is_a_422(notify_app):
    client = notify_app.test_client()
    response = client.get("/call-list?location_id=7&day=9999-12-31", headers=staff_headers())
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "day"


def test_staff_pages_take_any_day_in_the_query(environ, databases, notify_app):
    from services.booking.web import create_pages_app
    from shared.config import load_settings

    pages = create_pages_app(load_settings("booking", environ), databases["booking"]).test_client()
    pages.set_cookie(SESSION_COOKIE, staff_cookie([7]))
    notify = notify_app.test_client()
    for day in ("9999-12-31", "0001-01-01", "²"):
        for view in ("week", "maand"):
            assert pages.get(f"/staff/kalender?vanaf={day}&weergave={view}").status_code == 200
        assert notify.get(f"/bellijst?dag={day}", headers=staff_headers()).status_code == 200


def test_a_superscript_two_is_not_a_quantity(environ, databases, feed):
    from services.booking.web import create_pages_app
    from shared.config import load_settings

    feed.asset(feed.location(), code="naaimachine", public=True)
    app = create_pages_app(load_settings("booking", environ), databases["booking"])
    client = app.test_client()
    form = {"csrf_token": csrf_token(client, app.config["SECRET_KEY"]), "quantity": "²", "initiative": "Naaicafé"}
    response = client.post("/lenen/naaimachine/aanvraag", data=form)
    assert response.status_code == 422
