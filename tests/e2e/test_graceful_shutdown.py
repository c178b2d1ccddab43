"""SIGTERM lets in-flight work finish: a gunicorn service answers the request it is busy with, a Celery worker
finishes the task it is running (late acks: had it died instead, the message would come back), and the effect
is applied once.

Both are held mid-flight by a row lock this test takes in PostgreSQL and releases only after SIGTERM was sent,
so "in flight" is a fact we wait for (the backend shows up waiting on the lock), not a guess with a sleep.
Each process gets SIGTERM alone, as Kubernetes and docker stop send it to the container's main process.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import sqlalchemy as sa

from services.notify.models import Booking, ProcessedEvent
from shared.db import Database
from tests import conftest
from tests.booking_fixtures import InventoryFeed
from tests.conftest import DB_PREFIX, PG_ADMIN_URL
from tests.event_factories import booking_envelope, write_booking_events
from tests.support.processes import BIN, ROOT, OwnRedis, wait_until
from tests.support.smtp import SmtpServer, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(180)]


def _conninfo(service: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_PREFIX}_{service}"


def _waiting_on_a_lock(service: str) -> bool:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (f"{DB_PREFIX}_{service}",),
        ).fetchone()
    return bool(row and row[0])


def _start(command: list[str], environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **environ, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_gunicorn_finishes_the_request_in_flight_after_sigterm(
    feed: InventoryFeed, environ: dict[str, str], tmp_path: Path
):
    location = feed.location(opening_hours=[])
    asset = feed.asset(location, code="partytent")
    port = free_port()
    # the production command (deploy/Procfile), one worker to keep it light
    command = [str(BIN / "gunicorn"), "--config", "services/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}"]
    server = _start(
        [*command, "services.booking.wsgi:app"], {**environ, "GUNICORN_WORKERS": "1"}, tmp_path / "booking.log"
    )
    try:
        wait_until(lambda: _get(port, "/booking/readyz") == 200, 30, "gunicorn to serve", tmp_path)
        pickup = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
        body = {
            "initiative": "Sluitingstest",
            "contact": {"name": "An Peeters", "email": "an@example.org", "language": "nl"},
            "pickup_at": pickup.isoformat(),
            "return_at": (pickup + timedelta(hours=2)).isoformat(),
            "items": [{"asset_id": asset, "quantity": 1}],
        }
        answer: dict[str, Any] = {}
        with psycopg.connect(_conninfo("booking")) as blocker:
            # an uncommitted initiative of the same name: the request's INSERT ... ON CONFLICT must wait for us
            blocker.execute(
                "INSERT INTO initiatives (name, name_key, created_at) VALUES ('Sluitingstest', 'sluitingstest', now())"
            )
            thread = threading.Thread(target=lambda: answer.update(_post(port, "/booking/requests", body)))
            thread.start()
            wait_until(lambda: _waiting_on_a_lock("booking"), 20, "the request to wait on our lock", tmp_path)
            server.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert server.poll() is None, "gunicorn quit with a request in flight"
            assert thread.is_alive(), "the request was answered while it should still be waiting"
            blocker.commit()
        thread.join(30)
        assert answer.get("status") == 201, answer
        assert server.wait(timeout=30) == 0
        with psycopg.connect(_conninfo("booking")) as connection:
            row = connection.execute(
                "SELECT count(*) FROM requests WHERE id = %s", (answer["body"]["request_id"],)
            ).fetchone()
        assert row == (1,)
        print(f"\ngunicorn: SIGTERM with a request in flight; it answered {answer['status']}, then exited 0")
    finally:
        _stop(server)


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def _post(port: int, path: str, body: Any) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return {"status": response.status, "body": json.loads(response.read() or b"{}")}
    finally:
        connection.close()


def test_celery_worker_finishes_the_task_in_flight_after_sigterm_and_applies_it_once(
    databases: dict[str, Database], tmp_path: Path
):
    own_redis = OwnRedis(tmp_path)
    own_redis.start()
    smtp = SmtpServer()
    smtp.start()
    environ = {
        **conftest.test_environ(tmp_path),
        "BROKER_URL": own_redis.url,
        "LOG_LEVEL": "INFO",
        "NOTIFY_MAIL_BACKEND": "smtp",
        "NOTIFY_SMTP_HOST": "127.0.0.1",
        "NOTIFY_SMTP_PORT": str(smtp.port),
    }
    # deploy/Procfile's worker_notify (prefork pool, late acks from shared.celery_app), with INFO logs
    worker_command = [
        str(BIN / "celery"),
        *[
            "-A",
            "services.notify.worker",
            "worker",
            "--queues",
            "notify",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
        ],
        "--loglevel",
        "INFO",
    ]
    relay = _start(
        [str(BIN / "python"), "-m", "shared.relay", "--service", "booking", "--poll", "0.2"],
        environ,
        tmp_path / "relay.log",
    )
    worker = _start(worker_command, environ, tmp_path / "worker.log")
    second: subprocess.Popen[bytes] | None = None
    booking_db, notify_db = databases["booking"], databases["notify"]

    def status() -> str | None:
        with notify_db.session_factory() as session:
            return session.scalar(sa.select(Booking.status).where(Booking.request_id == 41))

    def applied(event_id: object) -> int:
        with notify_db.session_factory() as session:
            query = sa.select(sa.func.count()).select_from(ProcessedEvent).where(ProcessedEvent.event_id == event_id)
            return int(session.scalar(query) or 0)

    try:
        submitted = booking_envelope("submitted", request_id=41, email="sluiting@example.org")
        with booking_db.transaction() as session:
            write_booking_events(session, [submitted])
        wait_until(lambda: status() == "requested", 60, "notify to learn of the booking", tmp_path)
        approved = booking_envelope("approved", request_id=41, email="sluiting@example.org")
        with psycopg.connect(_conninfo("notify")) as blocker:
            blocker.execute("SELECT * FROM bookings WHERE request_id = 41 FOR UPDATE")
            with booking_db.transaction() as session:
                write_booking_events(session, [approved])
            wait_until(lambda: _waiting_on_a_lock("notify"), 30, "the task to wait on our lock", tmp_path)
            worker.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert worker.poll() is None, "the worker quit with a task in flight"
            blocker.commit()
        assert worker.wait(timeout=60) == 0
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert "Warm shutdown" in log, log[-2000:]
        assert status() == "approved"
        assert applied(approved.id) == 1
        # a new worker finds nothing left over: the message was acknowledged, not redelivered
        second = _start(worker_command, environ, tmp_path / "worker2.log")
        wait_until(lambda: "ready." in (tmp_path / "worker2.log").read_text(errors="replace"), 30, "worker 2", tmp_path)
        broker = redis.Redis.from_url(own_redis.url)
        wait_until(lambda: broker.llen("notify") == 0 and broker.hlen("unacked") == 0, 20, "an empty queue", tmp_path)
        broker.close()
        assert applied(approved.id) == 1

        def confirmations() -> list[Any]:
            with smtp.recorder.lock:
                messages = list(smtp.recorder.messages)
            return [m for m in messages if any(p.get_content_type() == "text/calendar" for p in m.walk())]

        wait_until(confirmations, 30, "the approval mail", tmp_path)
        time.sleep(1.0)
        assert len(confirmations()) == 1
        print("\ncelery: SIGTERM with a task in flight; warm shutdown finished it, exit 0, applied once, one mail")
    finally:
        for process in (worker, relay, second):
            if process is not None:
                _stop(process)
        smtp.stop()
        own_redis.stop()
