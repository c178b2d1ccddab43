"""Staff identity: login cookie valid across the origin's services, bearer tokens, refusals."""

from __future__ import annotations

from services.booking.app import create_app as create_booking_app
from shared.auth import SESSION_COOKIE, Principal, sign_session
from tests.conftest import STAFF_PASSWORD, settings_for


def test_login_sets_a_safe_cookie_and_me_answers(inventory_app, staff_account):
    client = inventory_app.test_client()
    response = client.post("/auth/login", json={"email": "STAFF@example.org", "password": STAFF_PASSWORD})
    assert response.status_code == 200
    assert response.json["role"] == "staff"
    assert response.json["location_ids"] == [staff_account["location_id"]]
    cookie = response.headers["Set-Cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert client.get("/auth/me").json["name"] == "Test Staff"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, staff_account):
    wrong = client.post("/auth/login", json={"email": "staff@example.org", "password": "nope"})
    unknown = client.post("/auth/login", json={"email": "nobody@example.org", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]
    assert "Set-Cookie" not in wrong.headers


def test_logout_clears_the_cookie(staff_client):
    assert staff_client.post("/auth/logout").status_code == 204
    assert staff_client.get("/auth/me").status_code == 401


def test_the_session_cookie_is_verified_by_another_service(staff_client, environ, databases):
    cookie = staff_client.get_cookie(SESSION_COOKIE)
    booking = create_booking_app(settings_for("booking", environ), databases["booking"]).test_client()
    booking.set_cookie(SESSION_COOKIE, cookie.value)
    # Same verification through shared/: the booking app sees the staff member.
    from flask import Flask

    app: Flask = booking.application  # type: ignore[assignment]
    with app.test_request_context(headers={"Cookie": f"{SESSION_COOKIE}={cookie.value}"}):
        from shared.auth import current_principal

        principal = current_principal()
        assert principal is not None and principal.name == "Test Staff"


def test_a_forged_cookie_is_ignored(client, staff_account):
    forged = sign_session(
        "some-other-secret-key-of-sufficient-length-000",
        Principal(staff_id=staff_account["id"], name="x", role="admin", location_ids=frozenset()),
    )
    client.set_cookie(SESSION_COOKIE, forged)
    assert client.get("/auth/me").status_code == 401


def test_api_token_works_for_machines_until_revoked(staff_client, client, staff_account):
    issued = staff_client.post("/auth/tokens", json={"name": "rapportage"})
    assert issued.status_code == 201
    headers = {"Authorization": f"Bearer {issued.json['token']}"}
    # The token acts as the staff member who issued it: their own centre, not the admin-only catalogue.
    own_centre = client.patch(
        f"/locations/{staff_account['location_id']}",
        headers={**headers, "If-Match": '"v1"'},
        json={"phone": "09 123 45 67"},
    )
    assert own_centre.status_code == 200, own_centre.json
    catalogue = client.post(
        "/requirements",
        headers=headers,
        json={"code": "trekhaak", "kind": "confirm", "label_nl": "Trekhaak", "label_en": "Tow hitch"},
    )
    assert catalogue.status_code == 403
    assert staff_client.delete(f"/auth/tokens/{issued.json['id']}").status_code == 204
    assert client.get("/auth/me", headers=headers).status_code == 401


def test_garbage_bearer_token_is_401(client):
    assert client.get("/auth/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_settings_for_is_usable(environ):
    assert settings_for("inventory", environ).env == "test"
