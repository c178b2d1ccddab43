"""Statistics for neighbourhood planning: loans per asset, per location and per month, utilisation, initiatives.

A loan is a request that was approved (and maybe picked up and returned). Shown as bars, exported as CSV.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _

from services.booking.queries import statistics as reads
from services.booking.web.i18n import in_language, month_name
from services.booking.web.staff import blp
from shared import clock
from shared.db import get_session
from shared.spreadsheet import Cell, write_csv


@dataclass(frozen=True)
class Shown:
    """The year's statistics with names in the reader's language, as the page and the CSV show them."""

    year: int
    loans: int
    initiatives: int
    per_asset: Counter[str]
    per_location: Counter[str]
    per_month: list[tuple[str, int]]
    utilisation: dict[str, float]


def shown(stats: reads.Statistics) -> Shown:
    def asset_name(asset_id: int) -> str:
        asset = stats.assets.get(asset_id)
        return in_language(asset.name_nl, asset.name_en) if asset else str(asset_id)

    def location_name(location_id: int) -> str:
        location = stats.locations.get(location_id)
        return location.name if location else "?"

    return Shown(
        year=stats.year,
        loans=stats.loans,
        initiatives=stats.initiatives,
        per_asset=Counter({asset_name(k): v for k, v in stats.per_asset.items()}),
        per_location=Counter({location_name(k): v for k, v in stats.per_location.items()}),
        per_month=[(month_name(date(stats.year, m, 1)), stats.per_month[m]) for m in range(1, 13)],
        utilisation={asset_name(k): v for k, v in stats.utilisation.items()},
    )


def compute(db: Any, year: int) -> Shown:
    return shown(reads.statistics(db, year))


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
    # Column names and measures in the reader's language, like the page (a spreadsheet is read by people too).
    rows: list[list[Cell]] = [
        [_("jaar"), _("maat"), _("sleutel"), _("waarde")],
        [stats.year, _("uitleningen"), "", stats.loans],
        [stats.year, _("verschillende initiatieven"), "", stats.initiatives],
    ]
    per_asset, per_location = _("uitleningen per materiaal"), _("uitleningen per buurtcentrum")
    rows += [[stats.year, per_asset, name, count] for name, count in sorted(stats.per_asset.items())]
    rows += [[stats.year, per_location, name, count] for name, count in sorted(stats.per_location.items())]
    for index, (_label, count) in enumerate(stats.per_month, start=1):
        rows.append([stats.year, _("uitleningen per maand"), f"{stats.year}-{index:02d}", count])
    rows += [[stats.year, _("bezetting"), name, f"{share:.4f}"] for name, share in sorted(stats.utilisation.items())]
    return Response(
        write_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="uitleen-statistiek-{stats.year}.csv"'},
    )
