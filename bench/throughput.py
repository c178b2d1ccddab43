"""1. Booking throughput: create-and-approve over HTTP through the gateway, against the limit of the same
database work done straight with psycopg over as many connections.

Every booking gets its own slot (asset ``j % assets``, hour ``j // assets``), so nothing conflicts and the
figures measure the path, not the exclusion constraint refusing. The limit, per booking, in one transaction:
lock the asset row (as the service does), insert the request, its item, the allocation (checked by the
exclusion constraint) and an outbox row. Its rows use slots a few years later, so they never meet the
service's rows.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from bench.common import Context, Result, base_time, create_and_approve, request_body
from bench.lib import Client, ms, run_concurrently

CLIENTS = (8, 32)
ASSETS = 64


def bookings_per_run(ctx: Context, clients: int) -> int:
    return (400 if clients == 8 else 800) if ctx.full else (24 if clients == 8 else 64)


def run(ctx: Context) -> Result:
    location = ctx.create_location("bench-doorvoer")
    assets = ctx.create_assets(location, "doorvoer", ASSETS)
    start = base_time(days_ahead=3)
    staff = ctx.staff()
    counter = iter(range(10**9))

    def slot(j: int) -> tuple[int, Any]:
        return assets[j % ASSETS], start + timedelta(hours=2 * (j // ASSETS))

    def http_job(client: Client, j: int) -> bool:
        asset, pickup = slot(j)
        created, approved, _ = create_and_approve(client, request_body(asset, pickup), staff)
        return created == 201 and approved == 200

    with ctx.connect("booking", autocommit=True) as connection:
        initiative = _initiative(connection)

    def limit_job(connection: Any, j: int) -> bool:
        asset, pickup = slot(j)
        _limit_transaction(connection, initiative, location, asset, pickup + timedelta(days=1500))
        return True

    # warm up: every gunicorn worker imports and connects before the clock runs
    run_concurrently(8, [next(counter) for _ in range(16)], http_job, ctx.client)

    rows: list[list[Any]] = []
    data: dict[str, Any] = {}
    for clients in CLIENTS:
        jobs = [next(counter) for _ in range(bookings_per_run(ctx, clients))]
        service = run_concurrently(clients, jobs, http_job, ctx.client)
        limit_jobs = [next(counter) for _ in range(len(jobs))]
        limit = run_concurrently(clients, limit_jobs, limit_job, lambda: _connection(ctx))
        ratio = service.rate / limit.rate if limit.rate else float("nan")
        data[str(clients)] = {"service": service, "limit": limit, "ratio": ratio}
        rows.append(
            [
                clients,
                service.count,
                service.errors,
                service.rate,
                ms(service.percentile(50)),
                ms(service.percentile(99)),
                limit.rate,
                ms(limit.percentile(50)),
                ms(limit.percentile(99)),
                ratio,
            ]
        )
    with ctx.connect("booking", autocommit=True) as connection:
        counted = connection.execute(
            "SELECT count(*) FROM allocations WHERE active AND asset_id = ANY(%s)", (assets,)
        ).fetchone()
    data["allocations"] = counted[0] if counted else 0
    return Result(
        "throughput",
        "1. Booking throughput: create + approve through the gateway vs. the same database work in psycopg",
        [
            "clients",
            "bookings",
            "errors",
            "service bookings/s",
            "service p50 ms",
            "service p99 ms",
            "limit bookings/s",
            "limit p50 ms",
            "limit p99 ms",
            "service/limit",
        ],
        rows,
        notes=[
            "A booking is two HTTP requests (POST /booking/requests, POST .../approve); latencies are of the pair.",
            f"Active allocations on the bench assets afterwards: {data['allocations']} "
            "(service bookings incl. warm-up + limit bookings).",
        ],
        data=data,
    )


def _connection(ctx: Context) -> Any:
    import psycopg

    return psycopg.connect(ctx.conninfo("booking"))


def _initiative(connection: Any) -> int:
    row = connection.execute(
        "INSERT INTO initiatives (name, name_key, created_at) VALUES ('Bench limit', 'bench limit', now()) "
        "ON CONFLICT (name_key) DO UPDATE SET name = excluded.name RETURNING id"
    ).fetchone()
    return int(row[0])


def _limit_transaction(connection: Any, initiative: int, location: int, asset: int, pickup: Any) -> None:
    ret = pickup + timedelta(hours=1)
    with connection.transaction():
        connection.execute("SELECT id FROM inv_assets WHERE id = %s FOR UPDATE", (asset,))
        request_id = connection.execute(
            "INSERT INTO requests (reference, status, initiative_id, contact_name, contact_email, language, "
            "purpose, location_id, pickup_at, return_at, created_at, updated_at, version) "
            "VALUES (%s, 'approved', %s, 'Bench Tester', 'bench@example.org', 'nl', 'benchmark', %s, %s, %s, "
            "now(), now(), 1) RETURNING id",
            ("L-" + uuid.uuid4().hex[:12].upper(), initiative, location, pickup, ret),
        ).fetchone()[0]
        item_id = connection.execute(
            "INSERT INTO request_items (request_id, asset_id, quantity) VALUES (%s, %s, 1) RETURNING id",
            (request_id, asset),
        ).fetchone()[0]
        connection.execute(
            "INSERT INTO allocations (request_id, item_id, asset_id, quantity, blocked_from, blocked_until, "
            "single_unit, active, buffers_overridden, created_at) VALUES (%s, %s, %s, 1, %s, %s, true, true, "
            "false, now())",
            (request_id, item_id, asset, pickup, ret),
        )
        # published already: the relay must not send these bench rows to notify
        connection.execute(
            "INSERT INTO outbox (id, type, version, occurred_at, producer, payload, published_at, attempts) "
            "VALUES (%s, 'booking.request.approved', 1, now(), 'booking', %s, now(), 0)",
            (uuid.uuid4(), json.dumps({"request_id": request_id, "asset_id": asset})),
        )
