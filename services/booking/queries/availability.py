"""Free quantities: per slot (the API), an asset's month (its page), and "what can I borrow on these dates?".

Each reads the allocations and maintenance windows of a whole range once (``Busy.of``) and answers every slot
and day from memory with the same sweep as the write path (``conflicts.peak_usage``), so a month costs the
same few statements whether it holds no booking or a hundred. The dates-first search refuses dates with the
submission's own rule (``domain.requests.dates_problems``): it never offers what the form would refuse.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.domain.conflicts import blocked_range, peak_usage
from services.booking.domain.errors import Code, invalid
from services.booking.domain.requests import dates_problems, earliest_pickup, opening_spans
from services.booking.models import Allocation, InvAsset, InvLocation, InvMaintenanceWindow
from services.booking.queries.catalogue import Entry
from services.inventory.contract import AssetStatus
from shared.clock import BRUSSELS, to_local
from shared.db import UTCDateTime
from shared.errors import NotFound

MAX_SLOTS = 400


# Built once with bound parameters (every page with a calendar or a search runs them): each read only binds
# its values to SQLAlchemy's cached compilation.
_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
_START, _END = sa.bindparam("start", type_=UTCDateTime()), sa.bindparam("end", type_=UTCDateTime())
_ALLOCATIONS_OVER = sa.select(
    Allocation.asset_id, Allocation.blocked_from, Allocation.blocked_until, Allocation.quantity
).where(Allocation.asset_id.in_(_IDS), Allocation.holding(_START, _END))
_WINDOWS_OVER = sa.select(
    InvMaintenanceWindow.asset_id, InvMaintenanceWindow.starts_at, InvMaintenanceWindow.ends_at
).where(InvMaintenanceWindow.asset_id.in_(_IDS), InvMaintenanceWindow.in_force(_START, _END))


@dataclass(frozen=True)
class Busy:
    """What keeps one asset busy within a range, read once: allocations as (from, until, quantity), windows."""

    asset: InvAsset
    allocations: tuple[tuple[datetime, datetime, int], ...]
    windows: tuple[tuple[datetime, datetime], ...]

    @classmethod
    def of(cls, session: Session, assets: Sequence[InvAsset], start: datetime, end: datetime) -> dict[int, Busy]:
        """Two statements for any number of assets and any length of range."""
        ids = [a.id for a in assets]
        allocations: dict[int, list[tuple[datetime, datetime, int]]] = {i: [] for i in ids}
        windows: dict[int, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
        if ids:
            params = {"ids": ids, "start": start, "end": end}
            for asset_id, a, b, quantity in session.execute(_ALLOCATIONS_OVER, params):
                allocations[asset_id].append((a, b, quantity))
            for asset_id, a, b in session.execute(_WINDOWS_OVER, params):
                windows[asset_id].append((a, b))
        return {a.id: cls(a, tuple(allocations[a.id]), tuple(windows[a.id])) for a in assets}

    def within(self, start: datetime, end: datetime) -> Busy:
        """The same, less what does not touch [start, end): the same answers for any range inside it, with
        fewer ranges to look through (a month's day checks its hours against that day's loans only)."""
        return Busy(
            self.asset,
            tuple(r for r in self.allocations if r[0] < end and start < r[1]),
            tuple(w for w in self.windows if w[0] < end and start < w[1]),
        )

    def free(self, start: datetime, end: datetime) -> int:
        """Units free for the whole of [start, end) (0 when retired or under maintenance then)."""
        if self.asset.status != AssetStatus.ACTIVE or any(a < end and start < b for a, b in self.windows):
            return 0
        return max(self.asset.quantity - peak_usage(self.allocations, start, end), 0)


def free_quantity(session: Session, asset: InvAsset, start: datetime, end: datetime) -> int:
    """Units of ``asset`` free for the whole of [start, end) (a loan there also needs its buffers)."""
    return Busy.of(session, [asset], start, end)[asset.id].free(start, end)


def slot_boundaries(start: datetime, end: datetime, granularity: str) -> list[datetime]:
    """Instants cutting [start, end) into hours, or into Brussels calendar days (23 or 25 hours at DST switches).

    Raises InvalidInput when the window is empty or has too many slots.
    """
    if end <= start:
        raise invalid("to", Code.WINDOW_EMPTY)
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
            bounds.append(min(midnight(day), end))
    if len(bounds) > MAX_SLOTS:
        raise invalid("to", Code.WINDOW_TOO_LONG, slots=MAX_SLOTS)
    return bounds


def availability(session: Session, assets: list[InvAsset], bounds: list[datetime]) -> list[dict[str, Any]]:
    """Free quantity of each asset in each slot between consecutive ``bounds``."""
    busy = Busy.of(session, assets, bounds[0], bounds[-1])
    return [
        {
            "asset_id": asset.id,
            "asset_code": asset.code,
            "quantity": asset.quantity,
            "slots": [
                {"start": a.isoformat(), "end": b.isoformat(), "free": busy[asset.id].free(a, b)}
                for a, b in pairwise(bounds)
            ],
        }
        for asset in assets
    ]


def availability_of(
    session: Session,
    start: datetime,
    end: datetime,
    granularity: str,
    asset_id: int | None = None,
    location_id: int | None = None,
    is_staff: bool = False,
) -> list[dict[str, Any]]:
    """Free units of one asset, or of every active asset of a location, per slot (public assets only for the
    public). Raises NotFound for an asset the reader may not see, InvalidInput for a bad window."""
    query = sa.select(InvAsset).where(InvAsset.status == AssetStatus.ACTIVE).order_by(InvAsset.id)
    if not is_staff:
        query = query.where(InvAsset.public.is_(True))
    query = (
        query.where(InvAsset.id == asset_id)
        if asset_id is not None
        else query.where(InvAsset.location_id == location_id)
    )
    assets = list(session.scalars(query))
    if asset_id is not None and not assets:
        raise NotFound(code=Code.ASSET_UNKNOWN)
    return availability(session, assets, slot_boundaries(start, end, granularity))


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BRUSSELS).astimezone(UTC)


def day_state(busy: Busy, location: InvLocation | None, day: date, earliest: datetime | None) -> str:
    """free, partly (free for part of the opening hours), taken, closed (the centre does not open), too_soon
    (before the asset's lead time allows a pick-up), or past."""
    start, end = midnight(day), midnight(day + timedelta(days=1))
    spans = opening_spans(location, day)
    if spans == []:
        return "closed"
    if earliest is not None and end <= earliest:
        return "too_soon"
    busy = busy.within(start, end)
    free = busy.free(start, end)
    if free >= busy.asset.quantity:
        return "free"
    if free > 0:
        return "partly"
    for span_start, span_end in spans or [(start, end)]:
        cursor = span_start
        while cursor < span_end:
            if busy.free(cursor, min(cursor + timedelta(hours=1), span_end)) > 0:
                return "partly"
            cursor += timedelta(hours=1)
    return "taken"


def month_grid(
    session: Session,
    asset: InvAsset,
    location: InvLocation | None,
    month: date,
    today: date,
    now: datetime,
    is_staff: bool = False,
) -> list[list[dict[str, Any] | None]]:
    """Weeks (Monday first) of the month, each day with its state; the month is read once (two statements)."""
    weeks_of_days = month_calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    first, last = weeks_of_days[0][0], weeks_of_days[-1][-1]
    busy = Busy.of(session, [asset], midnight(first), midnight(last + timedelta(days=1)))[asset.id]
    earliest = None if is_staff else earliest_pickup(asset, now, location)
    weeks: list[list[dict[str, Any] | None]] = []
    for week in weeks_of_days:
        row: list[dict[str, Any] | None] = []
        for day in week:
            if day.month != month.month:
                row.append(None)
            elif day < today:
                row.append({"day": day, "state": "past"})
            else:
                row.append({"day": day, "state": day_state(busy, location, day, earliest)})
        weeks.append(row)
    return weeks


def what_can_i_borrow(
    session: Session,
    pickup_at: datetime,
    return_at: datetime,
    category: str | None,
    quantity: int,
    now: datetime,
    is_staff: bool = False,
    catalogue: Sequence[Entry] | None = None,
) -> list[dict[str, Any]]:
    """For these dates: every public active asset that a request could get, by location.

    An asset is offered only when the submission's rules accept the dates for it (opening hours, lead time, loan
    length, not in the past) and enough units are free then, buffers included. Raises InvalidInput when the dates
    themselves are wrong (return not after pick-up). Given the ``catalogue`` a page has read already (the public
    active assets with their locations), the assets are not read again: the search costs two statements.
    """
    if return_at <= pickup_at:
        raise invalid("return_at", Code.RETURN_NOT_AFTER_PICKUP)
    if catalogue is None:
        query = sa.select(InvAsset).where(InvAsset.status == AssetStatus.ACTIVE, InvAsset.public.is_(True))
        if category:
            query = query.where(InvAsset.category == category)
        assets = list(session.scalars(query.order_by(InvAsset.name_nl)))
        locations = _locations(session, {a.location_id for a in assets})
    else:
        chosen = [e for e in catalogue if not category or e.asset.category == category]
        assets = sorted((e.asset for e in chosen), key=lambda a: a.name_nl)
        locations = {e.location.id: e.location for e in chosen if e.location is not None}
    ranges = {a.id: blocked_range(a, pickup_at, return_at, False) for a in assets}
    start = min((r[0] for r in ranges.values()), default=pickup_at)
    end = max((r[1] for r in ranges.values()), default=return_at)
    busy = Busy.of(session, assets, start, end)
    by_location: dict[int, list[dict[str, Any]]] = {}
    for asset in assets:
        location = locations.get(asset.location_id)
        if dates_problems(pickup_at, return_at, [asset], location, is_staff, now):
            continue
        free = busy[asset.id].free(*ranges[asset.id])
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
    result = [
        {
            "location_id": location_id,
            "name": locations[location_id].name if location_id in locations else None,
            "street": locations[location_id].street if location_id in locations else None,
            "assets": offered,
        }
        for location_id, offered in by_location.items()
    ]
    return sorted(result, key=lambda r: r["name"] or "")


def _locations(session: Session, ids: Iterable[int]) -> dict[int, InvLocation]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {loc.id: loc for loc in session.scalars(sa.select(InvLocation).where(InvLocation.id.in_(wanted)))}


# How far ahead the request form lists what is taken (the asset's page pages through every month).
TAKEN_AHEAD_DAYS = 92


@dataclass(frozen=True)
class TakenPeriod:
    """A stretch in which the asset cannot be lent (every unit out, buffers included, or under maintenance)."""

    start: datetime
    end: datetime
    kind: str  # on_loan | maintenance


def taken_periods(session: Session, asset: InvAsset, now: datetime, days: int = TAKEN_AHEAD_DAYS) -> list[TakenPeriod]:
    """When ``asset`` is taken from now for ``days`` days, merged into periods, in order: what the request form
    shows beside the dates. Read once (``Busy.of``, two statements whatever the range holds); never whose loan.

    A pooled asset counts as taken only where all its units are out (``peak_usage`` over each stretch between the
    allocations' edges, the write path's sweep).
    """
    end = now + timedelta(days=days)
    busy = Busy.of(session, [asset], now, end)[asset.id]
    edges = sorted({now, end, *(t for a, b, _ in busy.allocations for t in (a, b) if now < t < end)})
    on_loan = [(a, b) for a, b in pairwise(edges) if peak_usage(busy.allocations, a, b) >= asset.quantity]
    windows = [(max(a, now), min(b, end)) for a, b in busy.windows]
    periods = [TakenPeriod(a, b, "on_loan") for a, b in _merged(on_loan)]
    periods += [TakenPeriod(a, b, "maintenance") for a, b in _merged(windows)]
    return sorted(periods, key=lambda p: (p.start, p.kind))


def _merged(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
