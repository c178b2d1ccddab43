"""The schedule and delivery log: create, recompute, claim and settle ``scheduled_notifications`` rows.

Every row has a unique ``delivery_key`` (booking, kind, due instant): creating it twice is a no-op, so neither
a redelivered event nor two beats can make a second message for the same thing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.notify.domain.reasons import REVIVABLE, Reason, Why
from services.notify.domain.schedule import REMINDER_KINDS, Due, local_date
from services.notify.models import Booking, ScheduledNotification
from shared import clock


def delivery_key(request_id: int | None, kind: str, due_at: datetime, location_id: int | None = None) -> str:
    subject = f"b{request_id}" if request_id is not None else f"l{location_id}"
    return f"{subject}:{kind}:{due_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def first_call_day(due_at: datetime, now: datetime) -> date:
    """The Brussels day a message for someone without e-mail is first on the call list: the day it is due, or
    today when it was planned for a moment already past (a short-notice reminder): never a day gone by."""
    return local_date(max(due_at, now))


def ensure_notification(
    session: Session,
    *,
    kind: str,
    audience: str,
    due_at: datetime,
    request_id: int | None,
    location_id: int | None,
    secret: str | None = None,
    known: dict[str, ScheduledNotification] | None = None,
) -> ScheduledNotification:
    """The row for this delivery key, created as scheduled if new; revived if it was skipped as stale.

    ``secret`` (a private link's token) is kept on a row that is still to be sent: booking issues a fresh link
    with each event that carries one, so the newest token is the one that works.

    ``known``: every row of the booking ``request_id`` by delivery key (``rows_of``), read once per event
    instead of once per row; a row created here is added to it. Only with the booking's copy locked (the event's
    ``upsert_booking``), so that no other event of the booking creates rows meanwhile: such a row is then simply
    added, without the savepoint a shared row (a centre's digest) needs.
    """
    key = delivery_key(request_id, kind, due_at, location_id)
    if known is not None:
        row = known.get(key)
    else:
        row = session.scalars(sa.select(ScheduledNotification).where(ScheduledNotification.delivery_key == key)).first()
    if row is None:
        candidate = ScheduledNotification(
            delivery_key=key,
            kind=kind,
            audience=audience,
            due_at=due_at,
            not_before=due_at,
            request_id=request_id,
            location_id=location_id,
            status="scheduled",
            attempts=0,
            secret=secret,
            call_day=first_call_day(due_at, clock.now()) if audience == "requester" else None,
        )
        if known is not None and request_id is not None:
            session.add(candidate)
            known[key] = candidate
            return candidate
        try:
            # A shared row (the staff digest of a location and day) may be created by two events at once.
            with session.begin_nested():
                session.add(candidate)
            return candidate
        except IntegrityError:
            row = session.scalars(
                sa.select(ScheduledNotification).where(ScheduledNotification.delivery_key == key)
            ).one()
    if row.status == "skipped" and row.reason in REVIVABLE:
        row.status, row.reason, row.reason_params = "scheduled", None, None
        if row.audience == "requester":
            row.call_day = first_call_day(row.due_at, clock.now())
    if secret is not None and row.status == "scheduled":
        row.secret = secret
    return row


def rows_of(session: Session, request_id: int) -> dict[str, ScheduledNotification]:
    """Every notification row of a booking, by delivery key (one query; ``ensure_notification``'s ``known``)."""
    return {
        row.delivery_key: row
        for row in session.scalars(
            sa.select(ScheduledNotification).where(ScheduledNotification.request_id == request_id)
        )
    }


def recompute_reminders(
    session: Session,
    booking: Booking,
    wanted: list[Due],
    secret: str | None = None,
    known: dict[str, ScheduledNotification] | None = None,
) -> None:
    """Make the booking's reminders exactly ``wanted``: stale ones are skipped, missing ones added.

    Stale means still to be sent, or on the call list and not yet phoned: a moved pick-up is not called about.
    ``known``: as for ``ensure_notification`` (read here when not given).
    """
    keys = {delivery_key(booking.request_id, d.kind, d.due_at) for d in wanted}
    if known is None:
        known = rows_of(session, booking.request_id)
    pending = [
        row
        for row in known.values()
        if row.kind in REMINDER_KINDS
        and (row.status == "scheduled" or (row.status == "call_list" and row.call_outcome != "reached"))
    ]
    for row in pending:
        if row.delivery_key not in keys:
            settle(row, "skipped", clock.now(), why=Why.status(Reason.STALE, booking.status))
    for due in wanted:
        ensure_notification(
            session,
            kind=due.kind,
            audience=due.audience,
            due_at=due.due_at,
            request_id=booking.request_id,
            location_id=booking.location_id,
            secret=secret if due.audience == "requester" else None,
            known=known,
        )


def ensure_digest(session: Session, location_id: int, hour_due: datetime) -> None:
    ensure_notification(
        session, kind="call_list_digest", audience="staff", due_at=hour_due, request_id=None, location_id=location_id
    )


TABLE = cast(sa.Table, ScheduledNotification.__table__)


def due_query(now: datetime | sa.BindParameter[Any], columns: list[Any] | None = None) -> sa.Select[Any]:
    """The next due row for sending, ``FOR UPDATE SKIP LOCKED`` so two dispatchers never take the same row (only
    ``columns`` of it, when given: the dispatch's Core claim, built once with ``now`` a bound parameter)."""
    table = TABLE
    return (
        sa.select(*(columns or [ScheduledNotification]))
        .where(
            sa.or_(
                sa.and_(table.c.status == "scheduled", table.c.not_before <= now),
                sa.and_(table.c.status == "sending", table.c.lease_until < now),
            )
        )
        .order_by(table.c.not_before, table.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def claim_next(session: Session, now: datetime, lease_seconds: int) -> ScheduledNotification | None:
    """Claim the next due row for sending (``due_query``).

    One row at a time: a worker that dies mid-send strands only the row it was sending (until its lease runs
    out), never a batch of others it had claimed but not begun. A row left in ``sending`` past its lease is
    due again: at most one more send per lost worker.
    """
    return session.scalars(due_query(now)).first()


def take_lease(row: ScheduledNotification, now: datetime, lease_seconds: int) -> None:
    row.status = "sending"
    row.attempts += 1
    row.lease_until = now + timedelta(seconds=lease_seconds)


# ``take_lease`` as one Core statement, built once (the dispatch's claim): parameters ``nid``, ``lease``.
LEASE = (
    sa.update(TABLE)
    .where(TABLE.c.id == sa.bindparam("nid"))
    .values(status="sending", attempts=TABLE.c.attempts + 1, lease_until=sa.bindparam("lease"))
)


SETTLED = ("sent", "failed", "skipped", "call_list")
# What a send learns for its row (to whom, in which language, which Message-ID, which call day): written when it
# is settled only if the row is still ``sending`` — an erasure that blanked the row meanwhile stays blank.
LEARNED = ("recipient", "language", "message_id", "call_day")


def settle_values(status: str, now: datetime, why: Why | None = None, **fields: Any) -> dict[str, Any]:
    """The columns ``settle`` sets (one rule for the ORM row and the Core update)."""
    values: dict[str, Any] = {"status": status, "lease_until": None}
    if status in SETTLED:
        values["secret"] = None
    if status == "sent":
        values["sent_at"] = now
    if why is not None:
        values["reason"], values["reason_params"] = str(why.code), dict(why.params) or None
    values.update(fields)
    return values


def settle(row: ScheduledNotification, status: str, now: datetime, why: Why | None = None, **fields: Any) -> None:
    """Record the row's outcome (and why, as a code); once settled it forgets its private link (the token was
    for this message only)."""
    for name, value in settle_values(status, now, why, **fields).items():
        setattr(row, name, value)


def settle_row(
    connection: sa.Connection | Session,
    notification_id: int,
    status: str,
    now: datetime,
    why: Why | None = None,
    **fields: Any,
) -> None:
    """``settle`` as one Core update by id, for the dispatch (no ORM load of the row); the ``LEARNED`` fields
    only while the row is still ``sending`` (as the claim left it)."""
    values = settle_values(status, now, why, **fields)
    statement = _settle_statement(tuple(sorted(values)))
    connection.execute(statement, {"nid": notification_id, **{f"v_{name}": value for name, value in values.items()}})


@lru_cache(maxsize=64)
def _settle_statement(names: tuple[str, ...]) -> sa.Update:
    """The update setting ``names`` (built once per set of columns: a settle is a handful of shapes)."""
    values: dict[str, Any] = {}
    for name in names:
        bound = sa.bindparam(f"v_{name}", type_=TABLE.c[name].type)
        values[name] = sa.case((TABLE.c.status == "sending", bound), else_=TABLE.c[name]) if name in LEARNED else bound
    return sa.update(TABLE).where(TABLE.c.id == sa.bindparam("nid")).values(**values)


def search_notifications(session: Session, filters: dict[str, Any]) -> sa.Select[Any]:
    """The delivery log, newest first, filtered by status, kind, audience, reason, recipient (substring),
    booking, location."""
    query = sa.select(ScheduledNotification).order_by(ScheduledNotification.due_at.desc(), ScheduledNotification.id)
    for name in ("status", "kind", "request_id", "location_id", "audience", "reason"):
        if filters.get(name) is not None:
            query = query.where(getattr(ScheduledNotification, name) == filters[name])
    if filters.get("recipient"):
        query = query.where(ScheduledNotification.recipient.ilike(f"%{filters['recipient']}%"))
    if filters.get("reference"):
        ids = sa.select(Booking.request_id).where(Booking.reference == filters["reference"])
        query = query.where(ScheduledNotification.request_id.in_(ids))
    return query


def skipped_staff_alerts(session: Session, location_ids: list[int] | None) -> int:
    """How many alerts for staff were not sent (a centre without an e-mail address …): the dashboard's count."""
    query = sa.select(sa.func.count()).where(
        ScheduledNotification.audience == "staff",
        ScheduledNotification.status == "skipped",
        ScheduledNotification.reason != str(Reason.NOBODY_TO_CALL),  # an empty digest is nothing to miss
    )
    if location_ids is not None:
        query = query.where(ScheduledNotification.location_id.in_(location_ids or [-1]))
    return int(session.scalar(query) or 0)


def local_day(instant: datetime) -> date:
    return local_date(instant)
