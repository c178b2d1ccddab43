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

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.booking.domain.errors import BookingConflict
from services.booking.domain.vocabulary import ConflictKind
from services.booking.models import Allocation, BookingRequest, InvAsset, InvMaintenanceWindow, RequestItem


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


def lock_assets(session: Session, asset_ids: Sequence[int]) -> dict[int, InvAsset]:
    """Lock the copy's asset rows in id order (no deadlock between two multi-item writers)."""
    query = sa.select(InvAsset).where(InvAsset.id.in_(sorted(set(asset_ids)))).order_by(InvAsset.id).with_for_update()
    return {asset.id: asset for asset in session.scalars(query)}


def _overlapping_allocations(
    session: Session, asset_id: int, start: datetime, end: datetime, exclude_request_id: int | None
) -> list[tuple[Allocation, str, str]]:
    """(allocation, reference, status) of every allocation holding ``asset_id`` in [start, end)."""
    query = (
        sa.select(Allocation, BookingRequest.reference, BookingRequest.status)
        .join(BookingRequest, BookingRequest.id == Allocation.request_id)
        .where(Allocation.asset_id == asset_id, Allocation.holding(start, end))
        .order_by(Allocation.blocked_from, Allocation.id)
    )
    if exclude_request_id is not None:
        query = query.where(Allocation.request_id != exclude_request_id)
    return [(a, reference, status) for a, reference, status in session.execute(query)]


def overlapping_maintenance(
    session: Session, asset_id: int, start: datetime, end: datetime
) -> list[InvMaintenanceWindow]:
    query = sa.select(InvMaintenanceWindow).where(
        InvMaintenanceWindow.asset_id == asset_id, InvMaintenanceWindow.in_force(start, end)
    )
    return list(session.scalars(query.order_by(InvMaintenanceWindow.starts_at)))


def find_conflicts(session: Session, wanted: Wanted, exclude_request_id: int | None) -> list[dict[str, object]]:
    """What stands in the way of ``wanted``: maintenance windows, or the bookings that use up the quantity."""
    conflicts: list[dict[str, object]] = []
    for window in overlapping_maintenance(session, wanted.asset.id, wanted.start, wanted.end):
        conflicts.append(
            {
                "kind": ConflictKind.MAINTENANCE,
                "asset_id": wanted.asset.id,
                "maintenance_window_id": window.id,
                "starts_at": window.starts_at.isoformat(),
                "ends_at": window.ends_at.isoformat(),
                "reason": window.reason,
            }
        )
    others = _overlapping_allocations(session, wanted.asset.id, wanted.start, wanted.end, exclude_request_id)
    used = peak_usage(((a.blocked_from, a.blocked_until, a.quantity) for a, _, _ in others), wanted.start, wanted.end)
    if used + wanted.item.quantity > wanted.asset.quantity:
        for allocation, reference, status in others:
            conflicts.append(
                {
                    "kind": ConflictKind.BOOKING,
                    "asset_id": wanted.asset.id,
                    "request_id": allocation.request_id,
                    "reference": reference,
                    "status": status,
                    "quantity": allocation.quantity,
                    "blocked_from": allocation.blocked_from.isoformat(),
                    "blocked_until": allocation.blocked_until.isoformat(),
                }
            )
    return conflicts


def allocate(
    session: Session, request: BookingRequest, override_buffers: bool = False, replace_existing: bool = False
) -> list[Allocation]:
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
    conflicts = [c for w in wanted for c in find_conflicts(session, w, exclude)]
    if conflicts:
        raise BookingConflict(conflicts)
    if replace_existing:
        session.execute(sa.delete(Allocation).where(Allocation.request_id == request.id))
    rows = [
        Allocation(
            request_id=request.id,
            item_id=w.item.id,
            asset_id=w.asset.id,
            quantity=w.item.quantity,
            blocked_from=w.start,
            blocked_until=w.end,
            single_unit=w.asset.quantity == 1,
            active=True,
            buffers_overridden=override_buffers,
        )
        for w in wanted
    ]
    try:
        with session.begin_nested():
            session.add_all(rows)
    except IntegrityError as error:
        # Only reachable by a writer that skipped the lock: the exclusion constraint is the backstop. The
        # savepoint keeps the transaction usable, so the 409 can still name the booking that won.
        named = [c for w in wanted for c in find_conflicts(session, w, exclude)]
        raise BookingConflict(named) from error
    return rows


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
