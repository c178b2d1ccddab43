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
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import Context, Result, base_time, create_and_approve, request_body
from bench.lib import Client, cpu_seconds, machine_cpu, ms, postgres_backends, run_concurrently
from bench.topology import _descendants

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
    cpu: dict[str, dict[str, float]] = {}
    for clients in CLIENTS:
        jobs = [next(counter) for _ in range(bookings_per_run(ctx, clients))]
        meter = CpuMeter(ctx)
        service = run_concurrently(clients, jobs, http_job, ctx.client)
        cpu[f"service, {clients} clients"] = meter.per_booking(len(jobs))
        limit_jobs = [next(counter) for _ in range(len(jobs))]
        meter = CpuMeter(ctx)
        limit = run_concurrently(clients, limit_jobs, limit_job, lambda: _connection(ctx))
        cpu[f"limit, {clients} clients"] = meter.per_booking(len(jobs))
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
    profile = _profile(ctx, assets[0], 200 if ctx.full else 10)
    data["profile"] = profile
    data["cpu"] = cpu
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
            "(service bookings incl. warm-up + limit bookings + profiled ones).",
            _cpu_text(cpu),
            _profile_text(profile),
        ],
        data=data,
    )


class CpuMeter:
    """CPU seconds used by each part of the system between its creation and the moment, after the clients
    finished, the event side has drained (``Context.wait_drained``: every outbox row published, every booking
    event applied by notify, every mail sent and received, the queues empty): the bench's own process (the
    clients), nginx, each gunicorn service, the relay, each celery worker, beat, the PostgreSQL backends of the
    bench databases, and the whole machine (other users of the machine included)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.drain_seconds = 0.0
        self.groups = self._groups()
        self.before = {pid: cpu_seconds(pid) for pids in self.groups.values() for pid in pids}
        self.machine_before = machine_cpu()

    def _groups(self) -> dict[str, list[int]]:
        process = self.ctx.topology.process
        roles = self.ctx.topology.pids()
        nginx = [
            pid
            for pid in (_descendants(process.pid) if process else [])
            if Path(f"/proc/{pid}/cmdline").exists() and b"nginx" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        database = self.ctx.topology.database_urls["booking"].rsplit("/", 1)[1]
        return {
            "bench clients (this process)": [os.getpid()],
            "nginx gateway": nginx,
            "booking gunicorn": roles.get("booking", []),
            "inventory + notify gunicorn": roles.get("inventory", []) + roles.get("notify", []),
            "relay": roles.get("relay", []),
            "notify worker (celery)": roles.get("worker_notify", []),
            "booking worker (celery), beat": roles.get("worker_booking", []) + roles.get("beat", []),
            "PostgreSQL backends": postgres_backends(database.rsplit("_", 1)[0]),
        }

    def per_booking(self, bookings: int) -> dict[str, float]:
        self.drain_seconds = self.ctx.wait_drained()
        busy_before, total_before = self.machine_before
        busy_after, total_after = machine_cpu()
        groups = self._groups()  # backends opened meanwhile (the limit's connections) count from zero
        result = {
            label: sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in pids) / bookings * 1000
            for label, pids in groups.items()
        }
        result["event side (relay + workers + beat)"] = sum(
            result[label] for label in ("relay", "notify worker (celery)", "booking worker (celery), beat")
        )
        result["suite total (all groups above but the clients)"] = sum(
            value for label, value in result.items() if label in groups and label != "bench clients (this process)"
        )
        result["whole machine (all users)"] = (busy_after - busy_before) / bookings * 1000
        result["machine busy %"] = 100 * (busy_after - busy_before) / max(total_after - total_before, 1e-9)
        result["drained s after the clients"] = self.drain_seconds
        return result


def _cpu_text(cpu: dict[str, dict[str, float]]) -> str:
    columns = list(cpu)
    labels = list(next(iter(cpu.values())))
    lines = [
        "",
        "CPU milliseconds per booking, by process group (from /proc; 2 cores = 2000 ms per second), measured "
        "from the first request until drained: after the clients finished, the bench waits until every outbox "
        "row is published, notify has applied every booking event, every due mail has arrived at the bench's "
        "SMTP server and the queues are empty (the last row: how long that took):",
        "",
        "| process group | " + " | ".join(columns) + " |",
        "| --- | " + " | ".join("---" for _ in columns) + " |",
    ]
    for label in labels:
        lines.append(f"| {label} | " + " | ".join(f"{cpu[c][label]:.1f}" for c in columns) + " |")
    return "\n".join(lines)


def _profile(ctx: Context, asset: int, count: int) -> dict[str, Any]:
    """bench.profile in a subprocess with the topology's environment (the booking app in-process)."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.profile", str(asset), ctx.cookie, str(count)],
        env=ctx.topology.environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if output.returncode:
        raise RuntimeError(f"bench.profile failed: {output.stderr[-2000:]}")
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def _profile_text(profile: dict[str, Any]) -> str:
    groups = sorted(profile["groups_ms_per_booking"].items(), key=lambda kv: -kv[1])
    lines = [
        "",
        f"Profile (cProfile, in-process, one thread, {profile['bookings']} bookings, no HTTP/nginx): "
        f"{profile['ms_per_booking']:.1f} ms per create + approve under the profiler; SQL statements per "
        f"create {profile['statements_create']:.1f}, per approve {profile['statements_approve']:.1f}.",
        "",
        "| where (own time) | ms per booking |",
        "| --- | --- |",
        *(f"| {label} | {value:.2f} |" for label, value in groups),
    ]
    return "\n".join(lines)


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
