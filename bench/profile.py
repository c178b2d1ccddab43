"""Where a booking's time goes: the create-and-approve path in-process (Flask test client, no HTTP, no nginx),
under cProfile, with every SQL statement counted. Run by the throughput benchmark in a subprocess with the
topology's environment: ``python -m bench.profile <asset_id> <cookie> <count>`` prints one JSON line;
``python -m bench.profile --in-process [count] [prefix]`` needs no topology (bench.paths' databases and demo
data).

The profile is grouped by where the code lives (SQLAlchemy, psycopg, marshmallow and flask-smorest,
Flask/Werkzeug, logging, our code), by *own* CPU time of this thread (``time.thread_time``: waiting on
PostgreSQL is not counted), so the groups add up to the whole.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

GROUPS = (
    ("psycopg (the driver's own CPU, not the wait)", ("psycopg", "select.", "selectors", "{method 'recv")),
    ("SQLAlchemy ORM and Core", ("sqlalchemy",)),
    ("marshmallow / flask-smorest / apispec", ("marshmallow", "flask_smorest", "apispec", "webargs")),
    ("Flask / Werkzeug / Jinja", ("flask/", "werkzeug", "jinja2", "itsdangerous")),
    ("logging / structlog / metrics", ("structlog", "logging", "prometheus")),
    ("our code (services/, shared/)", ("/services/", "/shared/")),
    ("JSON, datetime, zoneinfo, other stdlib", ("json", "zoneinfo", "datetime", "uuid", "secrets", "hashlib")),
)


def main(asset_id: int, cookie: str, count: int) -> dict[str, Any]:
    from bench.common import base_time, request_body
    from services.booking.app import create_app

    start = base_time(days_ahead=30)
    return profile_pairs(create_app(), cookie, lambda j: request_body(asset_id, start + timedelta(hours=2 * j)), count)


def in_process(count: int, prefix: str) -> dict[str, Any]:
    """The same profile without a topology: bench.paths' databases (``<prefix>_<service>``, recreated) and demo
    data, a slot per booking within the demo centre's opening hours."""
    from bench import paths

    world = paths.build_world(prefix)
    try:
        pickups = list(paths.slots(count + 10, paths.monday_after(30)))
        cookie = f"uitleen_staff={world.staff_cookie}"
        return profile_pairs(world.booking_app, cookie, lambda j: paths.booking_body(world.asset_id, pickups[j]), count)
    finally:
        for database in world.databases.values():
            database.dispose()


def profile_pairs(app: Any, cookie: str, body_of: Callable[[int], dict[str, Any]], count: int) -> dict[str, Any]:
    """``count`` create+approve pairs (after 10 to warm up) under cProfile, timed by this thread's CPU clock
    (so waiting on PostgreSQL costs nothing; the profiler's own overhead inflates every figure alike)."""
    import sqlalchemy as sa

    from shared.db import Database

    database: Database = app.extensions["database"]
    statements = {"n": 0}

    @sa.event.listens_for(database.engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements["n"] += 1

    client = app.test_client()
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value)
    anonymous = app.test_client()

    def one(j: int) -> tuple[int, int]:
        created = anonymous.post("/requests", json=body_of(j))
        assert created.status_code == 201, created.get_json()
        before = statements["n"]
        approved = client.post(
            f"/requests/{created.get_json()['request_id']}/approve", json={}, headers={"X-Requested-With": "bench"}
        )
        assert approved.status_code == 200, approved.get_json()
        return before, statements["n"]

    for j in range(10):  # warm up
        one(j)
    statements["n"] = 0
    per_create: list[int] = []
    per_approve: list[int] = []
    profiler = cProfile.Profile(time.thread_time)
    started, wall = time.thread_time(), time.perf_counter()
    profiler.enable()
    for j in range(10, 10 + count):
        mark = statements["n"]
        middle, end = one(j)
        per_create.append(middle - mark)
        per_approve.append(end - middle)
    profiler.disable()
    cpu, wall = time.thread_time() - started, time.perf_counter() - wall
    stats = pstats.Stats(profiler)
    groups: dict[str, float] = {label: 0.0 for label, _ in GROUPS}
    groups["other"] = 0.0
    total = 0.0
    top: list[tuple[float, str]] = []
    for (filename, line, function), (_, _, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename}:{line}({function})"
        total += own
        top.append((cumulative, where))
        for label, needles in GROUPS:
            if any(needle in where for needle in needles):
                groups[label] += own
                break
        else:
            groups["other"] += own
    top.sort(reverse=True)
    ours = [(c, w) for c, w in top if "/services/" in w or "/shared/" in w][:12]
    return {
        "bookings": count,
        "ms_per_booking": wall / count * 1000,
        "cpu_ms_per_booking_profiled": cpu / count * 1000,
        "statements_create": sum(per_create) / count,
        "statements_approve": sum(per_approve) / count,
        "groups_ms_per_booking": {k: v / count * 1000 for k, v in groups.items()},
        "groups_share": {k: round(v / total, 3) for k, v in groups.items()} if total else {},
        "profiled_ms_per_booking": total / count * 1000,
        "top_own_code_cumulative_ms": [(_short(w), c / count * 1000) for c, w in ours],
    }


def _short(where: str) -> str:
    for root in ("/services/", "/shared/"):
        if root in where:
            return root.strip("/") + "/" + where.split(root, 1)[1]
    return where


if __name__ == "__main__":
    if sys.argv[1:2] == ["--in-process"]:
        count = int(sys.argv[2]) if len(sys.argv) > 2 else 50
        prefix = sys.argv[3] if len(sys.argv) > 3 else "uitleen_profile"
        print(json.dumps(in_process(count, prefix), indent=1))
    else:
        print(json.dumps(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))))
