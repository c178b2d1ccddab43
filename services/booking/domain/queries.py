"""What staff and the public ask: lists, a request's competitors, free quantities, what can I borrow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from services.booking.domain.conflicts import blocked_range, overlapping_maintenance, peak_usage
from services.booking.domain.decisions import unmet_requirements
from services.booking.models import (
    Allocation,
    BookingRequest,
    Initiative,
    InvAsset,
    InvLocation,
    InvMaintenanceWindow,
    RequestItem,
)
from shared.clock import BRUSSELS, to_local
from shared.errors import InvalidInput


@dataclass(frozen=True)
class RequestFilter:
    status: str | None = None
    asset_id: int | None = None
    location_id: int | None = None
    starts: datetime | None = None
    ends: datetime | None = None
    text: str | None = None
    # None: every centre (an administrator); otherwise only requests of these centres (a staff member's)
    centres: frozenset[int] | None = None


def filtered_requests_query(filters: RequestFilter) -> sa.Select[Any]:
    query = sa.select(BookingRequest).options(
        selectinload(BookingRequest.items).selectinload(RequestItem.requirements),
        selectinload(BookingRequest.initiative),
    )
    if filters.status:
        query = query.where(BookingRequest.status == filters.status)
    if filters.location_id is not None:
        query = query.where(BookingRequest.location_id == filters.location_id)
    if filters.centres is not None:
        query = query.where(BookingRequest.location_id.in_(sorted(filters.centres)))
    if filters.asset_id is not None:
        query = query.where(BookingRequest.items.any(RequestItem.asset_id == filters.asset_id))
    if filters.starts is not None:
        query = query.where(BookingRequest.return_at > filters.starts)
    if filters.ends is not None:
        query = query.where(BookingRequest.pickup_at < filters.ends)
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.join(Initiative, Initiative.id == BookingRequest.initiative_id).where(
            sa.or_(
                BookingRequest.reference.ilike(pattern, escape="\\"),
                BookingRequest.contact_name.ilike(pattern, escape="\\"),
                BookingRequest.purpose.ilike(pattern, escape="\\"),
                Initiative.name.ilike(pattern, escape="\\"),
            )
        )
    return query.order_by(BookingRequest.pickup_at, BookingRequest.id)


def competition(session: Session, request: BookingRequest) -> dict[str, Any]:
    """For a pending request: the bookings in its way, the other pending requests it competes with,
    and its unmet requirements."""
    bookings: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    maintenance: list[dict[str, Any]] = []
    for item in request.items:
        asset = session.get(InvAsset, item.asset_id)
        if asset is None:
            continue
        start, end = blocked_range(asset, request.pickup_at, request.return_at, False)
        allocs = session.execute(
            sa.select(Allocation, BookingRequest.reference)
            .join(BookingRequest, BookingRequest.id == Allocation.request_id)
            .where(
                Allocation.asset_id == asset.id,
                Allocation.active.is_(True),
                Allocation.request_id != request.id,
                Allocation.blocked_from < end,
                start < Allocation.blocked_until,
            )
        )
        for allocation, reference in allocs:
            bookings.append(
                {
                    "asset_id": asset.id,
                    "request_id": allocation.request_id,
                    "reference": reference,
                    "quantity": allocation.quantity,
                    "blocked_from": allocation.blocked_from.isoformat(),
                    "blocked_until": allocation.blocked_until.isoformat(),
                }
            )
        others = session.scalars(
            sa.select(BookingRequest)
            .join(RequestItem, RequestItem.request_id == BookingRequest.id)
            .where(
                RequestItem.asset_id == asset.id,
                BookingRequest.status == "requested",
                BookingRequest.id != request.id,
                BookingRequest.pickup_at < end + timedelta(hours=asset.turnaround_before_hours),
                start - timedelta(hours=asset.turnaround_after_hours) < BookingRequest.return_at,
            )
        ).unique()
        for other in others:
            pending.append(
                {
                    "asset_id": asset.id,
                    "request_id": other.id,
                    "reference": other.reference,
                    "pickup_at": other.pickup_at.isoformat(),
                    "return_at": other.return_at.isoformat(),
                }
            )
        for window in overlapping_maintenance(session, asset.id, start, end):
            maintenance.append(
                {
                    "asset_id": asset.id,
                    "starts_at": window.starts_at.isoformat(),
                    "ends_at": window.ends_at.isoformat(),
                    "reason": window.reason,
                }
            )
    return {
        "conflicting_bookings": bookings,
        "competing_requests": pending,
        "maintenance": maintenance,
        "unmet_requirements": unmet_requirements(request),
        "maintenance_hits": maintenance_hits(session, request),
    }


def initiative_contacts(session: Session, initiative_id: int) -> list[dict[str, Any]]:
    """The initiative's contact persons, as they appeared on its requests (latest details first)."""
    query = (
        sa.select(BookingRequest.contact_name, BookingRequest.contact_email, BookingRequest.contact_phone)
        .where(BookingRequest.initiative_id == initiative_id, BookingRequest.anonymised_at.is_(None))
        .order_by(BookingRequest.created_at.desc(), BookingRequest.id.desc())
    )
    seen: dict[str, dict[str, Any]] = {}
    for name, email, phone in session.execute(query):
        seen.setdefault(name.casefold(), {"name": name, "email": email, "phone": phone})
    return list(seen.values())


def initiative_history(session: Session, initiative_id: int, except_request_id: int) -> list[dict[str, Any]]:
    query = (
        sa.select(BookingRequest)
        .where(BookingRequest.initiative_id == initiative_id, BookingRequest.id != except_request_id)
        .order_by(BookingRequest.pickup_at.desc())
        .limit(20)
    )
    return [
        {
            "request_id": r.id,
            "reference": r.reference,
            "status": r.status,
            "pickup_at": r.pickup_at.isoformat(),
            "damage": r.damage,
        }
        for r in session.scalars(query)
    ]


