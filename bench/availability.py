"""3. Availability at scale: one asset's month and one location's week, with a small and a large number of
bookings in booking's database; p50/p99 of each, and the ratio large/small.

The bookings are bulk-loaded with ``INSERT ... SELECT generate_series`` into the real tables (requests,
request_items, allocations under the exclusion constraint) for assets that exist only in booking's copy of the
inventory (ids from 1 000 000 on): LOCATIONS locations of ASSETS_PER_LOCATION single-unit assets each. Booking
``i`` belongs to asset ``i % assets`` and lies ``i // assets`` times two days before an anchor a few weeks
ahead (one day long), so no two bookings of one asset overlap and a larger load means a longer history per
asset, as years of use would give. The same asset and location are asked about at both sizes.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from bench.common import Context, Result, base_time
from bench.lib import Client, ms, percentile

ID_BASE = 1_000_000
LOCATIONS = 50
ASSETS_PER_LOCATION = 20
ASSETS = LOCATIONS * ASSETS_PER_LOCATION


def sizes(ctx: Context) -> tuple[int, int]:
    return (10_000, 1_000_000) if ctx.full else (2_000, 20_000)


def samples(ctx: Context) -> int:
    return 200 if ctx.full else 20


def run(ctx: Context) -> Result:
    small, large = sizes(ctx)
    anchor = base_time(days_ahead=30).replace(hour=8)
    with ctx.connect("booking") as connection:
        initiative = _prepare(connection, anchor)
    asset = ID_BASE + 7  # at location ID_BASE + 0
    location = ID_BASE
    questions = {
        "asset month (30 days, per day)": {
            "asset_id": asset,
            "from": (anchor - timedelta(days=15)).isoformat(),
            "to": (anchor + timedelta(days=15)).isoformat(),
            "slot": "day",
        },
        f"location week ({ASSETS_PER_LOCATION} assets, per day)": {
            "location_id": location,
            "from": (anchor - timedelta(days=3)).isoformat(),
            "to": (anchor + timedelta(days=4)).isoformat(),
            "slot": "day",
        },
    }
    measured: dict[int, dict[str, list[float]]] = {}
    load_seconds: dict[int, float] = {}
    answers: dict[int, dict[str, Any]] = {}
    loaded = 0
    for size in (small, large):
        started = time.perf_counter()
        with ctx.connect("booking") as connection:
            _bulk_load(connection, initiative, anchor, loaded, size)
        with ctx.connect("booking", autocommit=True) as connection:
            # the steady state autovacuum would reach: statistics and the visibility map up to date, and no
            # autovacuum of the fresh rows running while we measure
            for name in ("requests", "request_items", "allocations"):
                connection.execute(f"VACUUM ANALYZE {name}")
            counted = connection.execute("SELECT count(*) FROM allocations").fetchone()
        load_seconds[size] = time.perf_counter() - started
        loaded = size
        if counted is None or counted[0] < size:
            raise AssertionError(f"expected at least {size} allocations, found {counted}")
        # the mail of the benchmarks before still flowing through notify would weigh on the first size only
        ctx.wait_for_quiet_mail()
        measured[size], answers[size] = _measure(ctx, questions, samples(ctx))
    rows: list[list[Any]] = []
    ratios: dict[str, float] = {}
    for question in questions:
        a, b = measured[small][question], measured[large][question]
        ratio = percentile(b, 50) / percentile(a, 50)
        ratios[question] = ratio
        rows.append(
            [
                question,
                ms(percentile(a, 50)),
                ms(percentile(a, 99)),
                ms(percentile(b, 50)),
                ms(percentile(b, 99)),
                ratio,
                percentile(b, 99) / percentile(a, 99),
            ]
        )
    return Result(
        "availability",
        f"3. Availability with {small:,} and {large:,} bookings in booking's database (GET /booking/availability)",
        [
            "question",
            f"p50 ms @{small:,}",
            f"p99 ms @{small:,}",
            f"p50 ms @{large:,}",
            f"p99 ms @{large:,}",
            "p50 ratio",
            "p99 ratio",
        ],
        rows,
        notes=[
            f"{samples(ctx)} sequential requests per question and size, through the gateway. Bulk load "
            + ", ".join(f"{n:,} rows: {s:.0f} s" for n, s in load_seconds.items())
            + " (incl. VACUUM ANALYZE)."
        ],
        data={"ratios": ratios, "answers": answers, "sizes": (small, large), "load_seconds": load_seconds},
    )


def _measure(
    ctx: Context, questions: dict[str, dict[str, Any]], count: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    client = Client(ctx.topology.gateway)
    timings: dict[str, list[float]] = {}
    answers: dict[str, Any] = {}
    for question, params in questions.items():
        path = "/booking/availability?" + urlencode(params)
        client.request("GET", path)  # warm the cache and the plan
        timings[question] = []
        for _ in range(count):
            started = time.perf_counter()
            status, body, _ = client.request("GET", path)
            timings[question].append(time.perf_counter() - started)
            if status != 200:
                raise AssertionError(f"availability answered {status}: {body!r}")
        answers[question] = body
    client.close()
    return timings, answers


def _prepare(connection: Any, anchor: Any) -> int:
    """The bench's locations and assets in booking's copy, and one initiative for every bulk booking."""
    connection.execute(
        "INSERT INTO inv_locations (id, code, name, street, postal_code, city, opening_hours, version) "
        "SELECT %(base)s + l, 'bulk-' || l, 'Bulk ' || l, 'Bulkstraat 1', '9000', 'Gent', '[]', 1 "
        "FROM generate_series(0, %(locations)s - 1) AS l ON CONFLICT (id) DO NOTHING",
        {"base": ID_BASE, "locations": LOCATIONS},
    )
    connection.execute(
        "INSERT INTO inv_assets (id, code, name_nl, name_en, category, location_id, quantity, "
        "turnaround_before_hours, turnaround_after_hours, lead_time_hours, min_loan_hours, max_loan_hours, "
        "public, status, requirement_codes, version) "
        "SELECT %(base)s + a, 'bulk-' || a, 'Bulk ' || a, 'Bulk ' || a, 'tool', %(base)s + a / %(per)s, 1, "
        "0, 0, 0, 1, NULL, true, 'active', '[]', 1 "
        "FROM generate_series(0, %(assets)s - 1) AS a ON CONFLICT (id) DO NOTHING",
        {"base": ID_BASE, "per": ASSETS_PER_LOCATION, "assets": ASSETS},
    )
    row = connection.execute(
        "INSERT INTO initiatives (name, name_key, created_at) VALUES ('Bulk', 'bulk', now()) "
        "ON CONFLICT (name_key) DO UPDATE SET name = excluded.name RETURNING id"
    ).fetchone()
    connection.commit()
    return int(row[0])


def _bulk_load(connection: Any, initiative: int, anchor: Any, first: int, end: int) -> None:
    """Bookings ``first`` .. ``end - 1``: request, item and allocation rows with ids ID_BASE * 10 + i."""
    params = {
        "first": first,
        "last": end - 1,
        "base": ID_BASE,
        "ids": ID_BASE * 10,
        "assets": ASSETS,
        "per": ASSETS_PER_LOCATION,
        "initiative": initiative,
        "anchor": anchor,
    }
    connection.execute("SET LOCAL synchronous_commit = off")
    connection.execute(
        "INSERT INTO requests (id, reference, status, initiative_id, contact_name, contact_email, language, "
        "purpose, location_id, pickup_at, return_at, created_at, updated_at, version) "
        # history is returned loans (an approved one long past would be a no-show for booking's scan)
        "SELECT %(ids)s + i, 'BULK-' || i, "
        "CASE WHEN %(anchor)s - (i / %(assets)s) * interval '2 days' < now() THEN 'returned' ELSE 'approved' END, "
        "%(initiative)s, 'Bulk', 'bulk' || i || '@example.org', "
        "'nl', '', %(base)s + (i %% %(assets)s) / %(per)s, "
        "%(anchor)s - (i / %(assets)s) * interval '2 days', "
        "%(anchor)s - (i / %(assets)s) * interval '2 days' + interval '1 day', now(), now(), 1 "
        "FROM generate_series(%(first)s::int, %(last)s::int) AS i",
        params,
    )
    connection.execute(
        "INSERT INTO request_items (id, request_id, asset_id, quantity) "
        "SELECT %(ids)s + i, %(ids)s + i, %(base)s + i %% %(assets)s, 1 "
        "FROM generate_series(%(first)s::int, %(last)s::int) AS i",
        params,
    )
    connection.execute(
        "INSERT INTO allocations (id, request_id, item_id, asset_id, quantity, blocked_from, blocked_until, "
        "single_unit, active, buffers_overridden, created_at) "
        "SELECT %(ids)s + i, %(ids)s + i, %(ids)s + i, %(base)s + i %% %(assets)s, 1, "
        "%(anchor)s - (i / %(assets)s) * interval '2 days', "
        "%(anchor)s - (i / %(assets)s) * interval '2 days' + interval '1 day', true, true, false, now() "
        "FROM generate_series(%(first)s::int, %(last)s::int) AS i",
        params,
    )
    connection.commit()
