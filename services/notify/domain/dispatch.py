"""Sending what is due: claim (short transaction), render, send (outside any transaction), settle.

At least once, at most once more: a row is marked ``sending`` with a lease before the SMTP conversation and
``sent`` after it. A worker killed in between leaves the row ``sending``; when the lease runs out the next
dispatch takes it again, so the message goes out again at most once per lost worker. Temporary SMTP failures
put the row back to ``scheduled`` with a back-off; permanent ones (or too many attempts) end in ``failed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notify.config import NotifyConfig
from services.notify.domain import notifications, render
from services.notify.domain.ical import calendar, loan_event
from services.notify.domain.mail import MailSender, Message, PermanentFailure, TemporaryFailure, notification_message_id
from services.notify.domain.schedule import REMINDER_KINDS, still_relevant
from services.notify.models import Booking, Location, ScheduledNotification
from shared import clock
from shared.clock import BRUSSELS
from shared.consumer import retry_delay
from shared.db import Database

log = logging.getLogger("uitleen.notify.dispatch")


@dataclass
class DispatchResult:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


@dataclass(frozen=True)
class Skip:
    status: str  # skipped | call_list
    reason: str


def location_of(session: Session, booking: Booking) -> dict[str, Any]:
    """The booking's location: notify's copy from inventory events if newer, else the booking's snapshot."""
    data = dict(booking.snapshot.get("location") or {})
    copy = session.get(Location, booking.location_id)
    if copy is not None and copy.last_event_at >= booking.last_event_at:
        data.update(copy.snapshot)
    return data


