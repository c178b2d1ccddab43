"""2. Contention: N clients race to approve N requests for the same single-unit asset and the same slot.

The requests are filed first (not timed); then every client, on its own open connection, waits at a barrier
and sends its approval at once. Exactly one may win (200); every other must be told 409 (conflict).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import Context, Result, base_time, request_body
from bench.lib import Client, ms, percentile


def racers(ctx: Context) -> int:
    return 200 if ctx.full else 50


def run(ctx: Context) -> Result:
    count = racers(ctx)
    location = ctx.create_location("bench-wedren")
    (asset,) = ctx.create_assets(location, "wedren", 1)
    pickup = base_time(days_ahead=4)

    def file_one(client: Client, index: int) -> int:
        status, created, _ = client.request("POST", "/booking/requests", request_body(asset, pickup, hours=3))
        if status != 201:
            raise RuntimeError(f"filing a racing request failed: {status} {created!r}")
        return int(created["request_id"])

    request_ids = _filed(ctx, count, file_one)

    clients = [ctx.client() for _ in range(count)]
    for client in clients:
        client.connection.connect()
    barrier = threading.Barrier(count + 1)
    answers: list[tuple[int, int, float, Any]] = []
    lock = threading.Lock()
    staff = ctx.staff()

    def race(index: int) -> None:
        client = clients[index]
        barrier.wait()
        status, body, _ = client.request("POST", f"/booking/requests/{request_ids[index]}/approve", {}, staff)
        with lock:
            answers.append((request_ids[index], status, time.perf_counter(), body))

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(race, index) for index in range(count)]
        time.sleep(0.5)
        started = time.perf_counter()
        barrier.wait()
        for future in futures:
            future.result()
    for client in clients:
        client.close()
    until_all = max(at for _, _, at, _ in answers) - started
    latencies = [at - started for _, _, at, _ in answers]
    winners = [(rid, body) for rid, status, _, body in answers if status == 200]
    statuses: dict[int, int] = {}
    for _, status, _, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    with ctx.connect("booking", autocommit=True) as connection:
        row = connection.execute("SELECT count(*) FROM allocations WHERE active AND asset_id = %s", (asset,)).fetchone()
    allocations = row[0] if row else 0
    winner = winners[0][1].get("reference") if len(winners) == 1 else None
    data = {
        "racers": count,
        "winners": len(winners),
        "statuses": statuses,
        "allocations": allocations,
        "winner": winner,
        "until_all": until_all,
    }
    # the property the bench exists for: anything else is a bug, not a slow run
    if len(winners) != 1 or allocations != 1 or statuses.get(409, 0) != count - 1:
        raise AssertionError(f"contention: expected exactly one winner and {count - 1} conflicts, got {data}")
    return Result(
        "contention",
        f"2. Contention: {count} clients approve {count} requests for one slot of one single-unit asset",
        ["racers", "200 (won)", "409 (conflict)", "other", "allocations", "winner", "p50 ms", "all answered ms"],
        [
            [
                count,
                statuses.get(200, 0),
                statuses.get(409, 0),
                count - statuses.get(200, 0) - statuses.get(409, 0),
                allocations,
                winner,
                ms(percentile(latencies, 50)),
                ms(until_all),
            ]
        ],
        data=data,
    )


def _filed(ctx: Context, count: int, file_one: Any) -> list[int]:
    local = threading.local()
    opened: list[Client] = []

    def one(index: int) -> int:
        if not hasattr(local, "client"):
            local.client = ctx.client()
            opened.append(local.client)
        return int(file_one(local.client, index))

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, range(count)))
    finally:
        for client in opened:
            client.close()
