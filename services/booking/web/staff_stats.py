"""Statistics for neighbourhood planning: loans per asset, per location and per month, utilisation, initiatives.

A loan is a request that was approved (and maybe picked up and returned). Shown as bars, exported as CSV.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import Response, render_template, request

from services.booking.models import ALLOCATING_STATUSES, BookingRequest, InvAsset, InvLocation, RequestItem
from services.booking.web.i18n import in_language, month_name
from services.booking.web.staff import blp
from shared import clock
from shared.clock import BRUSSELS
from shared.db import get_session
from shared.spreadsheet import Cell, write_csv


@dataclass
class Statistics:
    year: int
    loans: int = 0
    initiatives: int = 0
    per_asset: Counter[str] = field(default_factory=Counter)
    per_location: Counter[str] = field(default_factory=Counter)
    per_month: list[tuple[str, int]] = field(default_factory=list)
    utilisation: dict[str, float] = field(default_factory=dict)  # share of the year's hours out on loan


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, 1, 1), time(0), tzinfo=BRUSSELS).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=BRUSSELS).astimezone(UTC)
    return start, end


def compute(db: Any, year: int) -> Statistics:
    start, end = _year_bounds(year)
    stats = Statistics(year)
    rows = db.execute(
        sa.select(BookingRequest, RequestItem)
        .join(RequestItem, RequestItem.request_id == BookingRequest.id)
        .where(
            BookingRequest.status.in_(ALLOCATING_STATUSES),
            BookingRequest.pickup_at >= start,
            BookingRequest.pickup_at < end,
        )
    ).all()
    assets = {a.id: a for a in db.scalars(sa.select(InvAsset))}
    locations = {loc.id: loc.name for loc in db.scalars(sa.select(InvLocation))}
    months: Counter[int] = Counter()
    hours: Counter[int] = Counter()
    seen_requests: set[int] = set()
    initiatives: set[int] = set()
    for booking, item in rows:
        asset = assets.get(item.asset_id)
        name = in_language(asset.name_nl, asset.name_en) if asset else str(item.asset_id)
        stats.per_asset[name] += 1
        ended = booking.actual_return_at or booking.return_at
        began = booking.actual_pickup_at or booking.pickup_at
        hours[item.asset_id] += max((min(ended, end) - max(began, start)).total_seconds() / 3600, 0) * item.quantity
        if booking.id not in seen_requests:
            seen_requests.add(booking.id)
            initiatives.add(booking.initiative_id)
            stats.per_location[locations.get(booking.location_id, "?")] += 1
            months[clock.to_local(booking.pickup_at).month] += 1
    stats.loans = len(seen_requests)
    stats.initiatives = len(initiatives)
    stats.per_month = [(month_name(date(year, m, 1)), months[m]) for m in range(1, 13)]
    year_hours = (end - start).total_seconds() / 3600
    for asset_id, used in hours.items():
        asset = assets.get(asset_id)
        if asset is not None:
            stats.utilisation[in_language(asset.name_nl, asset.name_en)] = used / (year_hours * asset.quantity)
    return stats


def _year() -> int:
    current = clock.to_local(clock.now()).year
    try:
        year = int(request.args.get("jaar", current))
    except ValueError:
        return current
    return year if 2000 <= year <= current + 2 else current


@blp.get("/statistiek")
def statistics() -> str:
    stats = compute(get_session(), _year())
    return render_template("staff/statistics.html", stats=stats)


@blp.get("/statistiek.csv")
def statistics_csv() -> Response:
    stats = compute(get_session(), _year())
    rows: list[list[Cell]] = [
        ["year", "measure", "key", "value"],
        [stats.year, "loans", "", stats.loans],
        [stats.year, "distinct_initiatives", "", stats.initiatives],
    ]
    rows += [[stats.year, "loans_per_asset", name, count] for name, count in sorted(stats.per_asset.items())]
    rows += [[stats.year, "loans_per_location", name, count] for name, count in sorted(stats.per_location.items())]
    for index, (_label, count) in enumerate(stats.per_month, start=1):
        rows.append([stats.year, "loans_per_month", f"{stats.year}-{index:02d}", count])
    rows += [[stats.year, "utilisation", name, f"{share:.4f}"] for name, share in sorted(stats.utilisation.items())]
    return Response(
        write_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="uitleen-statistiek-{stats.year}.csv"'},
    )
