"""A month that fills: the Ghent demo data fed to booking, then requests made through booking's API as the public
and the desk make them — approved, pending, out on loan, back early — on four assets, with maintenance windows.

A pytest plugin (listed in tests/conftest.py): ``suite`` is that world on PostgreSQL and on the embedded default
(SQLite), the clock at NOW (Monday 4 March 2030); the months read are March and April 2030.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.booking.domain.holidays import holiday_on
from shared import clock
from shared.auth import SESSION_COOKIE
from shared.config import load_settings
from shared.db import Database
from tests.booking_fixtures import NOW, InventoryFeed, ensure_staff_account, staff_cookie

MONTH = date(2030, 4, 1)  # a Monday, well past every lead time from NOW (4 March 2030)
SEWING, SEWING_B, CARAVAN, REPAIR = (
    "naaimachines-nieuw-gent",
    "naaimachines-bloemekenswijk",
    "caravan-doorgeefbazaar",
    "repair-cafe-koffer",
)
ADMIN = staff_cookie([], role="admin", staff_id=99)
STAFF_HEADERS = {"X-Requested-With": "test"}


@dataclass
class Suite:
    pages: Flask
    api: Flask
    booking: Database
    inventory: Database
    feed: InventoryFeed

    def ids(self) -> dict[str, int]:
        with self.booking.session_factory() as session:
            return {code: asset_id for code, asset_id in session.execute(sa.text("SELECT code, id FROM inv_assets"))}


@pytest.fixture(params=["postgresql", "sqlite"])
def suite(request: pytest.FixtureRequest, environ: dict[str, str]) -> Iterator[Suite]:
    """The Ghent demo data fed to booking, the clock at NOW; the pages and the API apps on one database."""
    if request.param == "sqlite":
        embedded = request.getfixturevalue("embedded")
        pages_app, api = embedded.app.app, embedded.app.mounts["/booking"]
        booking, inventory, feed = embedded.databases["booking"], embedded.databases["inventory"], embedded.feed
    else:
        from services.booking.app import create_app as create_booking
        from services.booking.web import create_pages_app
        from services.inventory.demo import load_demo_data

        databases = request.getfixturevalue("databases")
        clock.set_clock(NOW)
        booking, inventory = databases["booking"], databases["inventory"]
        with inventory.transaction() as session:
            load_demo_data(session)
        feed = InventoryFeed(inventory, booking)
        feed.relay()
        pages_app = create_pages_app(load_settings("booking", environ), booking)
        api = create_booking(load_settings("booking", environ), booking)
    ensure_staff_account(inventory, 99, role="admin")
    yield Suite(pages_app, api, booking, inventory, feed)


def instant(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=clock.BRUSSELS).isoformat()


class Desk:
    """Requests made through booking's API, as the public and the desk make them."""

    def __init__(self, suite: Suite) -> None:
        self.public: FlaskClient = suite.api.test_client()
        self.staff: FlaskClient = suite.api.test_client()
        self.staff.set_cookie(SESSION_COOKIE, ADMIN)
        self.ids = suite.ids()

    def request(self, code: str, day: date, hours: tuple[int, int], quantity: int = 1) -> dict[str, Any]:
        item: dict[str, Any] = {"asset_id": self.ids[code], "quantity": quantity}
        if code == CARAVAN:
            item["answers"] = {"trekhaak": True, "extra-nummerplaat": "1-ABC-234"}
        body = {
            "initiative": f"Buurtfeest {day.isoformat()}",
            "contact": {"name": "An Peeters", "email": "an@example.org", "phone": None, "language": "nl"},
            "purpose": "straatfeest",
            "pickup_at": instant(day, hours[0]),
            "return_at": instant(day, hours[1]),
            "items": [item],
        }
        created = self.public.post("/requests", json=body)
        assert created.status_code == 201, created.get_json()
        return dict(created.get_json())

    def act(self, request_id: int, action: str, at: datetime | None = None) -> None:
        if at is not None:
            clock.set_clock(at)
        answered = self.staff.post(f"/requests/{request_id}/{action}", json={}, headers=STAFF_HEADERS)
        clock.set_clock(NOW)
        assert answered.status_code == 200, (action, answered.get_json())

    def approve(self, request_id: int) -> bool:
        """False when maintenance is in the way (the request stays pending, as it would at the desk)."""
        answered = self.staff.post(f"/requests/{request_id}/approve", json={}, headers=STAFF_HEADERS)
        assert answered.status_code in (200, 409), answered.get_json()
        return bool(answered.status_code == 200)

    def returned_early(self, request_id: int, day: date, hour: int) -> None:
        """Handed over, and back an hour after ``hour`` on ``day``: the rest of the loan is free again."""
        self.act(request_id, "pick-up")
        self.act(request_id, "return", datetime.combine(day, time(hour + 1), tzinfo=clock.BRUSSELS))


