"""Real parallel clients against the booking app under a real threaded HTTP server, on PostgreSQL.

Each test fires its requests from a thread pool through a barrier, so they really arrive at the same moment,
and then checks both the HTTP answers (one success per free unit, 409s naming the conflict, never a 5xx)
and the allocations table itself.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from services.booking.api.schemas import RequestInSchema
from services.booking.domain.lifecycle import REQUESTER
from services.booking.domain.requests import check_request, create_request
from services.booking.models import Allocation
from shared.auth import SESSION_COOKIE
from tests.booking_fixtures import at, no_holiday, request_body, staff_cookie

pytestmark = pytest.mark.postgres


@pytest.fixture
def live_server(booking_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, booking_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def call(url: str, body: Any = None, cookie: str | None = None, headers: dict[str, str] | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    request.add_header("Content-Type", "application/json")
    if cookie:
        request.add_header("Cookie", f"{SESSION_COOKIE}={cookie}")
        request.add_header("X-Requested-With", "XMLHttpRequest")  # a write with the cookie needs it (shared/guard.py)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def make_requests(booking_db, bodies: list[dict[str, Any]]) -> list[int]:
    """Requests made through the domain directly (checked like any submission), for the races to decide on."""
    with booking_db.transaction() as session:
        return [
            create_request(
                session, check_request(session, RequestInSchema().load(body), REQUESTER), REQUESTER, 30
            ).request.id
            for body in bodies
        ]


def race(functions: list[Any]) -> list[tuple[int, dict[str, Any]]]:
    barrier = threading.Barrier(len(functions))

    def run(function: Any) -> tuple[int, dict[str, Any]]:
        barrier.wait(timeout=30)
        result: tuple[int, dict[str, Any]] = function()
        return result

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(run, functions))


def active_allocations(booking_db, asset_id: int) -> list[tuple[Any, Any, int]]:
    with booking_db.transaction() as session:
        query = sa.select(Allocation.blocked_from, Allocation.blocked_until, Allocation.quantity).where(
            Allocation.asset_id == asset_id, Allocation.active.is_(True)
        )
        return [tuple(row) for row in session.execute(query)]


def _assert_losers_named(results, winners_refs: set[str]) -> None:
    for status, body in results:
        assert status < 500, body
        if status == 409:
            assert body["type"].endswith("/booking-conflict")
            named = {c["reference"] for c in body["conflicts"] if c["kind"] == "booking"}
            assert named and named <= winners_refs, body


def test_50_parallel_approvals_of_one_slot_leave_exactly_one(feed, booking_db, live_server):
    location = feed.location()
    asset = feed.asset(location, turnaround_after_hours=12)
    ids = make_requests(booking_db, [request_body(asset, at(2, 9 + i % 5), at(3, 12)) for i in range(50)])
    cookie = staff_cookie([location])
    results = race([lambda i=i: call(f"{live_server}/requests/{i}/approve", {}, cookie) for i in ids])
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 49}, statuses
    winner = next(body["reference"] for status, body in results if status == 200)
    _assert_losers_named(results, {winner})
    assert len(active_allocations(booking_db, asset)) == 1


def test_50_parallel_create_and_approve_leave_exactly_one(feed, booking_db, live_server):
    location = feed.location()
    asset = feed.asset(location)
    cookie = staff_cookie([location])

    def create_and_approve(i: int) -> tuple[int, dict[str, Any]]:
        body = request_body(asset, at(1, 10), at(1, 10 + 1 + i % 8), initiative=f"Initiatief {i}")
        status, created = call(f"{live_server}/requests", body, headers={"Idempotency-Key": f"race-{i}"})
        assert status == 201, created
        return call(f"{live_server}/requests/{created['request_id']}/approve", {}, cookie)

    results = race([lambda i=i: create_and_approve(i) for i in range(50)])
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 49}, statuses
    winner = next(body["reference"] for status, body in results if status == 200)
    _assert_losers_named(results, {winner})
    assert len(active_allocations(booking_db, asset)) == 1


def test_pooled_quantity_three_gives_out_exactly_three(feed, booking_db, live_server):
    location = feed.location()
    asset = feed.asset(location, code="naaimachine", category="sewing_machine", quantity=3)
    ids = make_requests(booking_db, [request_body(asset, at(1, 9 + i % 4), at(1, 15 + i % 4)) for i in range(40)])
    cookie = staff_cookie([location])
    results = race([lambda i=i: call(f"{live_server}/requests/{i}/approve", {}, cookie) for i in ids])
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 3, 409: 37}, statuses
    winners = {body["reference"] for status, body in results if status == 200}
    _assert_losers_named(results, winners)
    assert sum(q for _, _, q in active_allocations(booking_db, asset)) == 3


def test_as_many_requests_as_free_units_all_win(feed, booking_db, live_server):
    location = feed.location()
    asset = feed.asset(location, code="koffers", category="repair_kit", quantity=5)
    cookie = staff_cookie([location])
    for round_ in range(10):
        day = 1 + round_
        # one unit is already out: 4 free; four requests (quantities 2, 1, 1 and the blocker's neighbour) fit
        blocker, *ids = make_requests(
            booking_db,
            [
                request_body(asset, at(day, 8), at(day, 20), 1),
                request_body(asset, at(day, 9), at(day, 12), 2),
                request_body(asset, at(day, 10), at(day, 14), 1),
                request_body(asset, at(day, 11), at(day, 18), 1),
            ],
        )
        assert call(f"{live_server}/requests/{blocker}/approve", {}, cookie)[0] == 200
        results = race([lambda i=i: call(f"{live_server}/requests/{i}/approve", {}, cookie) for i in ids])
        assert [status for status, _ in results] == [200, 200, 200], results
    assert len(active_allocations(booking_db, asset)) == 40


def test_two_staff_approving_overlapping_requests_at_once_100_rounds(feed, booking_db, live_server):
    location = feed.location()
    asset = feed.asset(location, turnaround_before_hours=1)
    anna = staff_cookie([location], staff_id=1)
    admin = staff_cookie([], role="admin", staff_id=2)
    bodies = []
    for round_ in range(100):
        day = no_holiday(1 + round_ // 2)
        hour = 9 if round_ % 2 == 0 else 15
        bodies += [
            request_body(asset, at(day, hour), at(day, hour + 3)),
            request_body(asset, at(day, hour + 1), at(day, hour + 4)),
        ]
    ids = make_requests(booking_db, bodies)
    outcomes: Counter[tuple[int, ...]] = Counter()
    for round_ in range(100):
        first, second = ids[2 * round_], ids[2 * round_ + 1]
        results = race(
            [
                lambda first=first: call(f"{live_server}/requests/{first}/approve", {}, anna),
                lambda second=second: call(f"{live_server}/requests/{second}/approve", {}, admin),
            ]
        )
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409], results
        outcomes[tuple(status for status, _ in results)] += 1
    assert len(active_allocations(booking_db, asset)) == 100
    # both orders happened: the race was real, not serialised by the test
    assert len(outcomes) == 2, outcomes