MAX_SLOTS = 400


def free_quantity(session: Session, asset: InvAsset, start: datetime, end: datetime) -> int:
    """Units of ``asset`` free for the whole of [start, end) (a loan there also needs its buffers)."""
    if asset.status != "active" or overlapping_maintenance(session, asset.id, start, end):
        return 0
    rows = session.execute(
        sa.select(Allocation.blocked_from, Allocation.blocked_until, Allocation.quantity).where(
            Allocation.asset_id == asset.id,
            Allocation.active.is_(True),
            Allocation.blocked_from < end,
            start < Allocation.blocked_until,
        )
    )
    return max(asset.quantity - peak_usage(rows, start, end), 0)


def slot_boundaries(start: datetime, end: datetime, granularity: str) -> list[datetime]:
    """Instants cutting [start, end) into hours, or into Brussels calendar days (23 or 25 hours at DST switches).

    Raises InvalidInput when the window is empty or has too many slots.
    """
    if end <= start:
        raise InvalidInput("'to' must be after 'from'.", field="to")
    bounds = [start]
    if granularity == "hour":
        cursor = start
        while cursor < end and len(bounds) <= MAX_SLOTS:
            cursor = min(cursor + timedelta(hours=1), end)
            bounds.append(cursor)
    else:
        day = to_local(start).date()
        while bounds[-1] < end and len(bounds) <= MAX_SLOTS:
            day += timedelta(days=1)
            midnight = datetime.combine(day, time(0), tzinfo=BRUSSELS).astimezone(UTC)
            bounds.append(min(midnight, end))
    if len(bounds) > MAX_SLOTS:
        raise InvalidInput(f"At most {MAX_SLOTS} slots per question; shorten the window.", field="to")
    return bounds


def availability(session: Session, assets: list[InvAsset], bounds: list[datetime]) -> list[dict[str, Any]]:
    """Free quantity of each asset in each slot between consecutive ``bounds``."""
    result = []
    start, end = bounds[0], bounds[-1]
    for asset in assets:
        # one read per asset, then the sweep per slot in memory (a 400-slot calendar is not 800 queries)
        windows = [] if asset.status != "active" else overlapping_maintenance(session, asset.id, start, end)
        rows = list(
            session.execute(
                sa.select(Allocation.blocked_from, Allocation.blocked_until, Allocation.quantity).where(
                    Allocation.asset_id == asset.id,
                    Allocation.active.is_(True),
                    Allocation.blocked_from < end,
                    start < Allocation.blocked_until,
                )
            )
        )
        slots = []
        for a, b in pairwise(bounds):
            down = asset.status != "active" or any(w.starts_at < b and a < w.ends_at for w in windows)
            free = 0 if down else max(asset.quantity - peak_usage(((f, u, q) for f, u, q in rows), a, b), 0)
            slots.append({"start": a.isoformat(), "end": b.isoformat(), "free": free})
        result.append({"asset_id": asset.id, "asset_code": asset.code, "quantity": asset.quantity, "slots": slots})
    return result


def what_can_i_borrow(
    session: Session, pickup_at: datetime, return_at: datetime, category: str | None, quantity: int
) -> list[dict[str, Any]]:
    """For these dates: every public active asset with enough units free (buffers included), by location."""
    if return_at <= pickup_at:
        raise InvalidInput("Return must be after pick-up.", field="return_at")
    query = sa.select(InvAsset).where(InvAsset.status == "active", InvAsset.public.is_(True))
    if category:
        query = query.where(InvAsset.category == category)
    by_location: dict[int, list[dict[str, Any]]] = {}
    for asset in session.scalars(query.order_by(InvAsset.name_nl)):
        start, end = blocked_range(asset, pickup_at, return_at, False)
        free = free_quantity(session, asset, start, end)
        if free >= quantity:
            by_location.setdefault(asset.location_id, []).append(
                {
                    "asset_id": asset.id,
                    "code": asset.code,
                    "name_nl": asset.name_nl,
                    "name_en": asset.name_en,
                    "category": asset.category,
                    "free": free,
                }
            )
    result = []
    for location_id, assets in by_location.items():
        location = session.get(InvLocation, location_id)
        result.append(
            {
                "location_id": location_id,
                "name": location.name if location else None,
                "street": location.street if location else None,
                "assets": assets,
            }
        )
    return sorted(result, key=lambda r: r["name"] or "")


def maintenance_for(session: Session, asset_id: int) -> list[InvMaintenanceWindow]:
    return list(
        session.scalars(
            sa.select(InvMaintenanceWindow).where(
                InvMaintenanceWindow.asset_id == asset_id, InvMaintenanceWindow.removed_at.is_(None)
            )
        )
    )


def maintenance_hits(session: Session, request: BookingRequest) -> list[dict[str, Any]]:
    """Maintenance windows overlapping the request's active allocations: they arrived after the approval
    (an approval never overlaps a known window), and staff must sort them out with the borrower."""
    query = (
        sa.select(InvMaintenanceWindow)
        .join(Allocation, Allocation.asset_id == InvMaintenanceWindow.asset_id)
        .where(
            Allocation.request_id == request.id,
            Allocation.active.is_(True),
            InvMaintenanceWindow.removed_at.is_(None),
            InvMaintenanceWindow.starts_at < Allocation.blocked_until,
            Allocation.blocked_from < InvMaintenanceWindow.ends_at,
        )
    )
    return [
        {
            "asset_id": w.asset_id,
            "starts_at": w.starts_at.isoformat(),
            "ends_at": w.ends_at.isoformat(),
            "reason": w.reason,
        }
        for w in session.scalars(query)
    ]
