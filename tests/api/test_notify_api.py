"""The notify API: delivery log, dead letters, captured mail page, call list, iCal feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from services.notify.domain.mail import CaptureSender
from services.notify.models import DeadLetter, ProcessedEvent
from shared import clock
from shared.consumer import record_dead_letter
from tests.event_factories import booking_envelope, write_booking_events
from tests.support.notify import Pipeline, staff_headers

pytestmark = [pytest.mark.postgres]
T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


def run(pipeline: Pipeline, verb: str, **payload: object) -> None:
    clock.set_clock(T0)
    with pipeline.booking_db.transaction() as session:
        write_booking_events(session, [booking_envelope(verb, occurred_at=T0, **payload)])
    pipeline.relay()
    pipeline.dispatch()


@pytest.fixture
def captured(pipeline: Pipeline, capture_sender: CaptureSender) -> Pipeline:
    pipeline.sender = capture_sender
    return pipeline


def test_delivery_log_is_for_staff_and_searchable(notify_client: FlaskClient, captured: Pipeline) -> None:
    run(captured, "submitted")
    assert notify_client.get("/deliveries").status_code == 401
    response = notify_client.get("/deliveries?status=sent&recipient=buren", headers=staff_headers())
    assert response.status_code == 200
    [row] = response.json
    assert row["kind"] == "request_received" and row["language"] == "nl" and row["attempts"] == 1
    assert response.headers["X-Pagination"]
    other = notify_client.get("/deliveries", headers=staff_headers(locations=(99,)))
    assert other.json == []
    by_ref = notify_client.get("/deliveries?reference=UL-00001", headers=staff_headers(role="admin"))
    assert {r["kind"] for r in by_ref.json} == {"request_received", "new_request", "expiry_warning"}


def test_captured_mail_page_shows_the_mail(notify_client: FlaskClient, captured: Pipeline) -> None:
    run(captured, "approved")
    page = notify_client.get("/outbox-mail", headers=staff_headers())  # staff only: tests/api/test_outbox_mail.py
    assert page.status_code == 200 and "Goedgekeurd: je aanvraag UL-00001" in page.text
    assert "agenda-afspraak (.ics)" in page.text


def test_dead_letters_listed_and_replayed_by_admins(notify_client: FlaskClient, notify_db) -> None:
    envelope = booking_envelope("submitted")
    letter_id = record_dead_letter(notify_db, DeadLetter, envelope.to_dict(), RuntimeError("db down"), 9)
    assert notify_client.get("/dead-letters", headers=staff_headers()).status_code == 403
    listed = notify_client.get("/dead-letters", headers=staff_headers(role="admin"))
    assert listed.json[0]["type"] == "booking.request.submitted" and "db down" in listed.json[0]["error"]
    replay = notify_client.post(f"/dead-letters/{letter_id}/replay", headers=staff_headers(role="admin"))
    assert replay.status_code == 200 and replay.json["outcome"] == "applied"
    assert replay.json["dead_letter"]["replayed_at"]
    with notify_db.session_factory() as session:
        assert session.get(ProcessedEvent, envelope.id) is not None
    assert notify_client.post("/dead-letters/999/replay", headers=staff_headers(role="admin")).status_code == 404


def test_call_list_and_ical_feeds(notify_client: FlaskClient, captured: Pipeline) -> None:
    pickup = datetime(2027, 6, 12, 8, tzinfo=UTC)
    run(captured, "approved", email=None, pickup_at=pickup)
    day = (pickup - timedelta(days=2)).date().isoformat()
    calls = notify_client.get(f"/call-list?location_id=7&day={day}", headers=staff_headers())
    assert calls.status_code == 200 and calls.json[0]["contact_phone"] == "0470 12 34 56"
    assert notify_client.get(f"/call-list?location_id=8&day={day}", headers=staff_headers()).status_code == 403
    feed = notify_client.get("/ical/locations/7.ics", headers=staff_headers())
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert (
        "UID:booking-1-pickup@uitleen.stad.gent" in feed.text and "UID:booking-1-return@uitleen.stad.gent" in feed.text
    )
    asset_feed = notify_client.get("/ical/assets/11.ics", headers=staff_headers())
    assert "DTSTART:20270612T080000Z" in asset_feed.text
    assert "BEGIN:VEVENT" not in notify_client.get("/ical/assets/12.ics", headers=staff_headers()).text
    assert notify_client.get("/ical/locations/7.ics").status_code == 401


def test_metrics_report_notifications_by_kind_and_status_queue_and_dead_letters(
    notify_client: FlaskClient,
    captured: Pipeline,
    notify_db,
) -> None:
    run(captured, "submitted")
    record_dead_letter(notify_db, DeadLetter, booking_envelope("approved").to_dict(), RuntimeError("boom"), 5)
    text = notify_client.get("/metrics").get_data(as_text=True)
    assert 'uitleen_notifications{kind="request_received",status="sent"} 1.0' in text
    assert 'uitleen_notifications{kind="new_request",status="sent"} 1.0' in text
    assert "uitleen_dead_letters 1.0" in text
    # the pipeline's worker took the event off the queue: nothing is left waiting
    assert 'uitleen_queue_length{queue="notify"} 0.0' in text
