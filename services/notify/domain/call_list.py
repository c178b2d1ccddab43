"""The call list: every message a requester without e-mail should get, for staff to say on the phone.

A message is on the list of its ``call_day`` (the day it is due, or the day it was planned when that was later:
never a day already past) and of every later day until a staff member notes "gebeld" (``reached``); "niet
bereikt" (``unreached``) keeps it on the next day's list. A reminder that no longer fits (its pick-up passed,
the loan was cancelled) drops off. What to say comes from the message's own template: its subject and key
facts, in the resident's language, with the reference the resident can quote.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notify import contract
from services.notify.config import NotifyConfig
from services.notify.domain import notifications, render
from services.notify.domain.copies import location_of
from services.notify.domain.schedule import REMINDER_KINDS, BookingState, digest_due, still_relevant
from services.notify.models import CALL_OUTCOMES, Booking, CallOutcome, Location, OutboxEvent, ScheduledNotification
from shared.auth import Principal
from shared.clock import BRUSSELS
from shared.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from shared.events import Envelope, record_event

log = logging.getLogger("uitleen.notify.call_list")
ON_THE_LIST = ("scheduled", "sending", "call_list")
NOTE_LENGTH = 500


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a Brussels day starts and ends (23 or 25 hours on the switch days)."""
    start = datetime.combine(day, time(), tzinfo=BRUSSELS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=BRUSSELS).astimezone(UTC)
    return start, end


def entries(
    session: Session, location_ids: list[int] | None, day: date, config: NotifyConfig, now: datetime
) -> list[dict[str, Any]]:
    """Whom to phone on ``day`` (Brussels) at these centres (None: every centre), by centre and booking."""
    start, end = day_bounds(day)
    query = (
        sa.select(ScheduledNotification, Booking)
        .join(Booking, Booking.request_id == ScheduledNotification.request_id)
        .where(
            ScheduledNotification.audience == "requester",
            ScheduledNotification.status.in_(ON_THE_LIST),
            ScheduledNotification.call_day <= day,
            Booking.contact_email.is_(None),
            sa.or_(
                ScheduledNotification.call_outcome.is_(None),
                ScheduledNotification.call_outcome == "unreached",
                sa.and_(ScheduledNotification.called_at >= start, ScheduledNotification.called_at < end),
            ),
        )
        .order_by(ScheduledNotification.location_id, ScheduledNotification.request_id, ScheduledNotification.due_at)
    )
    if location_ids is not None:
        query = query.where(ScheduledNotification.location_id.in_(location_ids or [-1]))
    names = {loc.id: loc.name for loc in session.scalars(sa.select(Location))}
    found = []
    moment = max(now, start)
    for row, booking in session.execute(query).all():
        if not (booking.snapshot.get("contact") or {}).get("phone"):
            continue  # nobody to call (a desk request without e-mail or phone): the dispatch skips it, saying so
        if (
            row.kind in REMINDER_KINDS
            and row.call_outcome != "reached"
            and _no_longer_fits(row, booking, moment, config)
        ):
            continue
        found.append(_entry(session, row, booking, config, names))
    return found


def _no_longer_fits(row: ScheduledNotification, booking: Booking, moment: datetime, config: NotifyConfig) -> bool:
    state = BookingState(
        booking.status, booking.pickup_at, booking.return_at, bool(booking.snapshot.get("actual_return_at"))
    )
    return still_relevant(row.kind, state, moment, config) is not None


def _entry(
    session: Session, row: ScheduledNotification, booking: Booking, config: NotifyConfig, names: dict[int, str]
) -> dict[str, Any]:
    contact = booking.snapshot.get("contact") or {}
    language = booking.language
    location = location_of(session, booking)
    context = render.booking_context(booking.snapshot, location, language, config.public_url)
    try:
        subject, _text, _html = render.render(row.kind, language, context)
        facts = render.key_facts(row.kind, language, context)
    except Exception:  # one broken template must not hide the rest of the list
        log.exception("call list: cannot render notification %s", row.id)
        subject, facts = booking.reference, []
    return {
        "notification_id": row.id,
        "request_id": booking.request_id,
        "reference": booking.reference,
        "location_id": booking.location_id,
        "location_name": names.get(booking.location_id) or location.get("name") or "",
        "kind": row.kind,
        "what": subject,
        "facts": [{"label": label, "value": value} for label, value in facts],
        "due_at": row.due_at,
        "status": row.status,
        "contact_name": contact.get("name") or "",
        "contact_phone": contact.get("phone"),
        "language": language,
        "items": ", ".join(context["items"]),
        "pickup_at": booking.pickup_at,
        "return_at": booking.return_at,
        "call_outcome": row.call_outcome,
        "call_note": row.call_note,
        "called_at": row.called_at,
        "called_by": row.called_by,
    }


