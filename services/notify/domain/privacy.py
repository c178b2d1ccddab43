"""GDPR in notify: blank the copies of an anonymised requester's contact, and export what notify holds.

Notify keeps, per request: its booking copy (``bookings.contact_email`` and the event snapshot with name,
email, phone and answers), the recipient address of every notification sent or planned, the captured mails of
the embedded default, and failed events in ``dead_letters``. ``booking.contact.anonymised`` (v1) blanks all of
them for the request; applying it twice changes nothing more (and the consumer skips a redelivery anyway).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notify.contract import CALL_RECORDED
from services.notify.domain.reasons import Reason
from services.notify.models import (
    Booking,
    CallOutcome,
    CapturedMail,
    DeadLetter,
    OutboxEvent,
    PrivacyAction,
    ScheduledNotification,
)
from shared import clock
from shared.events import Envelope
from shared.privacy import ERASED, Subject, email_key, email_key_sql, national_phone

# Planned messages to the requester that can no longer go anywhere once the contact is gone.
PENDING = ("scheduled", "sending", "call_list")


def scrub_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A booking event payload without the requester's personal fields (the shape booking documents)."""
    scrubbed = dict(snapshot)
    contact = dict(scrubbed.get("contact") or {})
    contact.update({"name": ERASED, "email": None, "phone": None})
    scrubbed["contact"] = contact
    if scrubbed.get("status_url"):
        scrubbed["status_url"] = None
    if (scrubbed.get("actor") or {}).get("kind") == "requester":
        scrubbed["reason"] = None
    scrubbed["items"] = [
        {**item, "requirements": [{**r, "answer": None} for r in item.get("requirements", [])]}
        for item in scrubbed.get("items", [])
    ]
    return scrubbed


def _scrub_dead_letters(session: Session, request_id: int) -> int:
    count = 0
    for letter in session.scalars(sa.select(DeadLetter).where(DeadLetter.type.like("booking.request.%"))):
        payload = (letter.envelope or {}).get("payload") or {}
        if payload.get("request_id") == request_id:
            letter.envelope = {**letter.envelope, "payload": scrub_snapshot(payload)}
            count += 1
    return count


def _scrub_call_events(session: Session, request_id: int) -> int:
    """Blank the notes in notify's own outbox copies of ``notify.call.recorded`` for the request (booking
    blanks its copy when it anonymises the request)."""
    count = 0
    for event in session.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == CALL_RECORDED)):
        if event.payload.get("request_id") == request_id and event.payload.get("note") is not None:
            event.payload = {**event.payload, "note": None}
            count += 1
    return count


def apply_contact_anonymised(session: Session, envelope: Envelope) -> None:
    """Handler of ``booking.contact.anonymised``: blank every copy notify holds of that request's contact."""
    request_id = int(envelope.payload["request_id"])
    booking = session.get(Booking, request_id, with_for_update=True)
    addresses = set()
    if booking is not None:
        if booking.contact_email:
            addresses.add(booking.contact_email)
        booking.contact_email = None
        booking.snapshot = scrub_snapshot(booking.snapshot)
        # A booking.request.* event published before the anonymisation but applied after it must not
        # bring the contact back: the copy now counts as newer than it.
        booking.last_event_at = max(booking.last_event_at, envelope.occurred_at)
        if envelope.payload.get("version") is not None:
            booking.version = max(booking.version or 0, int(envelope.payload["version"]))
    rows = list(session.scalars(sa.select(ScheduledNotification).where(ScheduledNotification.request_id == request_id)))
    message_ids = []
    for row in rows:
        if row.audience != "requester":
            continue
        if row.recipient:
            addresses.add(row.recipient)
        if row.message_id:
            message_ids.append(row.message_id)
        row.recipient = None
        row.secret = None
        row.call_note = None  # what staff noted on the phone may name the person
        if row.status in PENDING:
            row.status, row.lease_until = "skipped", None
            row.reason, row.reason_params = str(Reason.CONTACT_ANONYMISED), None
    if rows:
        session.execute(
            sa.update(CallOutcome).where(CallOutcome.notification_id.in_([r.id for r in rows])).values(note=None)
        )
    _scrub_call_events(session, request_id)
    mail_filter = [email_key_sql(CapturedMail.recipient).in_({email_key(a) for a in addresses})] if addresses else []
    if message_ids:
        mail_filter.append(CapturedMail.message_id.in_(message_ids))
    if mail_filter:
        session.execute(sa.delete(CapturedMail).where(sa.or_(*mail_filter)))
    _scrub_dead_letters(session, request_id)
    session.flush()