def open_days(count: int, start: date) -> Iterator[date]:
    """Mondays, Tuesdays, Thursdays and Fridays from ``start`` (every demo centre is open mornings and afternoons)."""
    day, made = start, 0
    while made < count:
        if day.weekday() in (0, 1, 3, 4) and holiday_on(day) is None:  # every centre closes on a legal holiday
            yield day
            made += 1
        day += timedelta(days=1)


def one_of_each(suite: Suite, desk: Desk) -> str:
    """Approved loans (one with hand-over checks), one pending request, one out on loan, one back early, one
    maintenance window; returns
    the pending request's private link token."""
    approved = desk.request(SEWING, MONTH, (9, 12), quantity=2)
    desk.act(approved["request_id"], "approve")
    out = desk.request(REPAIR, MONTH + timedelta(days=1), (9, 12))
    desk.act(out["request_id"], "approve")
    desk.act(out["request_id"], "pick-up")
    back = desk.request(SEWING_B, MONTH + timedelta(days=3), (13, 16))
    desk.act(back["request_id"], "approve")
    desk.returned_early(back["request_id"], MONTH + timedelta(days=3), 13)
    caravan = desk.request(CARAVAN, MONTH + timedelta(days=4), (9, 12))
    desk.act(caravan["request_id"], "approve")  # to hand over, with its checks
    pending = desk.request(CARAVAN, MONTH + timedelta(days=4), (13, 16))  # competes with the approved one
    starts = datetime.combine(MONTH + timedelta(days=14), time(0), tzinfo=clock.BRUSSELS)
    suite.feed.maintenance(desk.ids[SEWING], starts, starts + timedelta(days=2))
    return str(pending["status_url"]).rsplit("/", 1)[-1]


def forty_more(suite: Suite, desk: Desk) -> None:
    """40 requests on 20 days and 4 assets: mostly approved, some pending, some out, some back early."""
    start = MONTH + timedelta(days=7)
    rounds = (SEWING, CARAVAN, SEWING_B, REPAIR)
    for index, day in enumerate(open_days(20, start)):
        for half, hours in enumerate(((9, 12), (13, 16))):
            code = rounds[(2 * index + half) % 4]
            made = desk.request(code, day, hours, quantity=1 + index % 3 if code in (SEWING, SEWING_B) else 1)
            request_id = made["request_id"]
            kind = (2 * index + half) % 5
            if kind == 4 or not desk.approve(request_id) or code == CARAVAN:
                continue  # pending, or approved (the caravan's hand-over checks are another test's)
            if kind == 2:
                desk.act(request_id, "pick-up")
            elif kind == 3:
                desk.returned_early(request_id, day, hours[0])
    starts = datetime.combine(MONTH + timedelta(days=24), time(0), tzinfo=clock.BRUSSELS)
    suite.feed.maintenance(desk.ids[CARAVAN], starts, starts + timedelta(days=1))
