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

Per message three short transactions, four statements, each built once (Core, no ORM load of the row): the
claim (``SELECT … FOR UPDATE SKIP LOCKED`` of the columns the build needs, the lease ``UPDATE``, committed); the
build (the booking and its location copy in one ``SELECT``; a row with nothing to send is settled here); after
the send the settle (one ``UPDATE``). What the build learns for the row (recipient, language, Message-ID) is
written with the settle, and only while the row is still ``sending``: an erasure applied meanwhile stays blank.
The lease is committed before the build reads anything, so a database error there leaves the row claimed and
counted (tried again after the lease, ``failed`` after the attempts), never unclaimed at the queue's head.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notify.config import NotifyConfig
from services.notify.domain import call_list, notifications, render
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
from services.notify.models import Booking, Location
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


class BookingCopy(Protocol):
    """What the dispatch reads of notify's booking copy (a ``Booking``, or the row ``_load_booking`` reads)."""

    status: str
    pickup_at: datetime
    return_at: datetime
    language: str
    contact_email: str | None
    snapshot: dict[str, Any]


@dataclass
class Claimed:
    """A claimed row as the build needs it, and what the build learns for the row (recipient, language, call
    day), written when the row is settled."""

    id: int
    attempts: int
    kind: str
    audience: str
    request_id: int | None
    location_id: int | None
    due_at: datetime
    secret: str | None
    call_day: date | None
    recipient: str | None = None
    language: str | None = None

    def learned(self) -> dict[str, Any]:
        found = {"recipient": self.recipient, "language": self.language, "call_day": self.call_day}
        return {name: value for name, value in found.items() if value is not None}


_CLAIMED = ("id", "kind", "audience", "request_id", "location_id", "due_at", "secret", "call_day")
# The dispatch's statements, built once (SQLAlchemy then only binds the parameters).
_CLAIM = notifications.due_query(
    sa.bindparam("now"), [notifications.TABLE.c[name] for name in (*_CLAIMED, "attempts", "status")]
)
_BOOKINGS, _LOCATIONS = cast(sa.Table, Booking.__table__), cast(sa.Table, Location.__table__)
_BOOKING_AND_LOCATION = (
    sa.select(
        _BOOKINGS, _LOCATIONS.c.snapshot.label("location_snapshot"), _LOCATIONS.c.last_event_at.label("location_at")
    )
    .outerjoin(_LOCATIONS, _LOCATIONS.c.id == _BOOKINGS.c.location_id)
    .where(_BOOKINGS.c.request_id == sa.bindparam("rid"))
)


def booking_state(booking: BookingCopy) -> BookingState:
    created = booking.snapshot.get("created_at")
    return BookingState(
        status=booking.status,
        pickup_at=booking.pickup_at,
        return_at=booking.return_at,
        returned=bool(booking.snapshot.get("actual_return_at")),
        created_at=datetime.fromisoformat(str(created).replace("Z", "+00:00")) if created else None,
    )


def reachable_by_phone(booking: BookingCopy) -> bool:
    """Whether staff can phone the requester (a desk request may have neither e-mail nor phone)."""
    return bool((booking.snapshot.get("contact") or {}).get("phone"))


def decide_by(booking: BookingCopy, config: NotifyConfig) -> datetime | None:
    """When the pending request expires if nobody decides (None when notify does not know its submission)."""
    state = booking_state(booking)
    if booking.status != "requested" or state.created_at is None:
        return None
    return expires_at(state.created_at, state.pickup_at, config)


def _load_booking(session: Session | sa.Connection, request_id: int) -> tuple[Any, dict[str, Any]] | None:
    """The booking copy and its location (``copies.location_of``'s rule), in one statement; None if unknown."""
    found = session.execute(_BOOKING_AND_LOCATION, {"rid": request_id}).first()
    if found is None:
        return None
    location = dict(found.snapshot.get("location") or {})
    if found.location_at is not None and found.location_at >= found.last_event_at:
        location.update(found.location_snapshot)
    return found, location


def prepare(session: Session | sa.Connection, row: Claimed, config: NotifyConfig, now: datetime) -> Message | Skip:
    """The message for a claimed row, or why none goes out (booking changed, no address, nothing to say)."""
    if row.kind == "call_list_digest":
        assert isinstance(session, Session), "the call list is read with the ORM"
        return _prepare_digest(session, row, config, now)
    loaded = _load_booking(session, row.request_id) if row.request_id is not None else None
    if loaded is None:
        return Skip("skipped", Why(Reason.BOOKING_UNKNOWN))
    booking, location = loaded
    if row.kind in REMINDER_KINDS:
        why = still_relevant(row.kind, booking_state(booking), now, config)
        if why is not None:
            return Skip("skipped", why)
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


def _prepare_digest(session: Session, row: Claimed, config: NotifyConfig, now: datetime) -> Message | Skip:
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


