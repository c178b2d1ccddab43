"""Booking fixtures (a pytest plugin, listed in tests/conftest.py's ``pytest_plugins``).

The booking copy of the inventory is fed the way production feeds it: inventory's own domain functions write
the inventory database and its outbox, and ``InventoryFeed.relay()`` applies those outbox envelopes through
booking's EVENT_HANDLERS. Staff clients carry a session cookie signed like the real login's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from shared import clock
from shared.auth import SESSION_COOKIE, Principal, sign_session
from shared.db import Database
from shared.events import Envelope

# A Monday morning in Brussels; the tests book the days after it.
NOW = datetime(2030, 3, 4, 8, 0, tzinfo=clock.BRUSSELS)
OFFICE_HOURS = [{"weekday": d, "opens": time(8), "closes": time(20)} for d in range(7)]
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def no_holiday(day: int) -> int:
    """``day`` (days after NOW's date) moved past Belgium's legal holidays (every centre with a timetable closes
    on them): the ``day``-th day that is not a holiday, counting from NOW's date. Days up to 48 are unchanged
    (the first holiday after NOW is Easter Monday, 22 April 2030, day 49)."""
    from services.booking.domain.holidays import holiday_on

    start, offset, counted = date(2030, 3, 4), 0, 0
    while True:
        if holiday_on(start + timedelta(days=offset)) is None:
            if counted == day:
                return offset
            counted += 1
        offset += 1


def at(day: int, hour: int, minute: int = 0) -> str:
    """A Brussels wall-clock time ``day`` days after NOW's date, as the form sends it (no offset)."""
    moment = datetime.combine(date(2030, 3, 4) + timedelta(days=day), time(hour, minute))
    return moment.isoformat(timespec="minutes")


class InventoryFeed:
    """Creates inventory data with inventory's domain functions and relays the events to booking."""

    def __init__(self, inventory_db: Database, booking_db: Database) -> None:
        self.inventory_db = inventory_db
        self.booking_db = booking_db
        self._locations = 0

    def relay(self) -> list[Envelope]:
        from services.booking.handlers import EVENT_HANDLERS
        from services.inventory.models import OutboxEvent

        with self.inventory_db.transaction() as inv:
            rows = list(inv.scalars(sa.select(OutboxEvent).where(OutboxEvent.published_at.is_(None))))
            envelopes = [row.to_envelope() for row in sorted(rows, key=lambda r: r.occurred_at)]
            for row in rows:
                row.published_at = clock.now()
        with self.booking_db.transaction() as session:
            for envelope in envelopes:
                EVENT_HANDLERS[envelope.type](session, envelope)
        return envelopes

    def location(self, **overrides: Any) -> int:
        from services.inventory.domain.locations import create_location

        self._locations += 1
        data: dict[str, Any] = {
            "code": f"bc-{self._locations}",
            "name": f"Buurtcentrum {self._locations}",
            "street": "Dampoortstraat 2",
            "postal_code": "9000",
            "phone": "09 266 00 02",
            "opening_hours": OFFICE_HOURS,
        }
        data.update(overrides)
        with self.inventory_db.transaction() as session:
            location_id = create_location(session, data, actor=None).id
        self.relay()
        return location_id

    def requirement(self, code: str, kind: str = "confirm", provided_by: int | None = None) -> None:
        from services.inventory.domain.requirements import create_requirement

        with self.inventory_db.transaction() as session:
            create_requirement(
                session,
                {"code": code, "kind": kind, "label_nl": code, "label_en": code, "provided_by_asset_id": provided_by},
                actor=None,
            )
        self.relay()

    def asset(self, location_id: int, code: str = "caravan", **overrides: Any) -> int:
        from services.inventory.domain.assets import create_asset

        data: dict[str, Any] = {
            "code": code,
            "name_nl": f"{code} (nl)",
            "name_en": f"{code} (en)",
            "category": "caravan",
            "location_id": location_id,
            "quantity": 1,
            "turnaround_before_hours": 0,
            "turnaround_after_hours": 0,
            "lead_time_hours": 0,
            "min_loan_hours": 1,
            "max_loan_hours": None,
        }
        data.update(overrides)
        with self.inventory_db.transaction() as session:
            asset_id = create_asset(session, data, actor=None).id
        self.relay()
        return asset_id

    def maintenance(self, asset_id: int, starts_at: datetime, ends_at: datetime) -> int:
        from services.inventory.domain.maintenance import add_maintenance_window

        with self.inventory_db.transaction() as session:
            window_id = add_maintenance_window(session, asset_id, starts_at, ends_at, "onderhoud", None).id
        self.relay()
        return window_id


def request_body(asset_id: int, pickup: str, ret: str, quantity: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "initiative": "Buurtfeest Dampoort",
        "contact": {"name": "An Peeters", "email": "an@example.org", "phone": None, "language": "nl"},
        "purpose": "straatfeest",
        "pickup_at": pickup,
        "return_at": ret,
        "items": [{"asset_id": asset_id, "quantity": quantity}],
    }
    body.update(overrides)
    return body


@pytest.fixture
def booking_db(databases: dict[str, Database]) -> Database:
    return databases["booking"]


@pytest.fixture
def fixed_clock() -> datetime:
    clock.set_clock(NOW)
    return NOW


@pytest.fixture
def feed(databases: dict[str, Database], fixed_clock: datetime) -> InventoryFeed:
    return InventoryFeed(databases["inventory"], databases["booking"])


@pytest.fixture
def booking_app(booking_db: Database, environ: dict[str, str]) -> Flask:
    from services.booking.app import create_app
    from shared.config import load_settings

    app = create_app(load_settings("booking", environ), booking_db)
    app.testing = True
    return app


@pytest.fixture
def booking_client(booking_app: Flask) -> FlaskClient:
    """The public: no identity."""
    return booking_app.test_client()


def ensure_staff_account(
    inventory_db: Database, staff_id: int, role: str = "staff", location_ids: tuple[int, ...] = ()
) -> None:
    """The inventory account behind a ``staff_cookie`` (inventory checks every credential against its account)."""
    from services.inventory.models import Location, StaffAccount
    from shared.auth import hash_password

    with inventory_db.transaction() as session:
        if session.get(StaffAccount, staff_id) is not None:
            return
        locations = [session.get(Location, i) for i in location_ids]
        session.add(
            StaffAccount(
                id=staff_id,
                email=f"staff{staff_id}@example.org",
                name=f"staff {staff_id}",
                password_hash=hash_password("not used by the tests"),
                role=role,
                locations=[loc for loc in locations if loc is not None],
            )
        )


def staff_cookie(location_ids: list[int], role: str = "staff", staff_id: int = 1) -> str:
    principal = Principal(staff_id=staff_id, name=f"staff {staff_id}", role=role, location_ids=frozenset(location_ids))
    return sign_session(SECRET, principal)


@pytest.fixture
def staff_client_for(booking_app: Flask) -> Callable[..., FlaskClient]:
    """``staff_client_for([location_id], role="staff", staff_id=1)``: a client logged in as that staff member."""

    def make(location_ids: list[int], role: str = "staff", staff_id: int = 1) -> FlaskClient:
        client = booking_app.test_client()
        client.set_cookie(SESSION_COOKIE, staff_cookie(location_ids, role, staff_id))
        return client

    return make


@pytest.fixture
def admin_client(staff_client_for: Callable[..., FlaskClient]) -> FlaskClient:
    return staff_client_for([], role="admin", staff_id=99)