def call_list(session: Session, location_id: int, day: Any) -> list[dict[str, Any]]:
    """Requester reminders due on ``day`` (Brussels) at the location for people without email: staff phone them."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=BRUSSELS)
    rows = session.execute(
        sa.select(ScheduledNotification, Booking)
        .join(Booking, Booking.request_id == ScheduledNotification.request_id)
        .where(
            ScheduledNotification.location_id == location_id,
            ScheduledNotification.audience == "requester",
            ScheduledNotification.kind.in_(REMINDER_KINDS),
            ScheduledNotification.status.in_(("scheduled", "sending", "call_list")),
            ScheduledNotification.due_at >= start,
            ScheduledNotification.due_at < start + timedelta(days=1),
            Booking.contact_email.is_(None),
        )
        .order_by(ScheduledNotification.due_at)
    ).all()
    entries = []
    for row, booking in rows:
        contact = booking.snapshot.get("contact") or {}
        items = ", ".join(str(i.get("asset_name_nl") or i.get("asset_code")) for i in booking.snapshot.get("items", []))
        entries.append(
            {
                "notification_id": row.id,
                "request_id": booking.request_id,
                "reference": booking.reference,
                "kind": row.kind,
                "what": WHAT_TO_SAY.get(row.kind, row.kind),
                "due_at": row.due_at,
                "status": row.status,
                "contact_name": contact.get("name") or "",
                "contact_phone": contact.get("phone"),
                "language": booking.language,
                "items": items,
                "pickup_at": booking.pickup_at,
                "return_at": booking.return_at,
            }
        )
    return entries


WHAT_TO_SAY = {
    "pickup_reminder": "herinneren aan ophalen",
    "return_reminder": "herinneren aan terugbrengen",
    "overdue_notice": "te laat: vragen om terug te brengen",
}


def prepare(session: Session, row: ScheduledNotification, config: NotifyConfig, now: datetime) -> Message | Skip:
    """The message for a claimed row, or why none goes out (booking changed, no address, nothing to say)."""
    if row.kind == "call_list_digest":
        return _prepare_digest(session, row, config)
    booking = session.get(Booking, row.request_id) if row.request_id is not None else None
    if booking is None:
        return Skip("skipped", "booking unknown to notify")
    if row.kind in REMINDER_KINDS:
        returned = bool(booking.snapshot.get("actual_return_at"))
        relevant, why = still_relevant(row.kind, booking.status, booking.pickup_at, booking.return_at, returned, now)
        if not relevant:
            return Skip("skipped", why)
    location = location_of(session, booking)
    if row.audience == "requester":
        language = booking.language
        recipient = booking.contact_email
        if not recipient:
            row.language = language
            return Skip("call_list", "no email address: on the location's call list for staff to phone")
    else:
        language, recipient = "nl", location.get("email")
        if not recipient:
            return Skip("skipped", "the location has no email address")
    context = render.booking_context(booking.snapshot, location, language, config.public_url, row.secret)
    subject, text, html = render.render(row.kind, language, context)
    ics = calendar([loan_event(booking.snapshot, location, language, now)], subject) if row.kind == "approved" else None
    row.recipient, row.language = recipient, language
    return Message(recipient, subject, text, html, notification_message_id(row.id), ics)


def _prepare_digest(session: Session, row: ScheduledNotification, config: NotifyConfig) -> Message | Skip:
    assert row.location_id is not None
    location = session.get(Location, row.location_id)
    day = row.due_at.astimezone(BRUSSELS).date()
    entries = call_list(session, row.location_id, day)
    if not entries:
        return Skip("skipped", "nobody to phone that day")
    if location is None or not location.email:
        return Skip("skipped", "the location has no email address")
    context = {
        "entries": entries,
        "day": day.isoformat(),
        "location_name": location.name,
        "location_id": location.id,
        "public_url": config.public_url,
    }
    subject, text, html = render.render("call_list_digest", "nl", context)
    row.recipient, row.language = location.email, "nl"
    return Message(location.email, subject, text, html, notification_message_id(row.id))


def deliver(database: Database, sender: MailSender, config: NotifyConfig, notification_id: int) -> str:
    """Send one claimed notification and record the outcome; returns the row's new status."""
    with database.transaction() as session:
        row = session.get(ScheduledNotification, notification_id, with_for_update=True)
        if row is None or row.status != "sending":
            return "gone"
        try:
            prepared = prepare(session, row, config, clock.now())
        except Exception as error:  # a broken template must not block the queue: log it on the row
            log.exception("notification %s: cannot render", notification_id)
            notifications.settle(row, "failed", clock.now(), last_error=f"render: {type(error).__name__}: {error}")
            return "failed"
        if isinstance(prepared, Skip):
            notifications.settle(row, prepared.status, clock.now(), reason=prepared.reason)
            return prepared.status
        row.message_id = prepared.message_id
        attempts = row.attempts
    try:
        sender.send(prepared)
    except TemporaryFailure as error:
        return _after_failure(database, config, notification_id, attempts, str(error), permanent=False)
    except PermanentFailure as error:
        return _after_failure(database, config, notification_id, attempts, str(error), permanent=True)
    with database.transaction() as session:
        row = session.get(ScheduledNotification, notification_id)
        assert row is not None
        notifications.settle(row, "sent", clock.now(), last_error=None)
    return "sent"


def _after_failure(
    database: Database, config: NotifyConfig, notification_id: int, attempts: int, error: str, permanent: bool
) -> str:
    with database.transaction() as session:
        row = session.get(ScheduledNotification, notification_id)
        assert row is not None
        now = clock.now()
        if permanent or attempts >= config.max_send_attempts:
            why = "permanent failure" if permanent else f"gave up after {attempts} attempts"
            notifications.settle(row, "failed", now, last_error=error, reason=why)
            log.warning("notification %s failed: %s (%s)", notification_id, why, error)
            return "failed"
        delay = retry_delay(attempts - 1, config.retry_base_seconds, config.retry_max_seconds)
        notifications.settle(row, "scheduled", now, last_error=error, not_before=now + timedelta(seconds=delay))
        log.info("notification %s: temporary failure, retry in %.0f s: %s", notification_id, delay, error)
        return "retry"


def dispatch_due(database: Database, sender: MailSender, config: NotifyConfig, max_rows: int = 500) -> DispatchResult:
    """Claim and send what is due now, a batch at a time, until nothing is due (or ``max_rows`` handled)."""
    result = DispatchResult()
    handled = 0
    while handled < max_rows:
        with database.transaction() as session:
            ids = [row.id for row in notifications.claim_due(session, clock.now(), config.send_lease_seconds)]
        if not ids:
            break
        for notification_id in ids:
            result.add(deliver(database, sender, config, notification_id))
        handled += len(ids)
    return result
