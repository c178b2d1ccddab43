"""The call list: every message a phone-only requester should get is on it (the day it is due, never a day gone
by), with what to say in the resident's language; "gebeld" / "niet bereikt" with a note, stored, audited and
shown; every centre of the staff member on one page; the morning digest lists the same entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from services.notify.models import CallOutcome, ScheduledNotification
from shared import clock
from tests.event_factories import booking_envelope, location_payload, write_booking_events
from tests.support.forms import csrf_token
from tests.support.notify import SECRET, Pipeline, RecordingSender, staff_headers

pytestmark = [pytest.mark.postgres]
T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)  # Tuesday 11:00 Brussels
PICKUP = datetime(2027, 6, 12, 8, 0, tzinfo=UTC)


def emit(pipeline: Pipeline, verb: str, at: datetime, **payload: object) -> None:
    clock.set_clock(at)
    with pipeline.booking_db.transaction() as session:
        write_booking_events(session, [booking_envelope(verb, occurred_at=at, email=None, **payload)])
    pipeline.relay()
    pipeline.dispatch()


def kinds(client: FlaskClient, day: str, **headers: object) -> list[tuple[str, str]]:
    answer = client.get(f"/call-list?day={day}", headers=staff_headers(locations=(7, 8)))
    assert answer.status_code == 200, answer.json
    return [(e["reference"], e["kind"]) for e in answer.json]


@pytest.mark.parametrize(
    "verb", ["submitted", "approved", "rejected", "withdrawn", "cancelled", "expired", "rescheduled"]
)
def test_every_message_of_a_phone_only_requester_is_on_the_call_list_of_its_day(
    verb: str,
    pipeline: Pipeline,
    notify_client: FlaskClient,
) -> None:
    emit(pipeline, verb, T0, reason="Al uitgeleend" if verb in ("rejected", "cancelled") else None)
    expected = {
        "submitted": "request_received",
        "approved": "approved",
        "rejected": "rejected",
        "withdrawn": "withdrawn",
        "cancelled": "cancelled",
        "expired": "expired",
        "rescheduled": "rescheduled",
    }[verb]
    entries = notify_client.get("/call-list?location_id=7&day=2027-06-01", headers=staff_headers()).json
    entry = next(e for e in entries if e["kind"] == expected)
    assert entry["reference"] == "UL-00001" and entry["contact_phone"] == "0470 12 34 56"
    assert "UL-00001" in entry["what"] + str(entry["facts"])  # the reference the resident can quote
    assert {"label": "Referentie", "value": "UL-00001"} in entry["facts"]
    if verb in ("rejected", "cancelled"):
        assert {"label": "Reden", "value": "Al uitgeleend"} in entry["facts"]


def test_what_to_say_is_in_the_residents_language(pipeline: Pipeline, notify_client: FlaskClient) -> None:
    emit(pipeline, "approved", T0, language="en", pickup_at=PICKUP)
    [entry] = notify_client.get("/call-list?location_id=7&day=2027-06-01", headers=staff_headers()).json
    assert entry["what"] == "Approved: your request UL-00001"
    assert {"label": "Pick-up", "value": "Saturday 12 June 2027 at 10:00"} in entry["facts"]
    page = notify_client.get("/bellijst?dag=2027-06-01", headers=staff_headers()).get_data(as_text=True)
    assert '<div class="card-inset" lang="en">' in page and "Approved: your request UL-00001" in page


def test_a_short_notice_pickup_reminder_is_on_todays_list_not_yesterdays(
    pipeline: Pipeline,
    notify_client: FlaskClient,
) -> None:
    # approved on Friday 11:00 for a caravan picked up on Saturday: its reminder "two days before" is Thursday's
    friday = datetime(2027, 6, 11, 9, 0, tzinfo=UTC)
    emit(pipeline, "approved", friday, pickup_at=PICKUP)
    [reminder] = notify_client.get("/deliveries?kind=pickup_reminder", headers=staff_headers()).json
    assert reminder["status"] == "call_list"
    assert kinds(notify_client, "2027-06-10") == []
    assert ("UL-00001", "pickup_reminder") in kinds(notify_client, "2027-06-11")


def test_gebeld_and_niet_bereikt_are_stored_audited_shown_and_carry_over(
    pipeline: Pipeline,
    notify_client: FlaskClient,
    sender: RecordingSender,
) -> None:
    emit(pipeline, "approved", T0, pickup_at=PICKUP)
    emit(pipeline, "rejected", T0, request_id=2, reason="vol")
    [approved] = [
        e
        for e in notify_client.get("/call-list?day=2027-06-01", headers=staff_headers()).json
        if e["kind"] == "approved"
    ]
    rejected = next(
        e for e in notify_client.get("/call-list?day=2027-06-01", headers=staff_headers()).json if e["request_id"] == 2
    )
    token = csrf_token(notify_client, SECRET)
    clock.set_clock(T0 + timedelta(hours=1))
    answer = notify_client.post(
        f"/bellijst/{approved['notification_id']}",
        data={"outcome": "unreached", "note": "voicemail, morgen opnieuw", "dag": "2027-06-01", "csrf_token": token},
        headers=staff_headers(),
    )
    assert answer.status_code == 303
    answer = notify_client.post(
        f"/bellijst/{rejected['notification_id']}",
        data={"outcome": "reached", "dag": "2027-06-01", "csrf_token": token},
        headers=staff_headers(),
    )
    assert answer.status_code == 303
    today = notify_client.get("/bellijst?dag=2027-06-01", headers=staff_headers()).get_data(as_text=True)
    assert "niet bereikt, Test: voicemail, morgen opnieuw" in today and "gebeld, Test" in today
    # tomorrow: the one not reached is on the list again, the one reached is not; tomorrow's digest says so
    assert kinds(notify_client, "2027-06-02") == [("UL-00001", "approved")]
    clock.set_clock(datetime(2027, 6, 2, 6, 5, tzinfo=UTC))
    pipeline.dispatch()
    digest = sender.sent[-1]
    assert digest.subject == "Bellijst 2027-06-02: 1 oproep(en) voor Buurtcentrum Dampoort"
    assert "Nog niet bereikt: voicemail, morgen opnieuw" in digest.text
    with pipeline.notify_db.session_factory() as session:
        audit = [
            (o.outcome, o.note, o.staff_name) for o in session.scalars(sa.select(CallOutcome).order_by(CallOutcome.id))
        ]
    assert audit == [("unreached", "voicemail, morgen opnieuw", "Test"), ("reached", None, "Test")]
    log = notify_client.get("/deliveries?kind=approved", headers=staff_headers()).json
    assert log[0]["call_outcome"] == "unreached" and log[0]["call_note"] == "voicemail, morgen opnieuw"


def test_one_page_shows_every_centre_of_the_staff_member_and_filters_per_centre(
    pipeline: Pipeline,
    notify_client: FlaskClient,
) -> None:
    emit(pipeline, "approved", T0, pickup_at=PICKUP)
    elsewhere = location_payload(id=8, name="Buurtcentrum Muide", email="bc.muide@example.org")
    emit(pipeline, "approved", T0, request_id=2, pickup_at=PICKUP, location=elsewhere)
    emit(pipeline, "approved", T0, request_id=3, pickup_at=PICKUP, location=location_payload(id=9, name="BC Elders"))
    both = notify_client.get("/bellijst?dag=2027-06-01", headers=staff_headers(locations=(7, 8))).get_data(as_text=True)
    assert "UL-00001" in both and "UL-00002" in both and "UL-00003" not in both
    assert "Buurtcentrum Muide" in both and "<table" not in both  # cards, not a wide table: readable at 390 px
    one = notify_client.get("/bellijst?dag=2027-06-01&locatie=8", headers=staff_headers(locations=(7, 8)))
    assert "UL-00002" in one.get_data(as_text=True) and "UL-00001" not in one.get_data(as_text=True)
    english = notify_client.get("/bellijst?dag=2027-06-01&lang=en", headers=staff_headers(locations=(7, 8)))
    assert "Not reached" in english.get_data(as_text=True) and "Niet bereikt" not in english.get_data(as_text=True)


def test_staff_cannot_tick_another_centres_entry(pipeline: Pipeline, notify_client: FlaskClient) -> None:
    emit(pipeline, "approved", T0, pickup_at=PICKUP)
    with pipeline.notify_db.session_factory() as session:
        row_id = session.scalar(sa.select(ScheduledNotification.id).where(ScheduledNotification.kind == "approved"))
    token = csrf_token(notify_client, SECRET)
    answer = notify_client.post(
        f"/bellijst/{row_id}", data={"outcome": "reached", "csrf_token": token}, headers=staff_headers(locations=(8,))
    )
    assert answer.status_code == 303
    with pipeline.notify_db.session_factory() as session:
        assert session.get(ScheduledNotification, row_id).call_outcome is None  # type: ignore[union-attr]
    bad = notify_client.post(
        f"/bellijst/{row_id}", data={"outcome": "misschien", "csrf_token": token}, headers=staff_headers()
    )
    assert bad.status_code == 303
    assert "Kies &#39;gebeld&#39; of &#39;niet bereikt&#39;." in notify_client.get(
        "/bellijst?dag=2027-06-01", headers=staff_headers()
    ).get_data(as_text=True)