def record_call(
    session: Session,
    notification_id: int,
    outcome: str,
    note: str | None,
    reader: Principal,
    now: datetime,
    config: NotifyConfig,
) -> ScheduledNotification:
    """Note that staff phoned about a message ("gebeld" = reached, "niet bereikt" = unreached), audited.

    Raises NotFound (no such message on a call list), Forbidden (another centre's), InvalidInput (outcome, note).
    """
    row = session.get(ScheduledNotification, notification_id, with_for_update=True)
    if row is None or row.location_id is None:
        raise NotFound(code="not_on_call_list")
    if not reader.works_at(row.location_id):
        raise Forbidden(code="other_centre")
    if row.audience != "requester" or row.status not in ON_THE_LIST:
        raise NotFound(code="not_on_call_list")
    if outcome not in CALL_OUTCOMES:
        raise InvalidInput(problems=[FieldProblem("outcome", "one_of", {"choices": list(CALL_OUTCOMES)})])
    note = " ".join((note or "").split()) or None
    if note is not None and len(note) > NOTE_LENGTH:
        raise InvalidInput(problems=[FieldProblem("note", "too_long", {"max": NOTE_LENGTH})])
    row.call_outcome, row.call_note, row.called_at, row.called_by = outcome, note, now, reader.name
    call = CallOutcome(
        notification_id=row.id,
        outcome=outcome,
        note=note,
        staff_id=reader.staff_id,
        staff_name=reader.name,
        recorded_at=now,
    )
    session.add(call)
    session.flush()  # the call's id is the event's
    _emit_call_recorded(session, row, call)
    if outcome == "unreached":
        # it stays on tomorrow's list, so tomorrow's morning digest must exist too
        tomorrow = now.astimezone(BRUSSELS).date() + timedelta(days=1)
        notifications.ensure_digest(session, row.location_id, digest_due(tomorrow, config))
    session.flush()
    return row


def _emit_call_recorded(session: Session, row: ScheduledNotification, call: CallOutcome) -> None:
    """``notify.call.recorded`` in the same transaction as the call: booking shows it on the request's page."""
    booking = session.get(Booking, row.request_id) if row.request_id is not None else None
    if booking is None:  # a call-list row always has its booking; without one there is no request to tell
        log.warning("call %s: notification %s has no booking; no event", call.id, row.id)
        return
    data = {
        "call_id": call.id,
        "request_id": booking.request_id,
        "reference": booking.reference,
        "location_id": booking.location_id,
        "kind": row.kind,
        "outcome": call.outcome,
        "note": call.note,
        "staff_id": call.staff_id,
        "staff_name": call.staff_name,
        "recorded_at": call.recorded_at,
    }
    version, payload = contract.payload_of(contract.CALL_RECORDED, data)
    envelope = Envelope(type=contract.CALL_RECORDED, payload=payload, producer=contract.PRODUCER, version=version)
    record_event(session, OutboxEvent, envelope)


def history(session: Session, notification_ids: list[int]) -> dict[int, list[CallOutcome]]:
    """Every outcome noted per message, oldest first (what the page shows under an entry)."""
    found: dict[int, list[CallOutcome]] = {}
    if not notification_ids:
        return found
    query = (
        sa.select(CallOutcome)
        .where(CallOutcome.notification_id.in_(notification_ids))
        .order_by(CallOutcome.recorded_at, CallOutcome.id)
    )
    for outcome in session.scalars(query):
        found.setdefault(outcome.notification_id, []).append(outcome)
    return found
