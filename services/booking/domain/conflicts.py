"""The no-double-booking rule.

Invariant: at no instant does the sum of the quantities of an asset's active allocations exceed its quantity,
and no active allocation starts inside a maintenance window that was known when it was made.

Writers call ``allocate``: it locks the asset rows of the copy (``SELECT … FOR UPDATE``, in id order so two
multi-item approvals cannot deadlock), then reads the overlapping allocations and maintenance windows, and only
then inserts. Every writer of allocations takes the same lock first, so the read cannot go stale before the
commit. See docs/booking.md for the argument, and the migration for the exclusion constraint behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from services.booking.domain.errors import BookingConflict
from services.booking.domain.vocabulary import ConflictKind
from services.booking.models import Allocation, BookingRequest, InvAsset, InvMaintenanceWindow, RequestItem
from shared import clock
from shared.db import UTCDateTime


def overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    """Half-open ranges [start, end) and [other_start, other_end) share an instant."""
    return start < other_end and other_start < end


def peak_usage(ranges: Iterable[tuple[datetime, datetime, int]], start: datetime, end: datetime) -> int:
    """The largest total quantity in use at any instant of [start, end), given (from, until, quantity)."""
    points: list[tuple[datetime, int]] = []
    for a, b, qty in ranges:
        if overlaps(a, b, start, end):
            points.append((max(a, start), qty))
            points.append((min(b, end), -qty))
    # at equal instants, releases (-) come before takes (+): half-open ranges touching do not overlap
    points.sort(key=lambda p: (p[0], p[1]))
    peak = current = 0
    for _, delta in points:
        current += delta
        peak = max(peak, current)
    return peak


def blocked_range(
    asset: InvAsset, pickup_at: datetime, return_at: datetime, override: bool
) -> tuple[datetime, datetime]:
    """The loan plus the asset's turnaround buffers (without them only when staff overrode explicitly)."""
    if override:
        return pickup_at, return_at
    return (
        pickup_at - timedelta(hours=asset.turnaround_before_hours),
        return_at + timedelta(hours=asset.turnaround_after_hours),
    )


@dataclass(frozen=True)
class Wanted:
    item: RequestItem
    asset: InvAsset
    start: datetime
    end: datetime


# The hot path's statements are built once, with bound parameters: each call then only binds its values to a
# compilation SQLAlchemy has cached (building and hashing a statement costs more CPU than running it).
_LOCK_ASSETS = (
    sa.select(InvAsset)
    .where(InvAsset.id.in_(sa.bindparam("asset_ids", expanding=True)))
    .order_by(InvAsset.id)
    .with_for_update()
)


def lock_assets(session: Session, asset_ids: Sequence[int]) -> dict[int, InvAsset]:
    """Lock the copy's asset rows in id order (no deadlock between two multi-item writers)."""
    found = session.scalars(_LOCK_ASSETS, {"asset_ids": sorted(set(asset_ids))})
    return {asset.id: asset for asset in found}


def taken(session: Session, wanted: Sequence[tuple[InvAsset, int]], pickup_at: datetime, return_at: datetime) -> Taken:
    """Whether a loan of these (asset, quantity) pairs would meet an approved loan or a maintenance window (the
    same check as approval's, read without locking: a submission only warns, the approval decides)."""
    ranges = [
        Wanted(
            RequestItem(asset_id=asset.id, quantity=quantity), asset, *blocked_range(asset, pickup_at, return_at, False)
        )
        for asset, quantity in wanted
    ]
    kinds = {conflict["kind"] for conflict in find_conflicts(session, ranges, None)}
    return Taken(on_loan=ConflictKind.BOOKING in kinds, maintenance=ConflictKind.MAINTENANCE in kinds)


@dataclass(frozen=True)
class Taken:
    on_loan: bool
    maintenance: bool

    def __bool__(self) -> bool:
        return self.on_loan or self.maintenance


