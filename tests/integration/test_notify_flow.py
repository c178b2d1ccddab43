"""booking outbox → relay → notify consumer → schedule → dispatcher, in-process, on real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.notify.domain import call_list
from services.notify.domain.dispatch import dispatch_due
from services.notify.domain.mail import TemporaryFailure
from services.notify.models import Booking, ScheduledNotification
from shared import clock
from shared.db import Database
from shared.timeparse import parse_instant
from tests.event_factories import booking_envelope, write_booking_events
from tests.support.notify import Pipeline, RecordingSender

pytestmark = [pytest.mark.postgres]

T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
PICKUP = datetime(2027, 6, 12, 8, 0, tzinfo=UTC)  # Saturday 10:00 Brussels


def emit(pipeline: Pipeline, verb: str, at: datetime, **payload: object) -> None:
    clock.set_clock(at)
    with pipeline.booking_db.transaction() as session:
        write_booking_events(session, [booking_envelope(verb, occurred_at=at, **payload)])
    pipeline.relay()
    pipeline.dispatch()


def rows(db: Database, **where: object) -> list[ScheduledNotification]:
    with db.session_factory() as session:
        query = sa.select(ScheduledNotification).order_by(ScheduledNotification.id)
        for name, value in where.items():
            query = query.where(getattr(ScheduledNotification, name) == value)
        return list(session.scalars(query))


def test_submitted_then_approved_sends_the_right_mails(pipeline: Pipeline, sender: RecordingSender) -> None:
    emit(pipeline, "submitted", T0, pickup_at=PICKUP)
    assert [(m.to, m.subject) for m in sender.sent] == [
        ("buren@example.org", "We ontvingen je aanvraag UL-00001"),
        ("bc.dampoort@example.org", "Nieuwe aanvraag UL-00001: Caravan doorgeefbazaar"),
    ]
    assert "/status/geheim-1" in sender.sent[0].text
    emit(pipeline, "approved", T0 + timedelta(hours=1), pickup_at=PICKUP)
    approved = sender.sent[2]
    assert approved.subject == "Goedgekeurd: je aanvraag UL-00001" and approved.ics is not None
    assert "DTSTART:20270612T080000Z" in approved.ics and "Wagen met trekhaak" in approved.text
    reminders = {r.kind: r for r in rows(pipeline.notify_db, status="scheduled")}
    # caravan: two days before, 10:00 Brussels (08:00 UTC in summer)
    assert reminders["pickup_reminder"].due_at == datetime(2027, 6, 10, 8, 0, tzinfo=UTC)
    assert set(reminders) == {"pickup_reminder", "return_reminder", "overdue_notice", "overdue_escalation"}
    # The event is redelivered: nothing new.
    pipeline.publish("notify", pipeline.published[-1][1])
    pipeline.dispatch()
    assert len(sender.sent) == 3


def test_english_requester_gets_english_mail(pipeline: Pipeline, sender: RecordingSender) -> None:
    emit(pipeline, "approved", T0, language="en")
    assert sender.sent[0].subject == "Approved: your request UL-00001"
    assert rows(pipeline.notify_db, kind="approved")[0].language == "en"


def test_pickup_reminder_arrives_once_when_due_and_reschedule_leaves_no_stale_one(
    pipeline: Pipeline,
    sender: RecordingSender,
) -> None:
    emit(pipeline, "approved", T0, pickup_at=PICKUP)
    emit(pipeline, "rescheduled", T0 + timedelta(hours=1), pickup_at=PICKUP + timedelta(days=7))
    stale = rows(pipeline.notify_db, kind="pickup_reminder", status="skipped")
    assert len(stale) == 1 and (stale[0].reason, stale[0].reason_params) == ("stale", {"status": "approved"})
    sent_before = len(sender.sent)
    clock.set_clock(datetime(2027, 6, 10, 8, 30, tzinfo=UTC))  # the old reminder's time: nothing
    pipeline.dispatch()
    assert len(sender.sent) == sent_before
    clock.set_clock(datetime(2027, 6, 17, 8, 0, tzinfo=UTC))
    pipeline.dispatch()
    pipeline.dispatch()
    assert [m.subject for m in sender.sent[sent_before:]] == ["Herinnering: ophalen zaterdag 19 juni 2027 om 10:00"]


def test_cancelled_booking_gets_no_reminder(pipeline: Pipeline, sender: RecordingSender) -> None:
    emit(pipeline, "approved", T0, pickup_at=PICKUP)
    emit(pipeline, "cancelled", T0 + timedelta(hours=1), pickup_at=PICKUP, reason="Caravan defect")
    assert "Reden: Caravan defect" in sender.sent[-1].text
    clock.set_clock(PICKUP + timedelta(days=30))
    assert pipeline.dispatch().counts == {}
    assert not rows(pipeline.notify_db, status="scheduled")


def test_an_older_event_arriving_late_does_not_roll_the_copy_back(pipeline: Pipeline) -> None:
    emit(pipeline, "cancelled", T0 + timedelta(hours=1))
    emit(pipeline, "approved", T0)
    with pipeline.notify_db.session_factory() as session:
        assert session.get(Booking, 1).status == "cancelled"  # type: ignore[union-attr]
    assert not rows(pipeline.notify_db, status="scheduled")
    [late] = rows(pipeline.notify_db, kind="approved")
    assert (late.status, late.reason, late.reason_params) == ("skipped", "out_of_order", {"status": "cancelled"})


def test_a_reminder_missed_while_workers_were_down_goes_out_if_still_relevant(
    pipeline: Pipeline,
    sender: RecordingSender,
) -> None:
    emit(pipeline, "approved", T0, pickup_at=PICKUP, items=[_tool_item()])
    clock.set_clock(PICKUP - timedelta(hours=3))  # the workers were down at the reminder hour, back now
    pipeline.dispatch()
    assert sender.sent[-1].subject.startswith("Herinnering: ophalen")
    emit(pipeline, "approved", T0, request_id=2, pickup_at=PICKUP)
    clock.set_clock(PICKUP + timedelta(minutes=5))  # back only after the pick-up: too late to remind
    pipeline.dispatch()
    skipped = rows(pipeline.notify_db, request_id=2, kind="pickup_reminder")[0]
    assert skipped.status == "skipped" and skipped.reason == "pickup_passed"


def _tool_item() -> dict[str, object]:
    return {
        "asset_id": 12,
        "asset_code": "naaimachine-1",
        "asset_name_nl": "Naaimachine",
        "asset_name_en": "Sewing machine",
        "category": "sewing_machine",
        "quantity": 1,
        "requirements": [],
    }


def test_two_dispatchers_at_once_send_each_reminder_once(
    pipeline: Pipeline,
    sender: RecordingSender,
) -> None:
    for request_id in range(1, 41):
        emit(pipeline, "approved", T0, request_id=request_id, pickup_at=PICKUP)
    before = len(sender.sent)
    clock.set_clock(PICKUP - timedelta(hours=1))
    threads = [threading.Thread(target=pipeline.dispatch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    reminders = [m.message_id for m in sender.sent[before:]]
    assert len(reminders) == 40 and len(set(reminders)) == 40


def test_temporary_failures_are_retried_with_back_off_then_fail_clearly(
    pipeline: Pipeline,
    sender: RecordingSender,
) -> None:
    sender.fail_with = TemporaryFailure("421 try later")
    emit(pipeline, "rejected", T0, reason="Al uitgeleend")
    row = rows(pipeline.notify_db, kind="rejected")[0]
    assert row.status == "scheduled" and row.attempts == 1 and row.not_before == T0 + timedelta(seconds=60)
    clock.set_clock(T0 + timedelta(seconds=61))
    sender.fail_with = None
    pipeline.dispatch()
    row = rows(pipeline.notify_db, kind="rejected")[0]
    assert row.status == "sent" and row.attempts == 2 and "Reden: Al uitgeleend" in sender.sent[0].text


def test_a_worker_lost_mid_send_is_taken_over_after_the_lease(pipeline: Pipeline) -> None:
    from services.notify.domain import notifications

    emit(pipeline, "submitted", T0)  # sent at once by the pipeline
    emit(pipeline, "approved", T0 + timedelta(minutes=1))
    with pipeline.notify_db.transaction() as session:
        session.execute(
            sa.update(ScheduledNotification)
            .where(ScheduledNotification.kind.in_(("request_received", "new_request", "approved")))
            .values(status="scheduled", not_before=T0)
        )
        claimed = notifications.claim_next(session, T0 + timedelta(minutes=2), lease_seconds=120)
        assert claimed is not None  # this "worker" dies now without settling
        notifications.take_lease(claimed, T0 + timedelta(minutes=2), 120)
    clock.set_clock(T0 + timedelta(minutes=2, seconds=1))
    assert pipeline.dispatch().counts == {"sent": 2}  # the rows it had not claimed go out at once
    clock.set_clock(T0 + timedelta(minutes=3))
    assert pipeline.dispatch().counts.get("sent") is None
    clock.set_clock(T0 + timedelta(minutes=5))
    assert pipeline.dispatch().counts == {"sent": 1}


def test_phone_only_requester_lands_on_the_call_list_and_staff_digest(
    pipeline: Pipeline,
    sender: RecordingSender,
) -> None:
    clock.set_clock(T0)
    emit(pipeline, "approved", T0, email=None, pickup_at=PICKUP)
    assert rows(pipeline.notify_db, kind="approved")[0].status == "call_list"
    # nobody to email: the approval is on today's call list, and today's digest (08:00 passed) goes out at once
    [digest] = sender.sent
    assert digest.to == "bc.dampoort@example.org" and digest.subject.startswith("Bellijst 2027-06-01: 1 oproep")
    assert "An Peeters, 0470 12 34 56 (UL-00001): Goedgekeurd: je aanvraag UL-00001" in digest.text
    reminder_day = datetime(2027, 6, 10).date()
    with pipeline.notify_db.session_factory() as session:
        entries = call_list.entries(session, [7], reminder_day, pipeline.config, T0)
    # the approval nobody ticked stays on the list; the pick-up reminder joins it on its day
    assert [(e["kind"], e["contact_phone"]) for e in entries] == [
        ("approved", "0470 12 34 56"),
        ("pickup_reminder", "0470 12 34 56"),
    ]
    clock.set_clock(datetime(2027, 6, 10, 6, 5, tzinfo=UTC))  # 08:05 Brussels: the morning digest
    pipeline.dispatch()
    digest = sender.sent[-1]
    assert digest.subject.startswith("Bellijst 2027-06-10: 2 oproep")
    assert "An Peeters, 0470 12 34 56 (UL-00001): Herinnering: ophalen zaterdag 12 juni 2027 om 10:00" in digest.text
    assert "Meebrengen of regelen: Wagen met trekhaak; Extra nummerplaat voor de caravan" in digest.text
    clock.set_clock(datetime(2027, 6, 10, 8, 5, tzinfo=UTC))
    pipeline.dispatch()
    assert rows(pipeline.notify_db, kind="pickup_reminder")[0].status == "call_list"


def test_overdue_notice_then_escalation_to_staff(pipeline: Pipeline, sender: RecordingSender) -> None:
    back = PICKUP + timedelta(days=2)
    emit(pipeline, "picked_up", PICKUP, pickup_at=PICKUP, return_at=back, actual_pickup_at=PICKUP.isoformat())
    clock.set_clock(back + timedelta(hours=3))
    pipeline.dispatch()
    clock.set_clock(back + timedelta(hours=25))
    pipeline.dispatch()
    subjects = [(m.to, m.subject) for m in sender.sent]
    assert ("buren@example.org", "Caravan doorgeefbazaar is nog niet terug") in subjects
    assert subjects[-1][0] == "bc.dampoort@example.org" and subjects[-1][1].startswith("Te laat: UL-00001")


@pytest.mark.parametrize(
    ("pickup_local", "expected_due_utc"),
    [
        ("2027-03-29T10:00", datetime(2027, 3, 28, 8, 0, tzinfo=UTC)),  # reminder on the spring-switch day (CEST)
        ("2027-11-01T10:00", datetime(2027, 10, 31, 9, 0, tzinfo=UTC)),  # reminder on the autumn-switch day (CET)
    ],
)
def test_dst_switch_reminder_sent_once_at_ten_local(
    pipeline: Pipeline,
    sender: RecordingSender,
    pickup_local: str,
    expected_due_utc: datetime,
) -> None:
    pickup = parse_instant(pickup_local)
    emit(pipeline, "approved", pickup - timedelta(days=10), pickup_at=pickup, items=[_tool_item()])
    before = len(sender.sent)
    sent_at: list[datetime] = []
    instant = expected_due_utc - timedelta(hours=14)
    while instant < pickup:  # walk across the switch in 15-minute beats
        clock.set_clock(instant)
        if pipeline.dispatch().counts.get("sent"):
            sent_at.append(instant)
        instant += timedelta(minutes=15)
    assert len(sender.sent) - before == 1 and sent_at == [expected_due_utc]
    assert clock.to_local(sent_at[0]).hour == 10


def test_dispatch_with_nothing_due_does_nothing(notify_db: Database) -> None:
    assert dispatch_due(notify_db, RecordingSender(), pipeline_config()).counts == {}


def pipeline_config():  # type: ignore[no-untyped-def]
    from services.notify.config import NotifyConfig

    return NotifyConfig()
