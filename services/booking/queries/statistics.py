"""Statistics for neighbourhood planning: loans per asset, per centre and per month, utilisation, initiatives.

A loan is a request that was approved (and maybe picked up and returned): its allocations counted. Keys are ids
(and month numbers); the pages put names on them in the reader's language.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.models import ALLOCATING_STATUSES, BookingRequest, InvAsset, InvLocation, RequestItem
from shared import clock
from shared.clock import BRUSSELS


@dataclass
class Statistics:
    year: int
    loans: int = 0
    initiatives: int = 0
    per_asset: Counter[int] = field(default_factory=Counter)
    per_location: Counter[int] = field(default_factory=Counter)
    per_month: Counter[int] = field(default_factory=Counter)  # 1..12
    utilisation: dict[int, float] = field(default_factory=dict)  # asset id → share of the year's hours out on loan
    assets: dict[int, InvAsset] = field(default_factory=dict)
    locations: dict[int, InvLocation] = field(default_factory=dict)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, 1, 1), time(0), tzinfo=BRUSSELS).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=BRUSSELS).astimezone(UTC)
    return start, end


def statistics(session: Session, year: int) -> Statistics:
    """The year's loans (by pick-up in Brussels' year), three statements whatever the year holds."""
    start, end = year_bounds(year)
    stats = Statistics(year)
    rows = session.execute(
        sa.select(
            BookingRequest.id,
            BookingRequest.initiative_id,
            BookingRequest.location_id,
            BookingRequest.pickup_at,
            sa.func.coalesce(BookingRequest.actual_pickup_at, BookingRequest.pickup_at),
            sa.func.coalesce(BookingRequest.actual_return_at, BookingRequest.return_at),
            RequestItem.asset_id,
            RequestItem.quantity,
        )
        .join(RequestItem, RequestItem.request_id == BookingRequest.id)
        .where(
            BookingRequest.status.in_(ALLOCATING_STATUSES),
            BookingRequest.pickup_at >= start,
            BookingRequest.pickup_at < end,
        )
    ).all()
    stats.assets = {a.id: a for a in session.scalars(sa.select(InvAsset))}
    stats.locations = {loc.id: loc for loc in session.scalars(sa.select(InvLocation))}
    hours: dict[int, float] = {}
    seen: set[int] = set()
    initiatives: set[int] = set()
    for request_id, initiative_id, location_id, pickup_at, began, ended, asset_id, quantity in rows:
        stats.per_asset[asset_id] += 1
        hours[asset_id] = (
            hours.get(asset_id, 0.0) + max((min(ended, end) - max(began, start)).total_seconds() / 3600, 0) * quantity
        )
        if request_id not in seen:
            seen.add(request_id)
            initiatives.add(initiative_id)
            stats.per_location[location_id] += 1
            stats.per_month[clock.to_local(pickup_at).month] += 1
    stats.loans, stats.initiatives = len(seen), len(initiatives)
    year_hours = (end - start).total_seconds() / 3600
    for asset_id, used in hours.items():
        asset = stats.assets.get(asset_id)
        if asset is not None:
            stats.utilisation[asset_id] = used / (year_hours * asset.quantity)
    return stats
