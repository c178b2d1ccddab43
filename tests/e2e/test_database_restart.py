"""PostgreSQL restarted while clients submit requests: answers are 201 or a clean 503 problem (never a 500),
the service recovers without being restarted, and every request ends up accepted exactly once.

Our own PostgreSQL (tests/support/postgres.py) behind booking's real app, served by a threaded WSGI server in
this process; six clients submit one request after another (retrying after a 503, as the problem's Retry-After says) and
one reads the search, while the database is stopped for two seconds and started again.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from services.booking.app import create_app
from services.booking.models import BookingRequest
from shared.config import load_settings
from shared.db import Database
from shared.migrations import upgrade
from tests import conftest
from tests.booking_fixtures import InventoryFeed, at, no_holiday, request_body
from tests.support.postgres import OwnPostgres

pytestmark = pytest.mark.e2e
CLIENTS = 6


@pytest.fixture
def postgres() -> Iterator[OwnPostgres]:
    workdir = Path(tempfile.mkdtemp(prefix="uitleen-pg-"))  # not under pytest's root-only tmp: postgres reads it
    server = OwnPostgres(workdir)
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(workdir, ignore_errors=True)


def call(method: str, url: str, body: object = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        kind = error.headers.get("Content-Type", "")
        problem = json.loads(raw) if kind.startswith("application/problem") else {"body": raw[:200]}
        return error.code, {**problem, "retry": error.headers.get("Retry-After")}


def test_postgres_restarted_under_load_fails_cleanly_and_loses_nothing(postgres: OwnPostgres):
    urls = {service: postgres.create_database(service) for service in ("inventory", "booking")}
    for service, url in urls.items():
        upgrade(conftest.ROOT / "services" / service / "migrations", url)
    databases = {service: Database(url, connect_args={"connect_timeout": 2}) for service, url in urls.items()}
    feed = InventoryFeed(databases["inventory"], databases["booking"])
    asset = feed.asset(feed.location(), quantity=1000)
    environ = {**conftest.test_environ(), "BOOKING_DATABASE_URL": urls["booking"]}
    app = create_app(load_settings("booking", environ), databases["booking"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    statuses: Counter = Counter()
    bad: list[tuple[int, dict]] = []
    accepted: dict[str, int] = {}
    lock = threading.Lock()

    def record(status: int, body: dict) -> None:
        with lock:
            statuses[status] += 1
            timeline.append((time.monotonic(), status))
            clean_503 = status == 503 and body.get("type", "").endswith("/unavailable") and body.get("retry") == "5"
            if not (200 <= status < 300 or clean_503):
                bad.append((status, body))

    def submit(client: int) -> None:
        # Until told to stop, one request after another; a request is tried again until it is accepted.
        number = 0
        while not enough.is_set():
            number += 1
            name = f"Initiatief {client}-{number}"
            day = no_holiday(1 + number % 300)
            body = request_body(asset, at(day, 10), at(day, 15), initiative=name)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    status, answer = call("POST", f"{base}/requests", body)
                except (urllib.error.URLError, ConnectionError) as error:  # the server itself must stay up
                    status, answer = 599, {"error": repr(error)}
                record(status, answer)
                if status == 201:
                    with lock:
                        accepted[name] = answer["request_id"]
                    break
                time.sleep(0.2)
            else:
                with lock:
                    never.append(name)

    def read() -> None:
        while not enough.is_set():
            record(*call("GET", f"{base}/search?pickup_at={at(3, 10)}&return_at={at(3, 12)}"))
            time.sleep(0.05)

    enough = threading.Event()
    never: list[str] = []
    timeline: list[tuple[float, int]] = []
    threads = [threading.Thread(target=submit, args=(c,)) for c in range(CLIENTS)] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        started = time.monotonic()
        postgres.stop("fast")  # in-flight transactions are aborted, connections cut
        time.sleep(2.0)
        postgres.start()
        up = time.monotonic()
        restarted = up - started
        time.sleep(2.0)  # and the clients go on against the same, never restarted, service
    finally:
        enough.set()
        for thread in threads:
            thread.join(timeout=90)
        server.shutdown()
    print(f"\nPostgreSQL down and up again in {restarted:.1f} s; answers: {dict(sorted(statuses.items()))}")
    assert not bad, bad[:5]
    assert statuses[503] > 0, "the restart was not felt: the test proves nothing"
    assert not never, f"{len(never)} requests never accepted"
    # Recovered within a second of the database's return, without restarting the service.
    assert [status for at_, status in timeline if at_ > up + 1.0 and status != 503]
    assert not [status for at_, status in timeline if at_ > up + 1.0 and status == 503]
    # Each accepted request is there, exactly once.
    with databases["booking"].session_factory() as session:
        requests = session.execute(sa.select(BookingRequest.id, BookingRequest.initiative_id)).all()
    assert sorted(request_id for request_id, _ in requests) == sorted(accepted.values())
    assert len({initiative for _, initiative in requests}) == len(requests) == len(accepted)
    for database in databases.values():
        database.dispose()
