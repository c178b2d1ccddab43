"""No silent changes: expiry, reschedule and cancellation are told to the requester (with the calendar appointment
moved or removed), and the centre is warned the day before a pending request would expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from services.notify.domain.mail import Message
from shared import clock
from tests.event_factories import booking_envelope, write_booking_events
from tests.integration.test_notify_flow import rows
from tests.support.notify import Pipeline, RecordingSender

pytestmark = [pytest.mark.postgres]
T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
PICKUP = datetime(2027, 6, 12, 8, 0, tzinfo=UTC)


def emit(pipeline: Pipeline, verb: str, at: datetime, **payload: object) -> None:
    clock.set_clock(at)
    with pipeline.booking_db.transaction() as session:
        write_booking_events(session, [booking_envelope(verb, occurred_at=at, **payload)])
    pipeline.relay()
    pipeline.dispatch()


def appointment(message: Message) -> icalendar.Event:
    assert message.ics is not None, message.subject
    parsed = icalendar.Calendar.from_ical(message.ics)
    [event] = parsed.walk("VEVENT")
    return event


def test_a_reschedule_moves_the_appointment_and_a_cancellation_removes_it(
    pipeline: Pipeline,
    sender: RecordingSender,
) -> None:
    emit(pipeline, "approved", T0, pickup_at=PICKUP, version=3)
    moved = PICKUP + timedelta(days=7)
    emit(pipeline, "rescheduled", T0 + timedelta(hours=1), pickup_at=moved, version=5)
    emit(pipeline, "cancelled", T0 + timedelta(hours=2), pickup_at=moved, version=6, reason="storm")
    approved, rescheduled, cancelled = sender.sent
    assert rescheduled.subject == "Nieuwe tijden voor je uitlening UL-00001"
    assert "Ophalen: zaterdag 19 juni 2027 om 10:00" in rescheduled.text and "/status/geheim-1" in rescheduled.text
    first, second, gone = appointment(approved), appointment(rescheduled), appointment(cancelled)
    assert first["UID"] == second["UID"] == gone["UID"] == "booking-1@uitleen.stad.gent"
    assert int(first["SEQUENCE"]) < int(second["SEQUENCE"]) < int(gone["SEQUENCE"])
    assert second.decoded("DTSTART") == moved and first.decoded("DTSTART") == PICKUP
    assert (approved.ics_method, rescheduled.ics_method, cancelled.ics_method) == ("REQUEST", "REQUEST", "CANCEL")
    assert str(gone["STATUS"]) == "CANCELLED" and "Reden: storm" in cancelled.text
    assert icalendar.Calendar.from_ical(cancelled.ics or "")["METHOD"] == "CANCEL"


def test_an_expired_request_is_told_to_the_requester(pipeline: Pipeline, sender: RecordingSender) -> None:
    emit(pipeline, "submitted", T0)
    emit(pipeline, "expired", T0 + timedelta(days=3), reason_code="not_decided_in_time")
    expired = sender.sent[-1]
    assert (expired.to, expired.subject) == ("buren@example.org", "Je aanvraag UL-00001 is vervallen")
    assert "het buurtcentrum kon ze niet op tijd bekijken" in expired.text
    emit(pipeline, "expired", T0, request_id=2, language="en", reason_code="not_decided_in_time")
    assert sender.sent[-1].subject == "Your request UL-00002 has expired"


def test_the_centre_is_warned_the_day_before_a_pending_request_expires(
    pipeline: Pipeline,
    sender: RecordingSender,
) -> None:
    emit(pipeline, "submitted", T0, created_at=T0)
    new_request = sender.sent[1]
    assert "Zonder beslissing vervalt de aanvraag op vrijdag 4 juni 2027 om 11:00" in new_request.text
    [warning] = rows(pipeline.notify_db, kind="expiry_warning")
    assert (warning.audience, warning.due_at) == ("staff", T0 + timedelta(hours=48))
    clock.set_clock(T0 + timedelta(hours=48, minutes=1))
    pipeline.dispatch()
    alert = sender.sent[-1]
    assert (alert.to, alert.subject) == (
        "bc.dampoort@example.org",
        "Verloopt bijna: aanvraag UL-00001 (Caravan doorgeefbazaar)",
    )
    assert "vervalt ze op vrijdag 4 juni 2027 om 11:00" in alert.text
    # decided in time: no warning
    emit(pipeline, "submitted", T0, request_id=2, created_at=T0)
    emit(pipeline, "approved", T0 + timedelta(hours=1), request_id=2)
    [skipped] = rows(pipeline.notify_db, kind="expiry_warning", request_id=2)
    assert (skipped.status, skipped.reason, skipped.reason_params) == ("skipped", "stale", {"status": "approved"})


def test_a_centre_without_an_email_address_sees_its_skipped_alerts_counted(
    pipeline: Pipeline,
    sender: RecordingSender,
) -> None:
    from services.notify.domain.notifications import skipped_staff_alerts
    from tests.event_factories import location_payload

    emit(pipeline, "submitted", T0, location=location_payload(email=None))
    [alert] = rows(pipeline.notify_db, kind="new_request")
    assert (alert.status, alert.reason) == ("skipped", "location_no_email")
    with pipeline.notify_db.session_factory() as session:
        assert skipped_staff_alerts(session, [7]) == 1 and skipped_staff_alerts(session, [8]) == 0
