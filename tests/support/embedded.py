"""The embedded default as a newcomer runs it, in-process: SQLite files, the three apps and the pages under one
dispatcher (``services/embedded/app.py``'s layout), the Ghent demo data fed to booking through its real handlers.

Used by the tests that every user-facing path must also pass on SQLite (tests/api/test_embedded_refusals.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from shared import clock
from shared.config import SERVICES, load_settings
from shared.db import Database
from shared.migrations import upgrade
from tests.booking_fixtures import NOW, InventoryFeed

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Embedded:
    app: DispatcherMiddleware
    databases: dict[str, Database]
    feed: InventoryFeed
    environ: dict[str, str]

    def client(self) -> Client:
        return Client(self.app)


def sqlite_environ(environ: dict[str, str], var: Path) -> dict[str, str]:
    urls = {f"{s.upper()}_DATABASE_URL": f"sqlite:///{var / (s + '.sqlite')}" for s in SERVICES}
    return {**environ, **urls, "UITLEEN_VAR_DIR": str(var)}


@pytest.fixture
def embedded(tmp_path: Path, environ: dict[str, str]) -> Iterator[Embedded]:
    """The suite on SQLite with the demo data, the clock at NOW (a Monday morning in 2030)."""
    env = sqlite_environ(environ, tmp_path)
    databases = {}
    for service in SERVICES:
        url = env[f"{service.upper()}_DATABASE_URL"]
        upgrade(ROOT / "services" / service / "migrations", url)
        databases[service] = Database(url)
    yield _with_demo(databases, env)
    for database in databases.values():
        database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_suite(request: pytest.FixtureRequest, tmp_path: Path, environ: dict[str, str]) -> Iterator[Embedded]:
    """The same dispatcher and demo data on the embedded default (SQLite) and on PostgreSQL: for the user-facing
    paths that must behave alike on both."""
    if request.param == "sqlite":
        yield request.getfixturevalue("embedded")
    else:
        yield _with_demo(request.getfixturevalue("databases"), {**environ, "UITLEEN_VAR_DIR": str(tmp_path)})


def _with_demo(databases: dict[str, Database], env: dict[str, str]) -> Embedded:
    from services.booking.app import create_app as create_booking
    from services.booking.web import create_pages_app
    from services.inventory.app import create_app as create_inventory
    from services.inventory.demo import load_demo_data
    from services.notify.app import create_app as create_notify

    clock.set_clock(NOW)
    with databases["inventory"].transaction() as session:
        load_demo_data(session)
    feed = InventoryFeed(databases["inventory"], databases["booking"])
    feed.relay()
    booking_settings = load_settings("booking", env)
    app = DispatcherMiddleware(
        create_pages_app(booking_settings, databases["booking"]),
        {
            "/inventory": create_inventory(load_settings("inventory", env), databases["inventory"]),
            "/booking": create_booking(booking_settings, databases["booking"]),
            "/notify": create_notify(load_settings("notify", env), databases["notify"]),
        },
    )
    return Embedded(app, databases, feed, env)
