"""On the embedded default (SQLite, the whole suite under one dispatcher): every refusal comes back at once,
beside its field, with the input kept — on the public form, the desk form and the API with an Idempotency-Key —
and nothing waits on a lock its own request holds.

Before the application layer, each of these hung 15 s on SQLite and ended on a 503 with the input lost: the
Idempotency-Key's release opened a second connection while the request's own session held the write lock.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.test import Client, TestResponse

from services.booking.models import BookingRequest, IdempotencyKey
from shared.auth import SESSION_COOKIE, Principal, sign_api_token, sign_session
from tests.booking_fixtures import SECRET
from tests.support.embedded import Embedded

FORM = "/lenen/caravan-doorgeefbazaar/aanvraag"
DESK = "/staff/balie/caravan-doorgeefbazaar"
# A hang guard, far below SQLite's 15 s busy timeout: a refusal that waits on a lock cannot pass it.
AT_ONCE = 2.0


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def caravan(html: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "idempotency_key": hidden(html, "idempotency_key"),
        "initiative": "Buurtfeest Dampoort",
        "contact_name": "An Peeters",
        "email": "an@example.org",
        "phone": "",
        "language": "nl",
        "pickup_date": "2030-03-09",  # Saturday, 10:30: open, and past the caravan's 72 h lead time
        "pickup_time": "10:30",
        "return_date": "2030-03-11",
        "return_time": "10:00",
        "answer-trekhaak": "yes",
        "answer-extra-nummerplaat": "1-abc-234",
        "purpose": "ruilmarkt",
        "consent": "yes",
        "consent_by": "desk",
    }
    form.update(overrides)
    return form


def timed(call: Any) -> tuple[TestResponse, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def requests_in(embedded: Embedded) -> int:
    with embedded.databases["booking"].session_factory() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(BookingRequest)) or 0)


def staff_client(embedded: Embedded) -> Client:
    client = embedded.client()
    admin = Principal(staff_id=1, name="Beheerder", role="admin", location_ids=frozenset())
    client.set_cookie(SESSION_COOKIE, sign_session(SECRET, admin))
    return client


REFUSALS = [
    # (who, what the newcomer does wrong, the fields changed, the field where the refusal shows, words that say it)
    ("public", "a Sunday pick-up", {"pickup_date": "2030-03-10", "pickup_time": "10:00"}, "pickup_date", "gesloten"),
    ("public", "too short notice", {"pickup_date": "2030-03-05", "pickup_time": "10:00"}, "pickup_date", "op voorhand"),
    ("public", "no e-mail and no phone", {"email": "", "phone": ""}, "email", "e-mailadres of een telefoonnummer"),
    ("public", "return before pick-up", {"return_date": "2030-03-08"}, "return_date", "na het ophalen"),
    ("public", "no plate", {"answer-extra-nummerplaat": "caravan"}, "answer-extra-nummerplaat", "nummerplaat"),
    ("desk", "a Sunday pick-up", {"pickup_date": "2030-03-10", "pickup_time": "10:00"}, "pickup_date", "gesloten"),
    # ("desk", no e-mail and no phone) is accepted: a desk request may have neither (test_desk_without_contact.py)
    ("desk", "a day gone by", {"pickup_date": "2030-03-01", "pickup_time": "10:00"}, "pickup_date", "al voorbij"),
    ("desk", "no consent channel", {"consent_by": ""}, "consent_by", "balie of aan de telefoon"),
]


@pytest.mark.parametrize(
    ("who", "mistake", "changes", "field", "words"), REFUSALS, ids=[f"{r[0]}: {r[1]}" for r in REFUSALS]
)
def test_a_refused_form_answers_at_once_beside_the_field_with_the_input_kept(
    embedded: Embedded, who: str, mistake: str, changes: dict[str, str], field: str, words: str
) -> None:
    desk = who == "desk"
    client = staff_client(embedded) if desk else embedded.client()
    url = DESK if desk else FORM
    form = caravan(client.get(url).get_data(as_text=True), **changes)
    refused, seconds = timed(lambda: client.post(url, data=form))
    assert seconds < AT_ONCE, f"{mistake}: {seconds:.1f} s"
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    beside = re.search(rf'<p class="field-error" id="{re.escape(field)}-fout">(.*?)</p>', html, re.S)
    assert beside and words in beside.group(1), f"{mistake}: no message beside {field}"
    assert 'value="Buurtfeest Dampoort"' in html and "ruilmarkt" in html  # nothing typed is lost
    # nothing was kept, and the next (correct) submission goes through at once: no key or lock was left behind
    assert requests_in(embedded) == 0
    retry = caravan(html, **{k: caravan(html)[k] for k in changes})
    accepted, seconds = timed(lambda: client.post(url, data=retry))
    assert accepted.status_code == 303 and seconds < AT_ONCE
    assert requests_in(embedded) == 1


def test_five_of_four_sewing_machines_is_refused_beside_the_quantity(embedded: Embedded) -> None:
    client = embedded.client()
    url = "/lenen/naaimachines-bloemekenswijk/aanvraag"
    form = caravan(client.get(url).get_data(as_text=True), quantity="5", pickup_date="2030-03-06")
    for name in ("answer-trekhaak", "answer-extra-nummerplaat"):
        del form[name]
    form.update(pickup_time="10:00", return_date="2030-03-06", return_time="16:00")
    refused, seconds = timed(lambda: client.post(url, data=form))
    assert refused.status_code == 422 and seconds < AT_ONCE
    assert "Er zijn maar 4 stuks" in refused.get_data(as_text=True)


def test_the_api_with_an_idempotency_key_refuses_at_once_and_then_accepts(embedded: Embedded) -> None:
    client = embedded.client()
    with embedded.databases["booking"].session_factory() as session:
        asset_id = session.scalar(sa.text("SELECT id FROM inv_assets WHERE code = 'caravan-doorgeefbazaar'"))
    body: dict[str, Any] = {
        "initiative": "Buurtfeest Dampoort",
        "contact": {"name": "An", "email": None, "phone": None},
        "pickup_at": "2030-03-10T10:00",  # a Sunday
        "return_at": "2030-03-11T10:00",
        "items": [{"asset_id": asset_id, "answers": {"trekhaak": True, "extra-nummerplaat": "1-ABC-234"}}],
    }
    headers = {"Idempotency-Key": "first-try"}
    refused, seconds = timed(lambda: client.post("/booking/requests", json=body, headers=headers))
    assert refused.status_code == 422 and seconds < AT_ONCE
    fields = {e["field"]: e["code"] for e in refused.json["errors"]}
    assert fields == {"contact.email": "contact_missing", "pickup_at": "outside_opening_hours"}
    with embedded.databases["booking"].session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0  # the key went too
    body.update(contact={"name": "An", "email": "an@example.org"}, pickup_at="2030-03-09T10:30")
    first = client.post("/booking/requests", json=body, headers=headers)
    assert first.status_code == 201
    again, seconds = timed(lambda: client.post("/booking/requests", json=body, headers=headers))
    assert again.status_code == 201 and seconds < AT_ONCE
    assert again.json["request_id"] == first.json["request_id"]


def test_back_and_resend_after_a_success_shows_the_first_confirmation(embedded: Embedded) -> None:
    client = embedded.client()
    form = caravan(client.get(FORM).get_data(as_text=True))
    first = client.post(FORM, data=form)
    assert first.status_code == 303
    confirmation = client.get(first.headers["Location"]).get_data(as_text=True)
    reference = re.search(r'class="ref">(UIT-[A-Z0-9]+)<', confirmation)
    assert reference
    # Back: the browser shows the filled-in form again (same idempotency key), and the resident sends it again
    resent, seconds = timed(lambda: client.post(FORM, data=form))
    assert resent.status_code == 303 and seconds < AT_ONCE
    again = client.get(resent.headers["Location"]).get_data(as_text=True)
    assert reference.group(1) in again
    assert requests_in(embedded) == 1


def test_a_bearer_token_reads_a_staff_only_asset_at_once(embedded: Embedded) -> None:
    """The revocation lookup works in the request's own session (it opened its own and waited 15 s)."""
    from services.inventory.domain.assets import update_asset
    from services.inventory.models import Asset

    with embedded.databases["inventory"].transaction() as session:
        van = session.scalar(sa.select(Asset).where(Asset.code == "bestelwagen-stad"))
        assert van is not None
        update_asset(session, van.id, {"public": False}, van.version, actor=None)
        van_id = van.id
    token = sign_api_token(
        SECRET, Principal(staff_id=1, name="Beheerder", role="admin", location_ids=frozenset(), token_id="t-1")
    )
    client = embedded.client()
    for path in (f"/inventory/assets/{van_id}", "/booking/requests"):
        answer, seconds = timed(lambda p=path: client.get(p, headers={"Authorization": f"Bearer {token}"}))
        assert answer.status_code == 200 and seconds < AT_ONCE, (path, answer.status_code, seconds)
    _ = timedelta


