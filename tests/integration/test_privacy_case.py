"""Export and erasure find a person whatever the case of the letters in their address, on SQLite as on
PostgreSQL: ``ÉLODIE@Example.be`` and ``élodie@example.be`` are one person.

SQLite's own ``lower()`` knows only ASCII, so the embedded mode's export missed her and erasure left her
data behind. Booking and notify run on the database under test; notify is fed through the real relay and
consumer code (``tests.support.notify.Pipeline``), and mails are captured in notify's own table.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from services.booking.models import BookingRequest
from services.notify.domain.mail import CaptureSender
from services.notify.models import Booking, CapturedMail, ScheduledNotification
from shared.auth import SESSION_COOKIE
from shared.config import load_settings
from shared.db import Database
from shared.migrations import upgrade
from tests.booking_fixtures import InventoryFeed, at, request_body, staff_cookie
from tests.support.notify import Pipeline

ROOT = Path(__file__).resolve().parents[2]
TYPED = "ÉLODIE@Example.be"
ASKED = "élodie@example.be"


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path, databases) -> Iterator[dict[str, Database]]:
    """Booking's and notify's databases, on the engine under test (inventory stays on PostgreSQL)."""
    if request.param == "postgresql":
        yield {"booking": databases["booking"], "notify": databases["notify"]}
        return
    made = {}
    for service in ("booking", "notify"):
        url = f"sqlite:///{tmp_path / (service + '.sqlite')}"
        upgrade(ROOT / "services" / service / "migrations", url)
        made[service] = Database(url)
    yield made
    for database in made.values():
        database.dispose()


def app_for(service: str, database: Database, environ: dict[str, str]) -> Flask:
    if service == "booking":
        from services.booking.app import create_app
    else:
        from services.notify.app import create_app
    app = create_app(load_settings(service, environ), database)
    app.testing = True
    return app


def test_export_and_erasure_find_an_address_typed_in_other_capitals(
    stores,
    databases,
    fixed_clock,
    environ,
    notify_config,
):
    feed = InventoryFeed(databases["inventory"], stores["booking"])
    location = feed.location()
    asset = feed.asset(location, quantity=3)
    booking, notify = (app_for(s, stores[s], environ).test_client() for s in ("booking", "notify"))
    contact = {"name": "Élodie Vandamme", "email": TYPED, "phone": None, "language": "nl"}
    created = booking.post("/requests", json=request_body(asset, at(1, 10), at(1, 15), contact=contact))
    assert created.status_code == 201, created.json
    for client in (booking, notify):
        client.set_cookie(SESSION_COOKIE, staff_cookie([], role="admin", staff_id=99))
    request_id = created.json["request_id"]
    assert booking.post(f"/requests/{request_id}/reject", json={"reason": "vol"}).status_code == 200
    pipeline = Pipeline(
        stores["booking"], stores["notify"], notify_config, CaptureSender(stores["notify"].session_factory)
    )
    pipeline.relay()
    pipeline.dispatch()
    with stores["notify"].session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CapturedMail)) >= 1

    exported = booking.post("/privacy/export", json={"email": ASKED})
    assert [r["request_id"] for r in exported.json["requests"]] == [request_id], exported.json
    copies = notify.post("/privacy/export", json={"email": ASKED}).json
    assert [b["request_id"] for b in copies["bookings"]] == [request_id]
    assert copies["notifications"] and copies["captured_mails"]

    erased = booking.post("/privacy/erase", json={"email": ASKED})
    assert erased.status_code == 200 and erased.json["anonymised"] == [request_id], erased.json
    pipeline.relay()
    with stores["booking"].session_factory() as session:
        assert session.get(BookingRequest, request_id).contact_email is None
    with stores["notify"].session_factory() as session:
        assert session.get(Booking, request_id).contact_email is None
        assert session.scalars(sa.select(ScheduledNotification.recipient)).all() == [None] * len(
            session.scalars(sa.select(ScheduledNotification.id)).all()
        )
        assert session.scalar(sa.select(sa.func.count()).select_from(CapturedMail)) == 0


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_staff_search_finds_a_name_in_other_capitals(engine, tmp_path, databases, fixed_clock, environ):
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'booking.sqlite'}"
        upgrade(ROOT / "services" / "booking" / "migrations", url)
        database = Database(url)
    else:
        database = databases["booking"]
    feed = InventoryFeed(databases["inventory"], database)
    asset = feed.asset(feed.location())
    client = app_for("booking", database, environ).test_client()
    contact = {"name": "ÉLODIE VANDAMME", "email": "e@example.be", "phone": None, "language": "nl"}
    created = client.post("/requests", json=request_body(asset, at(1, 10), at(1, 15), contact=contact))
    assert created.status_code == 201, created.json
    client.set_cookie(SESSION_COOKIE, staff_cookie([], role="admin", staff_id=99))
    found = client.get("/requests?q=élodie")
    assert [r["request_id"] for r in found.json] == [created.json["request_id"]], found.json
