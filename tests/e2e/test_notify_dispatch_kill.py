"""A worker killed mid-batch strands only what it was sending: the rest of the batch goes out at once after the
restart, not after the send lease. Real processes (notify's worker, beat and web, the booking relay, our own
Redis and SMTP server on free ports) and kill -9, as in tests/e2e/test_events_faults.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.db import Database
from tests import conftest
from tests.event_factories import booking_envelope
from tests.support.e2e import Stack
from tests.support.processes import OwnRedis, Processes
from tests.support.smtp import SmtpServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]
LEASE = 120  # far longer than the test waits after the restart: a row stranded with its lease stays stranded
MAILS = 8
T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
WORKER_THREADS = 4  # tests/support/processes.py: --pool threads --concurrency 4, one row in hand each


@pytest.fixture
def long_lease_stack(databases: dict[str, Database], tmp_path: Path) -> Iterator[Stack]:
    own_redis = OwnRedis(tmp_path)
    own_redis.start()
    smtp = SmtpServer()
    smtp.start()
    environ = conftest.test_environ(tmp_path)
    environ.update(
        {
            "BROKER_URL": own_redis.url,
            "LOG_LEVEL": "INFO",
            "UITLEEN_CLOCK_FILE": str(tmp_path / "clock"),
            "BROKER_VISIBILITY_TIMEOUT": "10",
            "BROKER_UNACKED_RESTORE_SECONDS": "1",
            "NOTIFY_MAIL_BACKEND": "smtp",
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(smtp.port),
            "NOTIFY_SMTP_TIMEOUT": "20",
            "NOTIFY_DISPATCH_SECONDS": "1",
            "NOTIFY_SEND_LEASE_SECONDS": str(LEASE),
            "NOTIFY_EVENT_RETRY_SECONDS": "1",
        }
    )
    processes = Processes(tmp_path, environ)
    stack = Stack(tmp_path, own_redis, smtp, processes, databases["booking"], databases["notify"], tmp_path / "clock")
    try:
        for name in ("web", "worker", "beat", "relay"):
            processes.start(name)
        yield stack
    finally:
        processes.stop_all()
        smtp.stop()
        own_redis.stop()


def test_a_worker_killed_mid_batch_delays_only_the_rows_it_was_sending(long_lease_stack: Stack) -> None:
    stack = long_lease_stack
    recorder = stack.smtp.recorder
    begun: list[str] = []
    lock = threading.Lock()
    first = threading.Event()

    def on_data(message: object) -> None:
        with lock:
            begun.append(str(message["To"]))  # type: ignore[index]
        first.set()

    recorder.on_data = on_data
    recorder.delay_seconds = 15  # a slow server: the worker is mid-send when it is killed, the rest waits
    # the messages are planned first and fall due together, as reminders do at the reminder hour
    stack.set_clock(T0)
    stack.write(
        [
            booking_envelope("rejected", occurred_at=T0 + timedelta(minutes=1), request_id=i, email=f"r{i}@example.org")
            for i in range(1, MAILS + 1)
        ]
    )
    stack.wait(lambda: len(stack.notifications(kind="rejected")) == MAILS, 30, "every event applied")
    assert not begun, "nothing is due yet"
    stack.set_clock(T0 + timedelta(minutes=2))  # all due at once: the beat's dispatch takes them
    assert first.wait(30), "the worker never started sending"
    time.sleep(0.5)
    stack.processes.kill("worker")  # kill -9
    with lock:
        in_flight = len(begun) - len(recorder.messages)
    recorder.delay_seconds = 0
    recorder.on_data = None
    restarted = time.monotonic()
    stack.processes.start("worker")

    def settled() -> bool:
        rows = stack.notifications(kind="rejected")
        stranded = sum(r.status == "sending" for r in rows)
        return stranded <= WORKER_THREADS and sum(r.status == "sent" for r in rows) == MAILS - stranded

    # under a batch claim (before), the killed worker's whole batch waited out the 120 s lease: this timed out
    stack.wait(settled, 30, "every row the killed worker was not sending to go out")
    took = time.monotonic() - restarted
    stranded = [r for r in stack.notifications(kind="rejected") if r.status == "sending"]
    print(f"\nkill -9 mid-batch: {in_flight} in flight, {len(stranded)} stranded, the rest out {took:.1f} s after kill")
    assert took < LEASE / 4
    assert in_flight <= len(stranded) <= WORKER_THREADS, "only what the worker's threads were sending waits"