def test_a_reschedule_on_the_request_page_is_refused_at_once_then_saved(embedded: Embedded) -> None:
    """Staff move a loan from its page (/staff/aanvragen/<id>): a Sunday return is refused beside the field with
    the input kept, without waiting on a lock; the next try is saved and the page says so."""
    client = staff_client(embedded)
    form = caravan(client.get(DESK).get_data(as_text=True))
    assert client.post(DESK, data=form).status_code == 303
    with embedded.databases["booking"].session_factory() as session:
        request_id = int(session.scalar(sa.select(BookingRequest.id)))
    page = client.get(f"/staff/aanvragen/{request_id}").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    assert client.post(f"/staff/aanvragen/{request_id}/goedkeuren", data={"csrf_token": token}).status_code == 303
    url = f"/staff/aanvragen/{request_id}/verplaatsen"
    moved = {"csrf_token": token, "pickup_date": "2030-03-09", "pickup_time": "10:30", "return_time": "10:00"}
    refused, seconds = timed(lambda: client.post(url, data={**moved, "return_date": "2030-03-10"}))  # a Sunday
    assert refused.status_code == 422 and seconds < AT_ONCE
    html = refused.get_data(as_text=True)
    beside = re.search(r'<p class="field-error" id="return_date-fout">(.*?)</p>', html, re.S)
    assert beside and "gesloten" in beside.group(1)
    assert 'name="return_date" value="2030-03-10"' in html
    saved, seconds = timed(lambda: client.post(url, data={**moved, "return_date": "2030-03-12"}))
    assert saved.status_code == 303 and seconds < AT_ONCE
    after = client.get(f"/staff/aanvragen/{request_id}").get_data(as_text=True)
    assert "is verplaatst" in after and "dinsdag 12 maart 2030 om 10:00" in after
