"""4. Reminders at scale: notify's due-reminder scan with a small and a large number of bookings in its copy.

The bookings are bulk-loaded into notify's real tables (``bookings``, and for each a pick-up and a return
reminder in ``scheduled_notifications``): the older half already sent, the newer half scheduled over the coming
months. Measured: notify's own ``claim_next``, the query and claim every beat tick (``notify.dispatch_due``)
starts with and repeats until nothing is due (``FOR UPDATE SKIP LOCKED``, oldest first, one row per claim), run in a
transaction that is rolled back, at an instant where nothing is due (a tick is then this one scan) and at one
where a backlog is due (a tick takes batch after batch and sends each mail); p50/p99 over many ticks.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Context, Result
from bench.lib import ms, percentile

ID_BASE = 20_000_000


def sizes(ctx: Context) -> tuple[int, int]:
    return (10_000, 1_000_000) if ctx.full else (2_000, 20_000)


def samples(ctx: Context) -> int:
    return 200 if ctx.full else 20


def run(ctx: Context) -> Result:
    from services.notify.domain.notifications import claim_next
    from shared.db import Database

    small, large = sizes(ctx)
    now = datetime.now(UTC).replace(microsecond=0)
    database = Database(ctx.topology.database_urls["notify"])
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"sizes": (small, large)}
    loaded = 0
    for size in (small, large):
        started = time.perf_counter()
        with ctx.connect("notify") as connection:
            _bulk_load(connection, now, loaded, size)
        with ctx.connect("notify", autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE bookings")  # as autovacuum would; not during the measurement
            connection.execute("VACUUM ANALYZE scheduled_notifications")
            counted = connection.execute("SELECT count(*) FROM bookings WHERE request_id >= %s", (ID_BASE,)).fetchone()
        load = time.perf_counter() - started
        loaded = size
        if counted is None or counted[0] != size:
            raise AssertionError(f"expected {size} bulk bookings in notify's copy, found {counted}")
        # "nothing due": the steady state of a tick; "backlog due": an instant three days on, with everything
        # scheduled until then due (the claim still takes one row, oldest first)
        for label, instant in (("nothing due", now), ("backlog due", now + timedelta(days=3))):
            timings: list[float] = []
            claimed = 0
            for _ in range(samples(ctx)):
                session = database.session_factory()
                try:
                    started_tick = time.perf_counter()
                    claimed = 1 if claim_next(session, instant, 60) is not None else 0
                    session.flush()
                    timings.append(time.perf_counter() - started_tick)
                finally:
                    session.rollback()
                    session.close()
            data[(size, label)] = {"claimed": claimed, "timings": timings}
            rows.append([f"{size:,}", label, claimed, ms(percentile(timings, 50)), ms(percentile(timings, 99)), load])
    database.engine.dispose()
    small_p50 = percentile(data[(small, "nothing due")]["timings"], 50)
    large_p50 = percentile(data[(large, "nothing due")]["timings"], 50)
    data["ratio"] = large_p50 / small_p50
    return Result(
        "reminders",
        f"4. Reminders: notify's due-reminder scan with {small:,} and {large:,} bookings in its copy",
        ["bookings", "tick", "claimed", "p50 ms", "p99 ms", "bulk load s"],
        rows,
        notes=[
            f"Each booking has a pick-up and a return reminder ({2 * large:,} rows in scheduled_notifications at "
            f"the large size). Scan p50 ratio large/small (nothing due): {data['ratio']:.2f}.",
            "'claimed' is what one claim takes (claim_next: one row, so a dying worker strands only it); a "
            "tick sends that row and claims again until nothing is due.",
        ],
        data=data,
    )


def _bulk_load(connection: Any, now: datetime, first: int, end: int) -> None:
    """Bookings ``first`` .. ``end - 1`` in notify's copy, one an hour spread around ``now``, with their two
    reminders: sent for bookings in the past, scheduled for those to come (ids from ID_BASE on).
    The notify worker leaves them alone: nothing of them falls due during the bench."""
    span_hours = 24 * 365  # bookings over two years: one behind us, one ahead
    params = {"first": first, "last": end - 1, "ids": ID_BASE, "now": now, "span": span_hours, "total": 1_000_000}
    connection.execute("SET LOCAL synchronous_commit = off")
    # booking i's pick-up: spread over [now - 1 year, now + 1 year) by a permutation of i (so any size covers
    # both years), none in the next two days (their reminders would fall due while the bench runs); return a
    # day later
    fraction = "(((i::bigint * 7919) %% %(total)s)::float8 / %(total)s)"
    spread = f"(%(now)s - interval '1 hour' * %(span)s + interval '1 hour' * (2 * %(span)s * {fraction}))"
    pickup = f"({spread} + CASE WHEN {spread} >= %(now)s - interval '2 days' THEN interval '4 days' ELSE '0' END)"
    connection.execute(
        "INSERT INTO bookings (request_id, reference, status, location_id, contact_email, language, pickup_at, "
        "return_at, snapshot, last_event_at) "
        f"SELECT %(ids)s + i, 'BULK-' || i, 'approved', 1 + i %% 50, 'bulk' || i || '@example.org', 'nl', "
        f"{pickup}, {pickup} + interval '1 day', '{{}}', now() "
        "FROM generate_series(%(first)s::int, %(last)s::int) AS i",
        params,
    )
    for kind, offset in (("pickup_reminder", "- interval '1 day'"), ("return_reminder", "+ interval '12 hours'")):
        due = f"{pickup} {offset}"
        connection.execute(
            "INSERT INTO scheduled_notifications (delivery_key, request_id, location_id, kind, audience, due_at, "
            "not_before, status, attempts, sent_at, created_at, updated_at) "
            f"SELECT 'bulk' || i || ':{kind}', %(ids)s + i, 1 + i %% 50, '{kind}', 'requester', {due}, {due}, "
            f"CASE WHEN {due} < %(now)s THEN 'sent' ELSE 'scheduled' END, "
            f"CASE WHEN {due} < %(now)s THEN 1 ELSE 0 END, "
            f"CASE WHEN {due} < %(now)s THEN {due} END, now(), now() "
            "FROM generate_series(%(first)s::int, %(last)s::int) AS i",
            params,
        )
    connection.commit()
