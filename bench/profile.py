"""Where a booking's time goes: the create-and-approve path in-process (Flask test client, no HTTP, no nginx),
under cProfile, with every SQL statement counted. Run by the throughput benchmark in a subprocess with the
topology's environment: ``python -m bench.profile <asset_id> <cookie> <count>`` prints one JSON line.

The profile is grouped by where the code lives (SQLAlchemy, psycopg/waiting on PostgreSQL, marshmallow and
flask-smorest, Flask/Werkzeug, logging, our code), by *own* time, so the groups add up to the whole.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
from datetime import timedelta
from typing import Any

GROUPS = (
    ("PostgreSQL round trips (psycopg, waiting)", ("psycopg", "select.", "selectors", "{method 'recv")),
    ("SQLAlchemy ORM and Core", ("sqlalchemy",)),
    ("marshmallow / flask-smorest / apispec", ("marshmallow", "flask_smorest", "apispec", "webargs")),
    ("Flask / Werkzeug / Jinja", ("flask/", "werkzeug", "jinja2", "itsdangerous")),
    ("logging / structlog / metrics", ("structlog", "logging", "prometheus")),
    ("our code (services/, shared/)", ("/services/", "/shared/")),
    ("JSON, datetime, zoneinfo, other stdlib", ("json", "zoneinfo", "datetime", "uuid", "secrets", "hashlib")),
)


def main(asset_id: int, cookie: str, count: int) -> dict[str, Any]:
    import sqlalchemy as sa

    from bench.common import base_time, request_body
    from services.booking.app import create_app
    from shared.db import Database

    app = create_app()
    database: Database = app.extensions["database"]
    statements = {"n": 0}

    @sa.event.listens_for(database.engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements["n"] += 1

    client = app.test_client()
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value)
    anonymous = app.test_client()
    start = base_time(days_ahead=30)

    def one(j: int) -> tuple[int, int]:
        body = request_body(asset_id, start + timedelta(hours=2 * j))
        created = anonymous.post("/requests", json=body)
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
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for j in range(10, 10 + count):
        mark = statements["n"]
        middle, end = one(j)
        per_create.append(middle - mark)
        per_approve.append(end - middle)
    profiler.disable()
    wall = time.perf_counter() - started
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
        "statements_create": sum(per_create) / count,
        "statements_approve": sum(per_approve) / count,
        "groups_ms_per_booking": {k: v / count * 1000 for k, v in groups.items()},
        "profiled_ms_per_booking": total / count * 1000,
        "top_own_code_cumulative_ms": [
            (w.split("/work/")[-1].split("wt-bench/")[-1], c / count * 1000) for c, w in ours
        ],
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))))
