"""The request path in-process: what one create+approve and one page cost in statements, transactions and CPU.

No HTTP, no gateway: the apps run in this process with Flask's test client against their own PostgreSQL databases
(``<prefix>_paths_<service>``, recreated), so every SQL statement is counted where it is sent and the CPU is this
thread's (``time.thread_time``: what the booking process itself spends, not PostgreSQL's). Beside each figure, a
reference measured in the same run on the same machine: for a booking, the same rows written with plain psycopg
in one transaction (the database's own cost, no Python framework); for a page, the same page with a month holding
no booking against a month holding many — the statement count must not grow with the bookings.

``python -m bench.paths [--size smoke|full]`` prints the two tables; ``bench.run`` (``make bench``) runs it
first, as ``paths``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import psycopg
import sqlalchemy as sa

from bench.common import Result
from services.booking.domain.holidays import holiday_on
from shared import clock
from shared.db import Database

PREFIX = "uitleen_paths"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Counter:
    """Statements and transactions sent through one engine while a block runs."""

    statements: int = 0
    transactions: int = 0
    texts: list[str] = field(default_factory=list)

    def attach(self, engine: sa.Engine) -> None:
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "begin", self._begin)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements += 1
        self.texts.append(statement.split("\n", 1)[0][:90])

    def _begin(self, _conn: Any) -> None:
        self.transactions += 1

    @contextmanager
    def counting(self) -> Iterator[Counter]:
        before = (self.statements, self.transactions, len(self.texts))
        taken = Counter()
        yield taken
        taken.statements = self.statements - before[0]
        taken.transactions = self.transactions - before[1]
        taken.texts = self.texts[before[2] :]


def recreate(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@dataclass
class World:
    environ: dict[str, str]
    databases: dict[str, Database]
    booking_app: Any
    pages_app: Any
    staff_cookie: str
    asset_id: int
    asset_code: str
    location_id: int
    counter: Counter


def build_world(prefix: str = PREFIX) -> World:
    from pathlib import Path

    from services.booking.app import create_app as create_booking
    from services.booking.web import create_pages_app
    from services.inventory.demo import load_demo_data
    from shared.auth import Principal, sign_session
    from shared.config import SERVICES, load_settings
    from shared.migrations import upgrade
    from tests.booking_fixtures import InventoryFeed

    root = Path(__file__).resolve().parents[1]
    secret = "bench-secret-key-that-is-long-enough-0123456789"
    environ = {
        "UITLEEN_ENV": "test",
        "SECRET_KEY": secret,
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_ENABLED": "false",
        "BROKER_URL": "redis://127.0.0.1:6379/12",
    }
    databases = {}
    for service in SERVICES:
        url = recreate(f"{prefix}_{service}")
        environ[f"{service.upper()}_DATABASE_URL"] = url
        upgrade(root / "services" / service / "migrations", url)
        databases[service] = Database(url)
    with databases["inventory"].transaction() as session:
        load_demo_data(session)
    InventoryFeed(databases["inventory"], databases["booking"]).relay()
    booking = create_booking(load_settings("booking", environ), databases["booking"])
    pages = create_pages_app(load_settings("booking", environ), databases["booking"])
    counter = Counter()
    counter.attach(databases["booking"].engine)
    with databases["booking"].session_factory() as session:
        asset_id, location_id = session.execute(
            sa.text("SELECT id, location_id FROM inv_assets WHERE code = 'naaimachines-nieuw-gent'")
        ).one()
    admin = Principal(staff_id=1, name="Bench", role="admin", location_ids=frozenset())
    return World(
        environ,
        databases,
        booking,
        pages,
        sign_session(secret, admin),
        asset_id,
        "naaimachines-nieuw-gent",
        location_id,
        counter,
    )


def monday_after(days: int) -> datetime:
    day = (clock.now() + timedelta(days=days)).astimezone(clock.BRUSSELS).date()
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime.combine(day, clock_time(10), tzinfo=clock.BRUSSELS).astimezone(UTC)


def booking_body(asset_id: int, pickup: datetime, hours: int = 3) -> dict[str, Any]:
    return {
        "initiative": "Bench Initiatief",
        "contact": {"name": "Bench", "email": "bench@example.org", "phone": None, "language": "nl"},
        "pickup_at": pickup.isoformat(),
        "return_at": (pickup + timedelta(hours=hours)).isoformat(),
        "items": [{"asset_id": asset_id, "quantity": 1}],
    }


def slots(count: int, start: datetime) -> Iterator[datetime]:
    """Mornings and afternoons within the demo opening hours (09-12, 13-17; Wednesday afternoon closed)."""
    day = start
    made = 0
    while made < count:
        local_day = day.astimezone(clock.BRUSSELS).date()
        if local_day.weekday() in (0, 1, 3, 4) and holiday_on(local_day) is None:  # open mornings and afternoons
            for hour in (9, 13):
                local = datetime.combine(day.astimezone(clock.BRUSSELS).date(), clock_time(hour), tzinfo=clock.BRUSSELS)
                yield local.astimezone(UTC)
                made += 1
                if made == count:
                    return
        day += timedelta(days=1)


@dataclass
class Measured:
    statements: list[int] = field(default_factory=list)
    transactions: list[int] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def add(self, taken: Counter, cpu_seconds: float) -> None:
        self.statements.append(taken.statements)
        self.transactions.append(taken.transactions)
        self.cpu_ms.append(cpu_seconds * 1000)

    def row(self, label: str) -> list[Any]:
        return [
            label,
            round(statistics.mean(self.statements), 1),
            round(statistics.mean(self.transactions), 1),
            round(statistics.median(self.cpu_ms), 2),
        ]


def measure(counter: Counter, call: Callable[[], Any]) -> tuple[Any, Counter, float]:
    with counter.counting() as taken:
        started = time.thread_time()
        result = call()
        cpu = time.thread_time() - started
    return result, taken, cpu


def booking_path(world: World, count: int) -> dict[str, Measured]:
    """``count`` create+approve pairs through the API, each its own slot (nothing conflicts)."""
    public = world.booking_app.test_client()
    staff = world.booking_app.test_client()
    staff.set_cookie("uitleen_staff", world.staff_cookie)
    headers = {"X-Requested-With": "bench"}
    results = {"create": Measured(), "approve": Measured(), "create + approve": Measured()}
    start = monday_after(30)
    warm = 5
    for index, pickup in enumerate(slots(count + warm, start)):
        created, taken_create, cpu_create = measure(
            world.counter, lambda p=pickup: public.post("/requests", json=booking_body(world.asset_id, p))
        )
        assert created.status_code == 201, created.get_json()
        request_id = created.get_json()["request_id"]
        approved, taken_approve, cpu_approve = measure(
            world.counter, lambda r=request_id: staff.post(f"/requests/{r}/approve", json={}, headers=headers)
        )
        assert approved.status_code == 200, approved.get_json()
        if index < warm:
            continue
        results["create"].add(taken_create, cpu_create)
        results["approve"].add(taken_approve, cpu_approve)
        both = Counter(
            taken_create.statements + taken_approve.statements, taken_create.transactions + taken_approve.transactions
        )
        results["create + approve"].add(both, cpu_create + cpu_approve)
    return results


def limit_path(world: World, count: int) -> Measured:
    """The same rows written straight with psycopg, one transaction per booking: request, item, allocation, outbox."""
    url = world.environ["BOOKING_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    measured = Measured()
    start = monday_after(3000)
    with psycopg.connect(url) as connection:
        initiative = connection.execute("SELECT id FROM initiatives LIMIT 1").fetchone()
        assert initiative is not None
        for pickup in slots(count, start):
            started = time.thread_time()
            with connection.transaction():
                connection.execute("SELECT id FROM inv_assets WHERE id = %s FOR UPDATE", (world.asset_id,))
                request_id = connection.execute(
                    "INSERT INTO requests (reference, status, initiative_id, contact_name, contact_email, language,"
                    " purpose, location_id, pickup_at, return_at, created_at, updated_at, version)"
                    " VALUES (%s, 'approved', %s, 'Bench', 'bench@example.org', 'nl', '', %s, %s, %s, now(), now(), 1)"
                    " RETURNING id",
                    (
                        f"LIM-{pickup.timestamp():.0f}",
                        initiative[0],
                        world.location_id,
                        pickup,
                        pickup + timedelta(hours=3),
                    ),
                ).fetchone()[0]  # type: ignore[index]
                item_id = connection.execute(
                    "INSERT INTO request_items (request_id, asset_id, quantity) VALUES (%s, %s, 1) RETURNING id",
                    (request_id, world.asset_id),
                ).fetchone()[0]  # type: ignore[index]
                connection.execute(
                    "INSERT INTO allocations (request_id, item_id, asset_id, quantity, blocked_from, blocked_until,"
                    " single_unit, active, buffers_overridden, created_at)"
                    " VALUES (%s, %s, %s, 1, %s, %s, false, true, false, now())",
                    (request_id, item_id, world.asset_id, pickup, pickup + timedelta(hours=3)),
                )
                connection.execute(
                    "INSERT INTO outbox (id, type, version, occurred_at, producer, payload, attempts)"
                    " VALUES (gen_random_uuid(), 'booking.request.approved', 2, now(), 'booking', '{}'::json, 0)"
                )
            measured.cpu_ms.append((time.thread_time() - started) * 1000)
            measured.statements.append(5)
            measured.transactions.append(1)
    return measured


PUBLIC_PAGES = (
    ("catalogue", "/"),
    ("what can I borrow", "/?van_datum={day}&van_uur=10:00&tot_datum={day}&tot_uur=16:00"),
    ("asset page with its month", "/lenen/{code}?maand={month}"),
    ("caravan page with its month", "/lenen/{caravan}?maand={month}"),
    ("request form", "/lenen/{code}/aanvraag"),
    ("status page", "/status/{token}"),
)
PAGES = (
    *PUBLIC_PAGES,
    ("staff dashboard", "/staff"),
    ("staff calendar, week", "/staff/kalender?vanaf={day}"),
    ("staff calendar, month", "/staff/kalender?weergave=maand&vanaf={day}"),
    ("staff loans desk", "/staff/uitlenen"),
)
CARAVAN = "caravan-doorgeefbazaar"
# the month's loans go round these (a shared sewing-machine stock, the caravan with its day-long turnaround)
FILL_ASSETS = ("naaimachines-nieuw-gent", CARAVAN, "naaimachines-bloemekenswijk", "repair-cafe-koffer")


def status_token(world: World) -> str:
    """The private link of one request (the status page reads it; its month does not matter)."""
    created = world.booking_app.test_client().post("/requests", json=booking_body(world.asset_id, monday_after(20), 3))
    assert created.status_code == 201, created.get_json()
    return str(created.get_json()["status_url"]).rsplit("/", 1)[-1]


def page_costs(world: World, month: datetime, token: str, repeat: int) -> dict[str, Measured]:
    public = world.pages_app.test_client()
    staff = world.pages_app.test_client()
    staff.set_cookie("uitleen_staff", world.staff_cookie)
    local = month.astimezone(clock.BRUSSELS)
    values = {
        "code": world.asset_code,
        "caravan": CARAVAN,
        "month": local.strftime("%Y-%m"),
        "day": local.date().isoformat(),
        "token": token,
    }
    results = {}
    for label, path in PAGES:
        client = staff if path.startswith("/staff") else public
        url = path.format(**values)
        measured = Measured()
        for attempt in range(repeat + 2):
            response, taken, cpu = measure(world.counter, lambda u=url, c=client: c.get(u))
            assert response.status_code == 200, (url, response.status_code)
            if attempt >= 2:
                measured.add(taken, cpu)
        results[label] = measured
    return results


def fill_month(world: World, month: datetime, count: int) -> int:
    """About ``count`` loans in ``month`` on different days and assets (through the API, as staff would make them):
    most approved, every fourth left pending (the dashboard), and a maintenance window on two assets. Returns
    how many requests were made (a slot the caravan's turnaround refuses is skipped)."""
    from services.booking.models import InvAsset
    from services.inventory.domain.maintenance import add_maintenance_window
    from tests.booking_fixtures import InventoryFeed

    staff = world.booking_app.test_client()
    staff.set_cookie("uitleen_staff", world.staff_cookie)
    headers = {"X-Requested-With": "bench"}
    with world.databases["booking"].session_factory() as session:
        rows = session.execute(sa.select(InvAsset.code, InvAsset.id).where(InvAsset.code.in_(FILL_ASSETS)))
        ids = {code: asset_id for code, asset_id in rows}
    first = month.astimezone(clock.BRUSSELS).replace(day=1, hour=0)
    made = 0
    for index, pickup in enumerate(slots(count, first.astimezone(UTC))):
        code = FILL_ASSETS[index % len(FILL_ASSETS)]
        body = {**booking_body(ids[code], pickup, 3), "proxy": {"consent": "desk"}}
        if code == CARAVAN:
            body["items"][0]["answers"] = {"trekhaak": True, "extra-nummerplaat": "1-ABC-234"}
        created = staff.post("/requests", json=body, headers=headers)
        assert created.status_code == 201, created.get_json()
        made += 1
        if index % 4 == 3:
            continue
        approved = staff.post(f"/requests/{created.get_json()['request_id']}/approve", json={}, headers=headers)
        assert approved.status_code in (200, 409), approved.get_json()
    with world.databases["inventory"].transaction() as session:
        for code, day in ((world.asset_code, 20), (CARAVAN, 24)):
            starts = first + timedelta(days=day)
            add_maintenance_window(session, ids[code], starts, starts + timedelta(days=2), "onderhoud", None)
    InventoryFeed(world.databases["inventory"], world.databases["booking"]).relay()
    return made


def run(size: str = "smoke", prefix: str = PREFIX, page_repeat: int | None = None) -> Result:
    count = 200 if size == "full" else 20
    repeat = page_repeat or (20 if size == "full" else 3)
    world = build_world(prefix)
    try:
        # pages first over an empty database (one request, for its status page), then again once many loans,
        # pending requests and maintenance fill another month and the booking path has run
        token = status_token(world)
        empty_month = monday_after(400)
        busy_month = monday_after(500)
        pages_empty = page_costs(world, empty_month, token, repeat)
        booked = booking_path(world, count)
        limit = limit_path(world, count)
        filled = fill_month(world, busy_month, 40)
        pages_busy = page_costs(world, busy_month, token, repeat)
    finally:
        for database in world.databases.values():
            database.dispose()
    limit_cpu = statistics.median(limit.cpu_ms)
    rows = [[*booked[k].row(k), round(statistics.median(booked[k].cpu_ms) / limit_cpu, 1)] for k in booked]
    rows.append([*limit.row("psycopg, the same rows (reference)"), 1.0])
    page_rows = [
        [
            label,
            round(statistics.mean(pages_empty[label].statements), 1),
            round(statistics.mean(pages_busy[label].statements), 1),
            round(statistics.median(pages_empty[label].cpu_ms), 2),
            round(statistics.median(pages_busy[label].cpu_ms), 2),
        ]
        for label, _ in PAGES
    ]
    result = Result(
        "paths",
        f"Booking's request path and pages in-process ({count} bookings, {size})",
        ["path", "statements", "transactions", "CPU ms (median)", "CPU / psycopg reference"],
        rows,
        notes=[
            "",
            f"Pages: an empty month against one holding {filled} requests (most approved) on 4 assets and 2 "
            "maintenance windows; the aim is ≤ 10 statements and ≤ 10 ms CPU for a public page, whatever the month "
            "holds.",
            "",
            "| page | statements, empty month | statements, busy month | CPU ms, empty | CPU ms, busy |",
            "| --- | --- | --- | --- | --- |",
            *("| " + " | ".join(str(c) for c in row) + " |" for row in page_rows),
        ],
        data={
            "booking": {
                k: {"statements": v.statements, "transactions": v.transactions, "cpu_ms": v.cpu_ms}
                for k, v in booked.items()
            },
            "limit_cpu_ms": limit.cpu_ms,
            "pages": {
                label: {"empty": pages_empty[label].statements, "busy": pages_busy[label].statements}
                for label, _ in PAGES
            },
            "page_cpu_ms": {
                label: {"empty": pages_empty[label].cpu_ms, "busy": pages_busy[label].cpu_ms} for label, _ in PAGES
            },
        },
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=("smoke", "full"), default="smoke")
    parser.add_argument("--prefix", default=PREFIX)
    parser.add_argument("--page-repeat", type=int, help="times each page is measured (20 full, 3 smoke)")
    parser.add_argument("--show-statements", action="store_true", help="print the statements of one create+approve")
    args = parser.parse_args()
    print(run(args.size, args.prefix, args.page_repeat).render())


if __name__ == "__main__":
    main()