def _matching_bookings(session: Session, subject: Subject) -> list[Booking]:
    if subject.kind == "request_id":
        booking = session.get(Booking, int(subject.normalised))
        return [booking] if booking else []
    if subject.kind == "email":
        query = sa.select(Booking).where(email_key_sql(Booking.contact_email) == subject.normalised)
        return list(session.scalars(query.order_by(Booking.request_id)))
    # The phone lives only in the snapshot (JSON): compared in Python, over the bookings that still have one.
    wanted = subject.normalised
    found = []
    for booking in session.scalars(sa.select(Booking).order_by(Booking.request_id)):
        phone = (booking.snapshot.get("contact") or {}).get("phone")
        if phone and national_phone(str(phone)) == wanted:
            found.append(booking)
    return found


def export_person(session: Session, subject: Subject, staff_id: int | None, now: datetime) -> dict[str, Any]:
    """Everything notify holds about the person: booking copies, notifications, captured mails (audited)."""
    bookings = _matching_bookings(session, subject)
    request_ids = [b.request_id for b in bookings]
    addresses = {b.contact_email for b in bookings if b.contact_email}
    if subject.kind == "email":
        addresses.add(subject.normalised)
    conditions = [ScheduledNotification.request_id.in_(request_ids)] if request_ids else []
    if addresses:
        conditions.append(email_key_sql(ScheduledNotification.recipient).in_({email_key(a) for a in addresses}))
    notifications = (
        list(
            session.scalars(
                sa.select(ScheduledNotification).where(sa.or_(*conditions)).order_by(ScheduledNotification.id)
            )
        )
        if conditions
        else []
    )
    # Staff digests list many requesters: only the person's own messages are exported.
    notifications = [n for n in notifications if n.audience == "requester"]
    message_ids = [n.message_id for n in notifications if n.message_id]
    mail_conditions = []
    if addresses:
        mail_conditions.append(email_key_sql(CapturedMail.recipient).in_({email_key(a) for a in addresses}))
    if message_ids:
        mail_conditions.append(CapturedMail.message_id.in_(message_ids))
    mails = (
        list(session.scalars(sa.select(CapturedMail).where(sa.or_(*mail_conditions)).order_by(CapturedMail.id)))
        if mail_conditions
        else []
    )
    session.add(
        PrivacyAction(
            action="export",
            staff_id=staff_id,
            subject_kind=subject.kind,
            subject_fingerprint=subject.fingerprint,
            request_ids=request_ids,
            rows=len(bookings) + len(notifications) + len(mails),
        )
    )
    session.flush()
    return {
        "service": "notify",
        "subject_kind": subject.kind,
        "generated_at": now.isoformat(),
        "bookings": [
            {
                "request_id": b.request_id,
                "reference": b.reference,
                "status": b.status,
                "contact_email": b.contact_email,
                "language": b.language,
                "snapshot": b.snapshot,
            }
            for b in bookings
        ],
        "notifications": [
            {
                "request_id": n.request_id,
                "kind": n.kind,
                "status": n.status,
                "reason": n.reason,
                "reason_params": n.reason_params,
                "recipient": n.recipient,
                "call_outcome": n.call_outcome,
                "call_note": n.call_note,
                "language": n.language,
                "due_at": clock.isoformat(n.due_at),
                "sent_at": clock.isoformat(n.sent_at),
            }
            for n in notifications
        ],
        "captured_mails": [
            {
                "recipient": m.recipient,
                "subject": m.subject,
                "text": m.text,
                "captured_at": clock.isoformat(m.captured_at),
            }
            for m in mails
        ],
    }
