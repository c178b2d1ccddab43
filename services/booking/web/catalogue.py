"""What the public pages read from booking's copy of the inventory, and the month availability grid."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.domain import queries
from services.booking.models import InvAsset, InvLocation, InvRequirement
from shared.clock import BRUSSELS


@dataclass(frozen=True)
class Entry:
    asset: InvAsset
    location: InvLocation | None
    requirements: list[InvRequirement]


def public_assets_query() -> sa.Select[Any]:
    return sa.select(InvAsset).where(InvAsset.status == "active", InvAsset.public.is_(True))


def requirements_for(session: Session, codes: list[str]) -> list[InvRequirement]:
    if not codes:
        return []
    rows = session.scalars(sa.select(InvRequirement).where(InvRequirement.code.in_(codes)))
    by_code = {r.code: r for r in rows}
    # What the borrower must bring (a tow hitch, a van) before the details (a plate number).
    return sorted((by_code[c] for c in codes if c in by_code), key=lambda r: (r.kind != "confirm", r.code))


def entry(session: Session, asset: InvAsset) -> Entry:
    return Entry(asset, session.get(InvLocation, asset.location_id), requirements_for(session, asset.requirement_codes))


def catalogue(session: Session) -> list[Entry]:
    assets: list[InvAsset] = list(
        session.scalars(public_assets_query().order_by(InvAsset.category != "caravan", InvAsset.name_nl))
    )
    return [entry(session, asset) for asset in assets]


def find_public_asset(session: Session, code: str) -> InvAsset | None:
    asset: InvAsset | None = session.scalar(public_assets_query().where(InvAsset.code == code))
    return asset


def opening_lines(location: InvLocation | None) -> list[tuple[int, str]]:
    """(weekday, '09:00–12:00, 13:00–17:00') for each day the location opens, Monday first."""
    if location is None:
        return []
    days: dict[int, list[str]] = {}
    for interval in sorted(location.opening_hours or [], key=lambda h: (h["weekday"], h["opens"])):
        days.setdefault(interval["weekday"], []).append(f"{interval['opens'][:5]}–{interval['closes'][:5]}")
    return [(weekday, ", ".join(spans)) for weekday, spans in sorted(days.items())]


def _local(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=BRUSSELS).astimezone(UTC)


def day_state(session: Session, asset: InvAsset, location: InvLocation | None, day: date) -> str:
    """free, partly (free for part of the opening hours), taken, or closed (the centre does not open)."""
    spans = [h for h in (location.opening_hours if location else []) if h["weekday"] == day.weekday()]
    if location is not None and location.opening_hours and not spans:
        return "closed"
    start, end = _local(day, time(0)), _local(day + timedelta(days=1), time(0))
    free = queries.free_quantity(session, asset, start, end)
    if free >= asset.quantity:
        return "free"
    if free > 0:
        return "partly"
    hours = spans or [{"opens": "00:00", "closes": "23:59"}]
    for span in hours:
        cursor = _local(day, time.fromisoformat(span["opens"]))
        until = _local(day, time.fromisoformat(span["closes"]))
        while cursor < until:
            if queries.free_quantity(session, asset, cursor, cursor + timedelta(hours=1)) > 0:
                return "partly"
            cursor += timedelta(hours=1)
    return "taken"


def month_grid(
    session: Session, asset: InvAsset, location: InvLocation | None, month: date, today: date
) -> list[list[dict[str, Any] | None]]:
    """Weeks (Monday first) of the month; each day with its state; days before today are 'past'."""
    weeks: list[list[dict[str, Any] | None]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row: list[dict[str, Any] | None] = []
        for day in week:
            if day.month != month.month:
                row.append(None)
            elif day < today:
                row.append({"day": day, "state": "past"})
            else:
                row.append({"day": day, "state": day_state(session, asset, location, day)})
        weeks.append(row)
    return weeks


def parse_month(value: str | None, today: date) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        chosen = date(year, month, 1)
    except ValueError:
        return today.replace(day=1)
    first = today.replace(day=1)
    # Paging is bounded: from this month up to two years ahead.
    if chosen < first or chosen > first.replace(year=first.year + 2):
        return first
    return chosen


def shift_month(month: date, delta: int) -> date:
    index = month.year * 12 + month.month - 1 + delta
    return date(index // 12, index % 12 + 1, 1)