def _in_the_way(session: Session, wanted: Sequence[Wanted], exclude_request_id: int | None) -> list[sa.Row[Any]]:
    """Every active allocation and maintenance window over each wanted item's range, in one statement."""
    if not wanted:
        return []
    params: dict[str, Any] = {} if exclude_request_id is None else {"exclude": exclude_request_id}
    for i, w in enumerate(wanted):
        params.update({f"asset_{i}": w.asset.id, f"start_{i}": w.start, f"end_{i}": w.end})
    query = _in_the_way_query(len(wanted), exclude_request_id is not None)
    return list(session.execute(query, params))


_IN_THE_WAY: dict[tuple[int, bool], sa.Select[Any]] = {}


def _in_the_way_query(items: int, excluding: bool) -> sa.Select[Any]:
    """The union read by ``_in_the_way`` for ``items`` wanted items (parameters ``asset_<i>``, ``start_<i>``,
    ``end_<i>`` and ``exclude``), built once per shape."""
    key = (items, excluding)
    if key in _IN_THE_WAY:
        return _IN_THE_WAY[key]
    parts: list[Any] = []
    for i in range(items):
        asset = sa.bindparam(f"asset_{i}", type_=sa.Integer())
        start = sa.bindparam(f"start_{i}", type_=UTCDateTime())
        end = sa.bindparam(f"end_{i}", type_=UTCDateTime())
        bookings = (
            sa.select(
                sa.literal(str(ConflictKind.BOOKING)).label("kind"),
                Allocation.asset_id.label("asset_id"),
                Allocation.request_id.label("request_id"),
                BookingRequest.reference.label("label"),
                BookingRequest.status.label("status"),
                Allocation.quantity.label("quantity"),
                Allocation.blocked_from.label("starts"),
                Allocation.blocked_until.label("ends"),
                sa.cast(sa.null(), sa.Integer).label("window_id"),
            )
            .join(BookingRequest, BookingRequest.id == Allocation.request_id)
            .where(Allocation.asset_id == asset, Allocation.holding(start, end))
        )
        if excluding:
            bookings = bookings.where(Allocation.request_id != sa.bindparam("exclude"))
        windows = sa.select(
            sa.literal(str(ConflictKind.MAINTENANCE)),
            InvMaintenanceWindow.asset_id,
            sa.cast(sa.null(), sa.Integer),
            InvMaintenanceWindow.reason,
            sa.cast(sa.null(), sa.String),
            sa.literal(0),
            InvMaintenanceWindow.starts_at,
            InvMaintenanceWindow.ends_at,
            InvMaintenanceWindow.id,
        ).where(InvMaintenanceWindow.asset_id == asset, InvMaintenanceWindow.in_force(start, end))
        parts += [bookings, windows]
    union = sa.union_all(*parts).subquery()
    query = sa.select(union).order_by(union.c.starts, union.c.request_id, union.c.window_id)
    _IN_THE_WAY[key] = query
    return query


def find_conflicts(
    session: Session, wanted: Sequence[Wanted], exclude_request_id: int | None
) -> list[dict[str, object]]:
    """What stands in the way of each wanted item: maintenance windows, or the bookings that use up its quantity
    (read in one statement for every item)."""
    rows = _in_the_way(session, wanted, exclude_request_id)
    conflicts: list[dict[str, object]] = []
    for w in wanted:
        mine = [r for r in rows if r.asset_id == w.asset.id]
        bookings = [r for r in mine if r.kind == ConflictKind.BOOKING]
        for window in (r for r in mine if r.kind == ConflictKind.MAINTENANCE):
            conflicts.append(
                {
                    "kind": ConflictKind.MAINTENANCE,
                    "asset_id": w.asset.id,
                    "maintenance_window_id": window.window_id,
                    "starts_at": window.starts.isoformat(),
                    "ends_at": window.ends.isoformat(),
                    "reason": window.label,
                }
            )
        used = peak_usage(((r.starts, r.ends, r.quantity) for r in bookings), w.start, w.end)
        if used + w.item.quantity > w.asset.quantity:
            conflicts += [
                {
                    "kind": ConflictKind.BOOKING,
                    "asset_id": w.asset.id,
                    "request_id": r.request_id,
                    "reference": r.label,
                    "status": r.status,
                    "quantity": r.quantity,
                    "blocked_from": r.starts.isoformat(),
                    "blocked_until": r.ends.isoformat(),
                }
                for r in bookings
            ]
    return conflicts