def _claim(database: Database, config: NotifyConfig) -> Claimed | str | None:
    """Claim the next due row (its lease committed): the row, or the outcome when it needs no send, or None when
    none is due. Core statements: one select (``FOR UPDATE SKIP LOCKED``), one update."""
    with database.engine.begin() as connection:
        now = clock.now()
        found = connection.execute(_CLAIM, {"now": now}).first()
        if found is None:
            return None
        if found.status == "sending" and found.attempts >= config.max_send_attempts:
            # its workers died mid-send every time (or the send hangs past the lease): give up, visibly
            why = Why(Reason.GAVE_UP, {"attempts": found.attempts})
            notifications.settle_row(connection, found.id, "failed", now, why=why)
            log.warning("notification %s failed: lost %s times mid-send", found.id, found.attempts)
            return "failed"
        connection.execute(
            notifications.LEASE, {"nid": found.id, "lease": now + timedelta(seconds=config.send_lease_seconds)}
        )
        values = found._mapping
        return Claimed(**{name: values[name] for name in _CLAIMED}, attempts=found.attempts + 1)


@contextmanager
def _build_transaction(database: Database, row: Claimed) -> Iterator[Session | sa.Connection]:
    """A session for a digest (the call list is read with the ORM), a plain connection for the rest."""
    if row.kind == "call_list_digest":
        with database.transaction() as session:
            yield session
    else:
        with database.engine.begin() as connection:
            yield connection


def _build(database: Database, config: NotifyConfig, row: Claimed) -> Message | str:
    """The claimed row's message, built and checked; or the row's outcome (settled here) when there is nothing
    to send. The lease is already committed: an error of the database here leaves the row claimed until its
    lease runs out (and counted), like a lost worker."""
    with _build_transaction(database, row) as session:
        now = clock.now()
        try:
            prepared = prepare(session, row, config, now)
        except Exception as error:  # a broken template or context must not block the queue: say it on the row
            log.exception("notification %s: cannot render", row.id)
            why, detail = Why(Reason.CANNOT_BUILD), _described(error)
            notifications.settle_row(session, row.id, "failed", now, why=why, last_error=detail, **row.learned())
            return "failed"
        if isinstance(prepared, Skip):
            notifications.settle_row(session, row.id, prepared.status, now, why=prepared.why, **row.learned())
            return prepared.status
        try:
            check_address(prepared.to)
        except BadAddress as error:
            log.warning("notification %s: cannot be addressed: %s", row.id, error)
            why, detail = Why(Reason.BAD_ADDRESS), _described(error)
            notifications.settle_row(session, row.id, "failed", now, why=why, last_error=detail, **row.learned())
            return "failed"
        try:
            # built and flattened once, here: it fails now, not in the transport, which sends these bytes
            return built(prepared, config.mail_from)
        except Exception as error:
            log.warning("notification %s: cannot be encoded: %s", row.id, error)
            why, detail = Why(Reason.CANNOT_BUILD), _described(error)
            notifications.settle_row(session, row.id, "failed", now, why=why, last_error=detail, **row.learned())
            return "failed"


def _described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def deliver(database: Database, sender: MailSender, config: NotifyConfig, row: Claimed) -> str:
    """Build, send and settle one claimed notification; returns its outcome."""
    prepared = _build(database, config, row)
    if isinstance(prepared, str):
        return prepared
    try:
        sender.send(prepared)
    except TemporaryFailure as error:
        return _after_failure(database, config, row, str(error), permanent=False)
    except PermanentFailure as error:
        return _after_failure(database, config, row, str(error), permanent=True)
    except Exception as error:  # a transport's own bug: retried like a temporary failure, so still bounded
        log.exception("notification %s: the mail transport failed", row.id)
        return _after_failure(database, config, row, _described(error), permanent=False)
    with database.engine.begin() as connection:
        notifications.settle_row(
            connection, row.id, "sent", clock.now(), last_error=None, message_id=prepared.message_id, **row.learned()
        )
    return "sent"


def _after_failure(database: Database, config: NotifyConfig, row: Claimed, error: str, permanent: bool) -> str:
    learned = {"message_id": notification_message_id(row.id), **row.learned()}
    with database.engine.begin() as connection:
        now = clock.now()
        if permanent or row.attempts >= config.max_send_attempts:
            why = Why(Reason.REFUSED) if permanent else Why(Reason.GAVE_UP, {"attempts": row.attempts})
            notifications.settle_row(connection, row.id, "failed", now, why=why, last_error=error, **learned)
            log.warning("notification %s failed: %s (%s)", row.id, why.code, error)
            return "failed"
        delay = retry_delay(row.attempts - 1, config.retry_base_seconds, config.retry_max_seconds)
        not_before = now + timedelta(seconds=delay)
        notifications.settle_row(
            connection, row.id, "scheduled", now, last_error=error, not_before=not_before, **learned
        )
        log.info("notification %s: temporary failure, retry in %.0f s: %s", row.id, delay, error)
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
            outcome = claimed if isinstance(claimed, str) else deliver(database, sender, config, claimed)
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
