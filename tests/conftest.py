"""Fixtures shared by every test: real PostgreSQL databases per service, apps, clients, logged-in staff.

Each test run creates its own databases (``$UITLEEN_TEST_DB_PREFIX_<service>``), migrates them with the
services' real migrations, and empties them between tests. If PostgreSQL or Redis is absent the tests fail
loudly: `make test` starts them first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from shared import clock
from shared.config import SERVICES, Settings, load_settings
from shared.db import Database
from shared.migrations import upgrade
from tests.support.clients import SameOriginClient

pytest_plugins = [
    "tests.booking_fixtures",
    "tests.support.embedded",
    "tests.support.api_routes",
    "tests.support.busy_month",
    "tests.support.notify",  # notify's databases, config, senders, pipeline and app (no import per test file)
]

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Under pytest-xdist (make test runs two workers) each worker has its own databases and its own Redis database:
# gw0 keeps the names below, gw1 appends "_gw1" and takes the Redis database one lower.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_INDEX = int(WORKER.removeprefix("gw") or 0)
DB_PREFIX = os.environ.get("UITLEEN_TEST_DB_PREFIX", "uitleen_test") + (f"_{WORKER}" if WORKER_INDEX else "")


def _worker_redis(url: str) -> str:
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number) - WORKER_INDEX}" if number.isdigit() else url


REDIS_URL = _worker_redis(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end tests start the production topology on its fixed ports (8100–8103) and share this
    machine's CPU with timing-bound waits: xdist runs them all on one worker, one after the other."""
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("e2e"))


def pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{database}"


def test_environ(tmp_var: Path | None = None) -> dict[str, str]:
    environ = {
        "UITLEEN_ENV": "test",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "BROKER_URL": REDIS_URL,
        "LOG_FORMAT": "console",
        "LOG_LEVEL": "WARNING",
        # Many tests submit requests and open links from one test client (one address); the tests of the
        # limits (tests/api/test_rate_limits.py) set small ones. The login back-off keeps its defaults.
        "BOOKING_SUBMIT_LIMIT": "10000 per hour",
        "BOOKING_PUBLIC_FORM_LIMIT": "10000 per hour",
        "BOOKING_STATUS_LINK_LIMIT": "10000 per hour",
        "BOOKING_STATUS_LINK_MISS_LIMIT": "10000 per hour",
    }
    for service in SERVICES:
        environ[f"{service.upper()}_DATABASE_URL"] = pg_url(f"{DB_PREFIX}_{service}")
    if tmp_var is not None:
        environ["UITLEEN_VAR_DIR"] = str(tmp_var)
    return environ


def _recreate_database(name: str) -> None:
    try:
        connection = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.exit(f"PostgreSQL does not answer at {PG_ADMIN_URL}: {error}. Run `make services`.", returncode=3)
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def environ() -> dict[str, str]:
    return test_environ()


@pytest.fixture(scope="session")
def migrated_databases(environ: dict[str, str]) -> dict[str, str]:
    """Fresh, migrated PostgreSQL databases for every service, created once per test run."""
    urls = {}
    for service in SERVICES:
        _recreate_database(f"{DB_PREFIX}_{service}")
        url = environ[f"{service.upper()}_DATABASE_URL"]
        upgrade(ROOT / "services" / service / "migrations", url)
        urls[service] = url
    return urls


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as error:
        pytest.exit(f"Redis does not answer at {REDIS_URL}: {error}. Run `make services`.", returncode=3)
    yield client
    client.close()


def settings_for(service: str, environ: dict[str, str]) -> Settings:
    return load_settings(service, environ)


def _empty(database: Database) -> None:
    with database.engine.begin() as connection:
        tables = (
            connection.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            connection.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _databases(migrated_databases: dict[str, str]) -> Iterator[dict[str, Database]]:
    databases = {service: Database(url) for service, url in migrated_databases.items()}
    yield databases
    for database in databases.values():
        database.dispose()


@pytest.fixture
def databases(_databases: dict[str, Database]) -> dict[str, Database]:
    """Every service's database, emptied before the test."""
    for database in _databases.values():
        _empty(database)
    return _databases


@pytest.fixture
def inventory_db(databases: dict[str, Database]) -> Database:
    return databases["inventory"]


@pytest.fixture(autouse=True, scope="session")
def _same_origin_test_clients() -> Iterator[None]:
    """Every app's test client sends what the suite's own pages do (tests/support/clients.py): one place, so that
    the hundreds of calls made with a staff session cookie meet the JSON API's cross-site rule (shared.guard)."""
    default = Flask.test_client_class
    Flask.test_client_class = SameOriginClient
    yield
    Flask.test_client_class = default


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    yield
    clock.set_clock(None)


@pytest.fixture
def inventory_app(inventory_db: Database, environ: dict[str, str]) -> Flask:
    from services.inventory.app import create_app

    app = create_app(settings_for("inventory", environ), inventory_db)
    app.testing = True
    return app


@pytest.fixture
def client(inventory_app: Flask) -> FlaskClient:
    return inventory_app.test_client()


STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff_account(inventory_db: Database) -> dict[str, object]:
    from services.inventory.domain.locations import create_location
    from services.inventory.domain.staff import create_staff

    with inventory_db.transaction() as session:
        location = create_location(
            session,
            {
                "code": "bc-test",
                "name": "BC Test",
                "street": "Teststraat 1",
                "postal_code": "9000",
                "opening_hours": [],
            },
            actor=None,
        )
        create_staff(session, "admin@example.org", "Test Admin", STAFF_PASSWORD, "admin", [])
        account = create_staff(session, "staff@example.org", "Test Staff", STAFF_PASSWORD, "staff", [location.code])
    return {"id": account.id, "email": "staff@example.org", "location_id": location.id}


@pytest.fixture
def inventory_admin(inventory_app: Flask, staff_account: dict[str, object]) -> FlaskClient:
    """A client logged in as an administrator (may change every centre's inventory)."""
    client = inventory_app.test_client()
    response = client.post("/auth/login", json={"email": "admin@example.org", "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.json
    return client


@pytest.fixture
def staff_client(inventory_app: Flask, staff_account: dict[str, object]) -> FlaskClient:
    """A client logged in as staff of community centre bc-test (session cookie set by the real login)."""
    client = inventory_app.test_client()
    response = client.post("/auth/login", json={"email": staff_account["email"], "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.json
    return client
