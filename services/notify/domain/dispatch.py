"""Sending what is due: claim one row (short transaction), build it, send (outside any transaction), settle.

At least once, at most once more: a row is marked ``sending`` with a lease before the SMTP conversation and
``sent`` after it. A worker killed in between leaves that one row ``sending`` (rows are claimed one at a time, so
no other row waits with it); when the lease runs out the next dispatch takes it again, so the message goes out
again at most once per lost worker, and a row whose workers keep dying fails after ``NOTIFY_MAX_SEND_ATTEMPTS``.

One tick sends every due message over one SMTP connection (``SmtpSender.session``); the connection is shared,
the outcome is not: every row is settled on its own. A row whose message cannot be built (a template error, a
header or an address that cannot be encoded) is ``failed`` with its reason at once; temporary SMTP failures put
it back to ``scheduled`` with a back-off; permanent ones (or too many attempts) end in ``failed``. Nothing one
row does stops the rows after it (a connection it broke is reopened for the next).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.notify.config import NotifyConfig
from services.notify.domain import call_list, notifications, render
from services.notify.domain.copies import location_of
from services.notify.domain.ical import calendar, loan_appointment
from services.notify.domain.mail import (
    BadAddress,
    MailSender,
    Message,
    PermanentFailure,
    TemporaryFailure,
    built,
    check_address,
    notification_message_id,
    sending_session,
)
from services.notify.domain.reasons import Reason, Why
from services.notify.domain.schedule import CALENDAR_METHOD, REMINDER_KINDS, BookingState, expires_at, still_relevant
from services.notify.models import Booking, Location, ScheduledNotification
from shared import clock
from shared.clock import BRUSSELS
from shared.consumer import retry_delay
from shared.db import Database

log = logging.getLogger("uitleen.notify.dispatch")
# A dispatch stops after this many rows in a row it could not even settle (the database is away): the next
# beat tries again, rather than one tick spinning through its whole budget.
MAX_CONSECUTIVE_ERRORS = 3


@dataclass
class DispatchResult:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


@dataclass(frozen=True)
class Skip:
    status: str  # skipped | call_list
    why: Why


def booking_state(booking: Booking) -> BookingState:
    created = booking.snapshot.get("created_at")
    return BookingState(
        status=booking.status,
        pickup_at=booking.pickup_at,
        return_at=booking.return_at,
        returned=bool(booking.snapshot.get("actual_return_at")),
        created_at=datetime.fromisoformat(str(created).replace("Z", "+00:00")) if created else None,
    )


def reachable_by_phone(booking: Booking) -> bool:
    """Whether staff can phone the requester (a desk request may have neither e-mail nor phone)."""
    return bool((booking.snapshot.get("contact") or {}).get("phone"))


def decide_by(booking: Booking, config: NotifyConfig) -> datetime | None:
    """When the pending request expires if nobody decides (None when notify does not know its submission)."""
    state = booking_state(booking)
    if booking.status != "requested" or state.created_at is None:
        return None
    return expires_at(state.created_at, state.pickup_at, config)


def prepare(session: Session, row: ScheduledNotification, config: NotifyConfig, now: datetime) -> Message | Skip:
    """The message for a claimed row, or why none goes out (booking changed, no address, nothing to say)."""
    if row.kind == "call_list_digest":
        return _prepare_digest(session, row, config, now)
    booking = session.get(Booking, row.request_id) if row.request_id is not None else None
    if booking is None:
        return Skip("skipped", Why(Reason.BOOKING_UNKNOWN))
    if row.kind in REMINDER_KINDS:
        why = still_relevant(row.kind, booking_state(booking), now, config)
        if why is not None:
            return Skip("skipped", why)
    location = location_of(session, booking)
    if row.audience == "requester":
        language, recipient = booking.language, booking.contact_email
        if not recipient and not reachable_by_phone(booking):
            return Skip("skipped", Why(Reason.NO_CONTACT))
        if not recipient:
            row.language = language
            row.call_day = max(
                row.call_day or notifications.first_call_day(row.due_at, now), clock.to_local(now).date()
            )
            return Skip("call_list", Why(Reason.NO_EMAIL))
    else:
        language, recipient = "nl", location.get("email")
        if not recipient:
            return Skip("skipped", Why(Reason.LOCATION_NO_EMAIL))
    row.recipient, row.language = recipient, language
    context = render.booking_context(
        booking.snapshot, location, language, config.public_url, row.secret, decide_by(booking, config)
    )
    subject, text, html = render.render(row.kind, language, context)
    method = CALENDAR_METHOD.get(row.kind)
    ics = None
    if method is not None:
        appointment = loan_appointment(booking.snapshot, location, language, now, config.mail_from, recipient)
        ics = calendar([appointment], subject, method=method)
    return Message(recipient, subject, text, html, notification_message_id(row.id), ics, ics_method=method or "PUBLISH")


def _prepare_digest(
    session: Session, row: ScheduledNotification, config: NotifyConfig, now: datetime
) -> Message | Skip:
    assert row.location_id is not None
    location = session.get(Location, row.location_id)
    day = row.due_at.astimezone(BRUSSELS).date()
    entries = call_list.entries(session, [row.location_id], day, config, now)
    if not entries:
        return Skip("skipped", Why(Reason.NOBODY_TO_CALL))
    if location is None or not location.email:
        return Skip("skipped", Why(Reason.LOCATION_NO_EMAIL))
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


def _claim(database: Database, config: NotifyConfig) -> tuple[int, int] | str | None:
    """Claim the next due row: (id, attempts), or the outcome when it needs no send, or None when none is due."""
    with database.transaction() as session:
        now = clock.now()
        row = notifications.claim_next(session, now, config.send_lease_seconds)
        if row is None:
            return None
        if row.status == "sending" and row.attempts >= config.max_send_attempts:
            # its workers died mid-send every time (or the send hangs past the lease): give up, visibly
            notifications.settle(row, "failed", now, why=Why(Reason.GAVE_UP, {"attempts": row.attempts}))
            log.warning("notification %s failed: lost %s times mid-send", row.id, row.attempts)
            return "failed"
        notifications.take_lease(row, now, config.send_lease_seconds)
        return row.id, row.attempts


def _build(database: Database, config: NotifyConfig, notification_id: int, attempts: int) -> Message | str:
    """The claimed row's message, built and checked; or the row's outcome when there is nothing to send."""
    with database.transaction() as session:
        row = session.get(ScheduledNotification, notification_id, with_for_update=True)
        if row is None or row.status != "sending" or row.attempts != attempts:
            return "gone"  # another dispatcher took it over after our lease ran out
        now = clock.now()
        try:
            prepared = prepare(session, row, config, now)
        except Exception as error:  # a broken template or context must not block the queue: say it on the row
            log.exception("notification %s: cannot render", notification_id)
            notifications.settle(row, "failed", now, why=Why(Reason.CANNOT_BUILD), last_error=_described(error))
            return "failed"
        if isinstance(prepared, Skip):
            notifications.settle(row, prepared.status, now, why=prepared.why)
            return prepared.status
        try:
            check_address(prepared.to)
        except BadAddress as error:
            log.warning("notification %s: cannot be addressed: %s", notification_id, error)
            notifications.settle(row, "failed", now, why=Why(Reason.BAD_ADDRESS), last_error=_described(error))
            return "failed"
        try:
            # built and flattened once, here: it fails now, not in the transport, which sends these bytes
            prepared = built(prepared, config.mail_from)
        except Exception as error:
            log.warning("notification %s: cannot be encoded: %s", notification_id, error)
            notifications.settle(row, "failed", now, why=Why(Reason.CANNOT_BUILD), last_error=_described(error))
            return "failed"
        row.message_id = prepared.message_id
        return prepared


def _described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def deliver(database: Database, sender: MailSender, config: NotifyConfig, notification_id: int, attempts: int) -> str:
    """Build, send and settle one claimed notification; returns its outcome."""
    prepared = _build(database, config, notification_id, attempts)
    if isinstance(prepared, str):
        return prepared
    try:
        sender.send(prepared)
    except TemporaryFailure as error:
        return _after_failure(database, config, notification_id, attempts, str(error), permanent=False)
    except PermanentFailure as error:
        return _after_failure(database, config, notification_id, attempts, str(error), permanent=True)
    except Exception as error:  # a transport's own bug: retried like a temporary failure, so still bounded
        log.exception("notification %s: the mail transport failed", notification_id)
        return _after_failure(database, config, notification_id, attempts, _described(error), permanent=False)
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
            why = Why(Reason.REFUSED) if permanent else Why(Reason.GAVE_UP, {"attempts": attempts})
            notifications.settle(row, "failed", now, why=why, last_error=error)
            log.warning("notification %s failed: %s (%s)", notification_id, why.code, error)
            return "failed"
        delay = retry_delay(attempts - 1, config.retry_base_seconds, config.retry_max_seconds)
        notifications.settle(row, "scheduled", now, last_error=error, not_before=now + timedelta(seconds=delay))
        log.info("notification %s: temporary failure, retry in %.0f s: %s", notification_id, delay, error)
        return "retry"


def dispatch_due(database: Database, sender: MailSender, config: NotifyConfig, max_rows: int = 500) -> DispatchResult:
    """Claim and send what is due now, one row at a time, until nothing is due (or ``max_rows`` handled).

    The whole tick is one sending session of the transport (SMTP: one connection, opened at the first message,
    reopened once if it dropped, closed at the end); every row is still claimed, sent and settled on its own.
    """
    with sending_session(sender):
        return _dispatch_rows(database, sender, config, max_rows)


def _dispatch_rows(database: Database, sender: MailSender, config: NotifyConfig, max_rows: int) -> DispatchResult:
    result = DispatchResult()
    errors = 0
    for _ in range(max_rows):
        try:
            claimed = _claim(database, config)
            if claimed is None:
                break
            outcome = claimed if isinstance(claimed, str) else deliver(database, sender, config, *claimed)
        except Exception:
            # The row could not even be settled (the database went away): it stays claimed until its lease
            # runs out, and the rows after it are still tried.
            log.exception("dispatch: a row could not be settled; it is tried again after its lease")
            errors += 1
            result.add("error")
            if errors >= MAX_CONSECUTIVE_ERRORS:
                break
            continue
        errors = 0
        result.add(outcome)
    return result
