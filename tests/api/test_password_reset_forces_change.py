"""Issue 12, point 14: after an administrator reset a staff member's password, that staff member could go on
using the password the administrator knows. Now the next login leads to 'Mijn wachtwoord' first, and every
page of every service sends there, every API call is a 403 ``password_change_required`` (no token can be minted
meanwhile), until a password of their own is chosen. On the embedded default (SQLite) and PostgreSQL."""

from __future__ import annotations

import re

from werkzeug.test import Client

from tests.api.test_inventory_centre_pages import hidden, logged_in
from tests.api.test_inventory_staff_pages import account
from tests.support.embedded import Embedded

OWN_PASSWORD = "mijn eigen lang wachtwoord"
PASSWORD_PAGE = "/inventory/beheer/wachtwoord"


def reset_by_admin(demo_suite: Embedded, email: str) -> str:
    admin = logged_in(demo_suite, "beheer@uitleen.demo")
    target = account(demo_suite, email)
    html = admin.get(f"/inventory/beheer/medewerkers/{target.id}").get_data(as_text=True)
    reset = admin.post(
        f"/inventory/beheer/medewerkers/{target.id}/nieuw-wachtwoord", data={"csrf_token": hidden(html, "csrf_token")}
    )
    match = re.search(r'<code id="new-password">([^<]+)</code>', reset.get_data(as_text=True))
    assert reset.status_code == 200 and match
    return match.group(1)


def log_in(demo_suite: Embedded, email: str, password: str) -> tuple[Client, str]:
    client = demo_suite.client()
    page = client.get("/inventory/login").get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "email": email, "password": password, "next": "/staff"}
    answer = client.post("/inventory/login", data=form)
    assert answer.status_code == 303
    return client, answer.headers["Location"]


def test_after_a_reset_the_staff_member_chooses_a_new_password_before_anything_else(demo_suite: Embedded) -> None:
    given = reset_by_admin(demo_suite, "dampoort@uitleen.demo")
    assert account(demo_suite, "dampoort@uitleen.demo").must_change_password
    client, first = log_in(demo_suite, "dampoort@uitleen.demo", given)
    assert first.endswith(PASSWORD_PAGE)  # not /staff, where the login was going
    for page in (
        "/staff",
        "/staff/kalender",
        "/inventory/beheer",
        "/inventory/beheer/centra",
        "/notify/berichten",
        "/",
    ):
        answer = client.get(page)
        assert answer.status_code == 303 and answer.headers["Location"].endswith(PASSWORD_PAGE), page
    headers = {"X-Requested-With": "test"}
    for method, path in (
        ("GET", "/booking/requests"),
        ("GET", "/inventory/assets"),
        ("POST", "/inventory/auth/tokens"),
    ):
        answer = client.open(
            path, method=method, json={"name": "agenda"} if method == "POST" else None, headers=headers
        )
        assert answer.status_code == 403, (path, answer.status_code)
        assert answer.json["code"] == "password_change_required", path
    assert client.get("/inventory/auth/me").status_code == 200  # who am I: still answered
    html = client.get(PASSWORD_PAGE).get_data(as_text=True)
    assert 'id="eerst-wachtwoord"' in html and "Kies eerst een eigen nieuw wachtwoord" in html
    form = {"csrf_token": hidden(html, "csrf_token"), "current_password": given}
    same = client.post(PASSWORD_PAGE, data={**form, "new_password": given, "again": given})
    assert same.status_code == 422  # the administrator's password is not one's own
    assert client.get("/staff").status_code == 303
    changed = client.post(PASSWORD_PAGE, data={**form, "new_password": OWN_PASSWORD, "again": OWN_PASSWORD})
    assert changed.status_code == 303
    assert not account(demo_suite, "dampoort@uitleen.demo").must_change_password
    assert client.get("/staff").status_code == 200
    assert client.get("/inventory/beheer").status_code == 200
    assert 'id="eerst-wachtwoord"' not in client.get(PASSWORD_PAGE).get_data(as_text=True)
    again, where = log_in(demo_suite, "dampoort@uitleen.demo", OWN_PASSWORD)
    assert where.endswith("/staff") and again.get("/staff").status_code == 200


def test_a_staff_member_whose_password_was_not_reset_goes_where_they_were_going(demo_suite: Embedded) -> None:
    from services.inventory.demo import DEMO_PASSWORD

    client, where = log_in(demo_suite, "dampoort@uitleen.demo", DEMO_PASSWORD)
    assert where.endswith("/staff") and client.get("/staff").status_code == 200
    assert not account(demo_suite, "dampoort@uitleen.demo").must_change_password
