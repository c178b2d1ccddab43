"""The staff-account pages (/inventory/beheer/medewerkers, administrators) and one's own password
(/inventory/beheer/wachtwoord). On the embedded default (SQLite) and PostgreSQL."""

from __future__ import annotations

import re

import sqlalchemy as sa

from services.inventory.demo import DEMO_PASSWORD
from services.inventory.models import StaffAccount
from tests.api.test_inventory_centre_pages import centre, hidden, logged_in
from tests.support.embedded import Embedded

NEW_PASSWORD = "een heel lang nieuw wachtwoord"


def account(demo_suite: Embedded, email: str) -> StaffAccount:
    with demo_suite.databases["inventory"].session_factory() as session:
        row = session.scalar(sa.select(StaffAccount).where(StaffAccount.email == email))
        assert row is not None
        _ = list(row.locations)
        session.expunge_all()
        return row


def can_log_in(demo_suite: Embedded, email: str, password: str) -> bool:
    client = demo_suite.client()
    page = client.get("/inventory/login").get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "email": email, "password": password, "next": "/staff"}
    return client.post("/inventory/login", data=form).status_code == 303


def test_an_administrator_adds_changes_and_deactivates_an_account(demo_suite: Embedded) -> None:
    admin = logged_in(demo_suite, "beheer@uitleen.demo")
    page = admin.get("/inventory/beheer/medewerkers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "dampoort@uitleen.demo" in html
    muide, sluizeken = centre(demo_suite, "bc-muide"), centre(demo_suite, "bc-sluizeken")
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "name": "Buurtwerker Muide",
        "email": "muide@uitleen.demo",
        "password": "kort",
        "role": "staff",
        "location_ids": [str(muide.id)],
    }
    short = admin.post("/inventory/beheer/medewerkers", data=form)
    text = short.get_data(as_text=True)
    assert short.status_code == 422 and 'id="password-fout">Een wachtwoord heeft minstens 12 tekens.' in text
    assert 'value="Buurtwerker Muide"' in text and f'value="{muide.id}" checked' in text
    taken = admin.post("/inventory/beheer/medewerkers", data={**form, "email": "dampoort@uitleen.demo"})
    assert taken.status_code == 422
    added = admin.post("/inventory/beheer/medewerkers", data={**form, "password": NEW_PASSWORD})
    assert added.status_code == 303, added.get_data(as_text=True)[:500]
    new = account(demo_suite, "muide@uitleen.demo")
    assert new.must_change_password  # the administrator chose it: the owner chooses their own at the first login
    assert [loc.id for loc in new.locations] == [muide.id] and can_log_in(
        demo_suite, "muide@uitleen.demo", NEW_PASSWORD
    )

    change = {"csrf_token": form["csrf_token"], "name": "Buurtwerker Muide en Sluizeken", "role": "staff"}
    both = {**change, "location_ids": [str(muide.id), str(sluizeken.id)], "active": "yes"}
    assert admin.post(f"/inventory/beheer/medewerkers/{new.id}", data=both).status_code == 303
    changed = account(demo_suite, "muide@uitleen.demo")
    assert {loc.id for loc in changed.locations} == {muide.id, sluizeken.id} and changed.name == both["name"]
    assert changed.claims_generation > new.claims_generation  # older sessions are void
    assert admin.post(f"/inventory/beheer/medewerkers/{new.id}", data=change).status_code == 303  # not active
    assert not account(demo_suite, "muide@uitleen.demo").active
    assert not can_log_in(demo_suite, "muide@uitleen.demo", NEW_PASSWORD)


def test_an_administrator_gives_a_new_password_shown_once(demo_suite: Embedded) -> None:
    admin = logged_in(demo_suite, "beheer@uitleen.demo")
    dampoort = account(demo_suite, "dampoort@uitleen.demo")
    html = admin.get(f"/inventory/beheer/medewerkers/{dampoort.id}").get_data(as_text=True)
    reset = admin.post(
        f"/inventory/beheer/medewerkers/{dampoort.id}/nieuw-wachtwoord", data={"csrf_token": hidden(html, "csrf_token")}
    )
    assert reset.status_code == 200
    match = re.search(r'<code id="new-password">([^<]+)</code>', reset.get_data(as_text=True))
    assert match
    assert can_log_in(demo_suite, "dampoort@uitleen.demo", match.group(1))
    assert not can_log_in(demo_suite, "dampoort@uitleen.demo", DEMO_PASSWORD)
    assert match.group(1) not in admin.get(f"/inventory/beheer/medewerkers/{dampoort.id}").get_data(as_text=True)


