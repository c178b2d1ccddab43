"""The staff's calendar: every asset of the reader's centres, a week or a month, each day's loans, turnarounds and
maintenance, read once for the whole range (three statements, whatever the range holds: the initiative comes
with its booking)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from services.booking.models import Allocation, BookingRequest, Centres, InvAsset, InvMaintenanceWindow
from services.booking.queries.availability import midnight
from services.inventory.contract import AssetStatus


@dataclass(frozen=True)
class Calendar:
    days: list[date]
    rows: list[dict[str, Any]]
    previous: date
    following: date


def _days(month: bool, anchor: date) -> tuple[list[date], date, date]:
    if not month:
        first = anchor - timedelta(days=anchor.weekday())
        return [first + timedelta(days=i) for i in range(7)], first - timedelta(days=7), first + timedelta(days=7)
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    days = [first + timedelta(days=i) for i in range((following - first).days)]
    return days, (first - timedelta(days=1)).replace(day=1), following


def staff_calendar(session: Session, month: bool, anchor: date, centres: Centres) -> Calendar:
    """A day shows a booking as 'loan' while the asset is (planned to be, or really) away, else as 'buffer'."""
    days, previous, following = _days(month, anchor)
    start, end = midnight(days[0]), midnight(days[-1] + timedelta(days=1))
    query = sa.select(InvAsset).where(InvAsset.status == AssetStatus.ACTIVE)
    if centres is not None:
        query = query.where(InvAsset.location_id.in_(sorted(centres) or [-1]))
    assets = list(session.scalars(query.order_by(InvAsset.name_nl)))
    ids = [a.id for a in assets]
    allocations: dict[int, list[tuple[Allocation, BookingRequest]]] = {i: [] for i in ids}
    windows: dict[int, list[InvMaintenanceWindow]] = {i: [] for i in ids}
    if ids:
        for allocation, booking in session.execute(
            sa.select(Allocation, BookingRequest)
            .join(BookingRequest, BookingRequest.id == Allocation.request_id)
            .where(Allocation.asset_id.in_(ids), Allocation.holding(start, end))
            .options(joinedload(BookingRequest.initiative))
        ):
            allocations[allocation.asset_id].append((allocation, booking))
        for window in session.scalars(
            sa.select(InvMaintenanceWindow).where(
                InvMaintenanceWindow.asset_id.in_(ids), InvMaintenanceWindow.in_force(start, end)
            )
        ):
            windows[window.asset_id].append(window)
    rows = []
    for asset in assets:
        cells: list[list[dict[str, Any]]] = []
        for day in days:
            day_start, day_end = midnight(day), midnight(day + timedelta(days=1))
            cell: list[dict[str, Any]] = []
            for allocation, booking in allocations[asset.id]:
                if allocation.blocked_from < day_end and day_start < allocation.blocked_until:
                    away_from = booking.actual_pickup_at or booking.pickup_at
                    away_until = booking.actual_return_at or booking.return_at
                    loan = away_from < day_end and day_start < away_until
                    cell.append({"kind": "loan" if loan else "buffer", "booking": booking})
            cell += [
                {"kind": "maintenance", "window": w}
                for w in windows[asset.id]
                if w.starts_at < day_end and day_start < w.ends_at
            ]
            cells.append(cell)
        rows.append({"asset": asset, "cells": cells})
    return Calendar(days, rows, previous, following)