@dataclass(frozen=True)
class Allocated:
    rows: list[dict[str, object]]
    assets: dict[int, InvAsset]  # the locked asset rows (held, so the session's identity map keeps them)


def allocate(
    session: Session, request: BookingRequest, override_buffers: bool = False, replace_existing: bool = False
) -> Allocated:
    """Lock, check and insert the allocations of every item of ``request``.

    ``replace_existing`` (reschedule): the request's own allocations are left out of the check and replaced.
    Raises BookingConflict naming every conflict.
    """
    assets = lock_assets(session, [item.asset_id for item in request.items])
    wanted = []
    for item in request.items:
        asset = assets[item.asset_id]
        start, end = blocked_range(asset, request.pickup_at, request.return_at, override_buffers)
        wanted.append(Wanted(item, asset, start, end))
    exclude = request.id if replace_existing else None
    conflicts = find_conflicts(session, wanted, exclude)
    if conflicts:
        raise BookingConflict(conflicts)
    if replace_existing:
        session.execute(sa.delete(Allocation).where(Allocation.request_id == request.id))
    rows = [
        {
            "request_id": request.id,
            "item_id": w.item.id,
            "asset_id": w.asset.id,
            "quantity": w.item.quantity,
            "blocked_from": w.start,
            "blocked_until": w.end,
            "single_unit": w.asset.quantity == 1,
            "active": True,
            "buffers_overridden": override_buffers,
            "created_at": clock.now(),
        }
        for w in wanted
    ]
    if not _insert_allocations(session, rows):
        # Only reachable by a writer that skipped the lock: the exclusion constraint is the backstop, and the
        # insert that met it inserted nothing, so the 409 can still name the booking that won.
        raise BookingConflict(find_conflicts(session, wanted, exclude))
    return Allocated(rows, assets)


# On the table, not the entity: a Core insert skips the ORM's bulk-insert machinery (nothing reads the rows back
# as objects in this transaction).
_ALLOCATIONS: sa.Table = Allocation.__table__  # type: ignore[assignment]
_INSERT_ALLOCATIONS = postgresql.insert(_ALLOCATIONS).on_conflict_do_nothing().returning(_ALLOCATIONS.c.id)


def _insert_allocations(session: Session, rows: list[dict[str, object]]) -> bool:
    """Insert ``rows`` in one statement; False when the exclusion constraint refused any (PostgreSQL).

    ``ON CONFLICT DO NOTHING`` lets the constraint refuse without aborting the transaction (no savepoint, one
    round trip); SQLite has no such constraint and serialises its writers instead.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sa.insert(_ALLOCATIONS), rows)
        return True
    # the rows as parameters, not as a multi-row VALUES: the statement is compiled once and cached (SQLAlchemy
    # still sends one INSERT … VALUES (…), (…) RETURNING for all of them)
    inserted = session.scalars(_INSERT_ALLOCATIONS, rows).all()
    return len(inserted) == len(rows)


def release(session: Session, request: BookingRequest) -> None:
    """The request no longer holds its assets (cancelled, no-show)."""
    session.execute(sa.update(Allocation).where(Allocation.request_id == request.id).values(active=False))


def shorten_to(session: Session, request: BookingRequest, returned_at: datetime) -> None:
    """An early return frees the rest of the loan (the after-buffer still applies from the actual return).

    Only ever shortens. A loan handed over early and back before its planned range even began holds nothing any
    more: its allocation is released (the request keeps the real times).
    """
    for allocation in session.scalars(sa.select(Allocation).where(Allocation.request_id == request.id)):
        asset = session.get(InvAsset, allocation.asset_id)
        after = timedelta(hours=asset.turnaround_after_hours if asset and not allocation.buffers_overridden else 0)
        new_until = returned_at + after
        if new_until <= allocation.blocked_from:
            allocation.active = False
        elif new_until < allocation.blocked_until:
            allocation.blocked_until = new_until