def test_staff_cannot_manage_accounts_and_an_administrator_not_their_own_role(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "dampoort@uitleen.demo")
    assert client.get("/inventory/beheer/medewerkers").status_code == 403
    bloemekenswijk = account(demo_suite, "bloemekenswijk@uitleen.demo")
    assert client.get(f"/inventory/beheer/medewerkers/{bloemekenswijk.id}").status_code == 403
    admin = logged_in(demo_suite, "beheer@uitleen.demo")
    me = account(demo_suite, "beheer@uitleen.demo")
    html = admin.get(f"/inventory/beheer/medewerkers/{me.id}").get_data(as_text=True)
    assert 'name="role"' not in html and "nieuw-wachtwoord" not in html
    form = {"csrf_token": hidden(html, "csrf_token"), "name": "Beheerder", "role": "staff", "active": ""}
    assert admin.post(f"/inventory/beheer/medewerkers/{me.id}", data=form).status_code == 303
    after = account(demo_suite, "beheer@uitleen.demo")
    assert (after.name, after.role, after.active) == ("Beheerder", "admin", True)


def test_a_staff_member_changes_their_own_password_and_stays_logged_in(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "dampoort@uitleen.demo")
    html = client.get("/inventory/beheer/wachtwoord").get_data(as_text=True)
    token = hidden(html, "csrf_token")
    form = {"csrf_token": token, "current_password": "fout", "new_password": NEW_PASSWORD, "again": NEW_PASSWORD}
    wrong = client.post("/inventory/beheer/wachtwoord", data=form)
    assert wrong.status_code == 422
    assert 'id="current_password-fout">Je huidige wachtwoord klopt niet.' in wrong.get_data(as_text=True)
    mismatch = client.post(
        "/inventory/beheer/wachtwoord", data={**form, "current_password": DEMO_PASSWORD, "again": "iets anders"}
    )
    assert mismatch.status_code == 422 and 'id="again-fout"' in mismatch.get_data(as_text=True)
    short = client.post(
        "/inventory/beheer/wachtwoord",
        data={**form, "current_password": DEMO_PASSWORD, "new_password": "kort", "again": "kort"},
    )
    assert short.status_code == 422 and 'id="new_password-fout"' in short.get_data(as_text=True)
    other = logged_in(demo_suite, "dampoort@uitleen.demo")  # another session of the same account
    done = client.post("/inventory/beheer/wachtwoord", data={**form, "current_password": DEMO_PASSWORD})
    assert done.status_code == 303
    assert "Je wachtwoord is gewijzigd." in client.get("/inventory/beheer/wachtwoord").get_data(as_text=True)
    assert "/inventory/login" in other.get("/inventory/beheer/wachtwoord").headers.get("Location", "")
    assert can_log_in(demo_suite, "dampoort@uitleen.demo", NEW_PASSWORD)
    assert not can_log_in(demo_suite, "dampoort@uitleen.demo", DEMO_PASSWORD)


def test_guessing_the_current_password_meets_the_logins_back_off(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "dampoort@uitleen.demo")
    token = hidden(client.get("/inventory/beheer/wachtwoord").get_data(as_text=True), "csrf_token")
    guess = {"csrf_token": token, "new_password": NEW_PASSWORD, "again": NEW_PASSWORD}
    for _ in range(3):  # a mismatch of the two new ones is no guess
        mismatch = client.post("/inventory/beheer/wachtwoord", data={**guess, "current_password": "x", "again": "y"})
        assert mismatch.status_code == 422
    answers = [
        client.post("/inventory/beheer/wachtwoord", data={**guess, "current_password": f"gok {n}"}) for n in range(5)
    ]
    assert [a.status_code for a in answers] == [422] * 5
    assert all("X-Uitleen-Password-Wrong" not in a.headers for a in answers)  # the mark stays inside
    right = client.post("/inventory/beheer/wachtwoord", data={**guess, "current_password": DEMO_PASSWORD})
    assert right.status_code == 429  # the sixth guess, even the right one, waits
    assert can_log_in(demo_suite, "dampoort@uitleen.demo", DEMO_PASSWORD)
