"""The month read once gives what a slow read per slot gives: the asset page's grid, the dates-first search and
the staff calendar, over March and April 2030 as they fill (``tests/support/busy_month``: partial quantities,
the caravan's turnaround, pending requests, loans out and back early, maintenance, closed days, the lead time).

The reference here asks the write path itself, one slot at a time: how many units ``conflicts.find_conflicts``
(what an approval runs) still lets through, with its own statements per slot, and decides each day from that
with the timetable and lead-time rules of submission. The pages read the range once and answer from memory.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.domain.conflicts import Wanted, blocked_range, find_conflicts
from services.booking.domain.requests import dates_problems, earliest_pickup, opening_spans
from services.booking.models import (
    Allocation,
    BookingRequest,
    Centres,
    InvAsset,
    InvLocation,
    InvMaintenanceWindow,
    RequestItem,
)
from services.booking.queries.availability import midnight, month_grid, what_can_i_borrow
from services.booking.queries.calendar import staff_calendar
from services.booking.queries.catalogue import catalogue
from services.booking.queries.requests import competitions
from services.inventory.contract import AssetStatus
from shared import clock
from tests.booking_fixtures import NOW
from tests.support.busy_month import CARAVAN, MONTH, SEWING, Desk, Suite, forty_more, one_of_each, open_days

MONTHS = (date(2030, 3, 1), MONTH)


def free_by_write_path(session: Session, asset: InvAsset, start: datetime, end: datetime) -> int:
    """The most units an approval over exactly [start, end) would get (0 under maintenance, or retired)."""
    if asset.status != AssetStatus.ACTIVE:
        return 0
    for quantity in range(asset.quantity, 0, -1):
        wanted = Wanted(RequestItem(asset_id=asset.id, quantity=quantity), asset, start, end)
        if not find_conflicts(session, [wanted], None):
            return quantity
    return 0


def reference_state(session: Session, asset: InvAsset, location: InvLocation | None, day: date) -> str:
    today = clock.to_local(NOW).date()
    if day < today:
        return "past"
    spans = opening_spans(location, day)
    if spans == []:
        return "closed"
    start, end = midnight(day), midnight(day + timedelta(days=1))
    if end <= earliest_pickup(asset, NOW):
        return "too_soon"
    whole_day = free_by_write_path(session, asset, start, end)
    if whole_day == asset.quantity:
        return "free"
    if whole_day:
        return "partly"
    for opens, closes in spans or [(start, end)]:
        hour = opens
        while hour < closes:
            if free_by_write_path(session, asset, hour, min(hour + timedelta(hours=1), closes)):
                return "partly"
            hour += timedelta(hours=1)
    return "taken"


def fill(suite: Suite) -> None:
    desk = Desk(suite)
    one_of_each(suite, desk)
    forty_more(suite, desk)
    for day in open_days(6, MONTH):  # the whole stock of the sewing machines taken some mornings
        made = desk.request(SEWING, day, (9, 12), quantity=6 - (day.day % 3))
        desk.approve(made["request_id"])
    for day in open_days(8, MONTH):  # waiting requests in the way of each other and of the loans
        desk.request(CARAVAN, day, (11, 14))
    early = desk.request(SEWING, MONTH + timedelta(days=10), (9, 16), quantity=2)["request_id"]
    assert desk.approve(early)
    desk.returned_early(early, MONTH + timedelta(days=10), 10)  # back at 11:00 instead of 16:00


def test_reads_of_a_whole_range_answer_as_the_reads_per_slot(suite: Suite) -> None:
    """One month filled, three readers compared (filling it is the slow part)."""
    fill(suite)
    the_asset_month_read_once_is_the_month_read_slot_by_slot(suite)
    what_can_i_borrow_offers_what_an_approval_would_get(suite)
    the_staff_calendar_read_once_is_the_calendar_read_day_by_day(suite)
    the_dashboard_read_together_is_each_request_read_alone(suite)


def the_asset_month_read_once_is_the_month_read_slot_by_slot(suite: Suite) -> None:
    compared: dict[str, int] = {}
    with suite.booking.session_factory() as session:
        for asset in session.scalars(sa.select(InvAsset).order_by(InvAsset.id)):
            location = session.get(InvLocation, asset.location_id)
            for month in MONTHS:
                weeks = month_grid(session, asset, location, month, clock.to_local(NOW).date(), NOW)
                for cell in (c for week in weeks for c in week if c is not None):
                    expected = reference_state(session, asset, location, cell["day"])
                    assert cell["state"] == expected, (asset.code, cell["day"], cell["state"], expected)
                    compared[expected] = compared.get(expected, 0) + 1
    assert set(compared) == {"past", "closed", "too_soon", "free", "partly", "taken"}, compared


def searches() -> list[tuple[datetime, datetime]]:
    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, datetime.min.time().replace(hour=hour), tzinfo=clock.BRUSSELS)

    asked = []
    for day in open_days(14, MONTH - timedelta(days=26)):
        asked += [(at(day, 10), at(day, 16)), (at(day, 9), at(day, 12)), (at(day, 13), at(day + timedelta(days=1), 11))]
    return asked


def what_can_i_borrow_offers_what_an_approval_would_get(suite: Suite) -> None:
    offered_somewhere = refused_somewhere = 0
    with suite.booking.session_factory() as session:
        assets = list(session.scalars(sa.select(InvAsset).where(InvAsset.public.is_(True))))
        locations = {loc.id: loc for loc in session.scalars(sa.select(InvLocation))}
        for pickup_at, return_at in searches():
            found = what_can_i_borrow(session, pickup_at, return_at, None, 1, NOW)
            got = {a["asset_id"]: a["free"] for group in found for a in group["assets"]}
            assert what_can_i_borrow(session, pickup_at, return_at, None, 1, NOW, catalogue=catalogue(session)) == found
            expected = {}
            for asset in assets:
                if asset.status != AssetStatus.ACTIVE:
                    continue
                if dates_problems(pickup_at, return_at, [asset], locations.get(asset.location_id), False, NOW):
                    continue
                free = free_by_write_path(session, asset, *blocked_range(asset, pickup_at, return_at, False))
                if free >= 1:
                    expected[asset.id] = free
            assert got == expected, (pickup_at, return_at)
            offered_somewhere += bool(got)
            refused_somewhere += len(assets) - len(got)
    assert offered_somewhere and refused_somewhere


def reference_cells(session: Session, asset: InvAsset, day: date) -> list[tuple[str, int]]:
    """What one day of the staff calendar shows for ``asset``, read for that day alone."""
    start, end = midnight(day), midnight(day + timedelta(days=1))
    cells = []
    for booking in session.scalars(
        sa.select(BookingRequest)
        .join(Allocation, Allocation.request_id == BookingRequest.id)
        .where(Allocation.asset_id == asset.id, Allocation.holding(start, end))
    ):
        away_from = booking.actual_pickup_at or booking.pickup_at
        away_until = booking.actual_return_at or booking.return_at
        cells.append(("loan" if away_from < end and start < away_until else "buffer", booking.id))
    for window in session.scalars(
        sa.select(InvMaintenanceWindow).where(
            InvMaintenanceWindow.asset_id == asset.id, InvMaintenanceWindow.in_force(start, end)
        )
    ):
        cells.append(("maintenance", window.id))
    return sorted(cells)


def shown(cell: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((c["kind"], c["booking"].id if "booking" in c else c["window"].id) for c in cell)


def the_staff_calendar_read_once_is_the_calendar_read_day_by_day(suite: Suite) -> None:
    kinds: set[str] = set()
    everywhere: Centres = None
    with suite.booking.session_factory() as session:
        for month, anchor in ((True, MONTH), (False, MONTH + timedelta(days=10)), (True, date(2030, 3, 1))):
            grid = staff_calendar(session, month, anchor, everywhere)
            assert {row["asset"].code for row in grid.rows} >= {SEWING, CARAVAN}
            for row in grid.rows:
                for day, cell in zip(grid.days, row["cells"], strict=True):
                    assert shown(cell) == reference_cells(session, row["asset"], day), (row["asset"].code, day)
                    kinds |= {kind for kind, _ in shown(cell)}
    assert kinds == {"loan", "buffer", "maintenance"}


def the_dashboard_read_together_is_each_request_read_alone(suite: Suite) -> None:
    """What competes with every request, read for all of them at once (the dashboard), is what each one's own
    page shows: the union of their ranges read once lets nothing of one request's neighbours into another's."""
    with suite.booking.session_factory() as session:
        every = list(session.scalars(sa.select(BookingRequest).order_by(BookingRequest.id)))
        together = competitions(session, every)
        flagged = 0
        for request in every:
            alone = competitions(session, [request])[request.id]
            assert together[request.id] == alone, request.reference
            flagged += sum(len(alone[k]) for k in ("conflicting_bookings", "competing_requests", "maintenance"))
    assert flagged > 20
