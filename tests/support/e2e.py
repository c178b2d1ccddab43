"""The end-to-end stack as a fixture: own Redis, SMTP server, notify web/worker/beat, the booking relay."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.notify.models import ProcessedEvent, ScheduledNotification
from shared.db import Database
from shared.events import Envelope
from tests.conftest import test_environ
from tests.event_factories import write_booking_events
from tests.support.processes import OwnRedis, Processes, wait_until
from tests.support.smtp import SmtpServer


@dataclass
class Stack:
    workdir: Path
    redis: OwnRedis
    smtp: SmtpServer
    processes: Processes
    booking_db: Database
    notify_db: Database
    clock_file: Path

    def write(self, envelopes: list[Envelope]) -> None:
        with self.booking_db.transaction() as session:
            write_booking_events(session, envelopes)

    def set_clock(self, instant: datetime) -> None:
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(instant.isoformat())
        tmp.replace(self.clock_file)  # atomically: a process never reads half an instant

    def processed(self) -> int:
        with self.notify_db.session_factory() as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(ProcessedEvent)) or 0)

    def notifications(self, **where: object) -> list[ScheduledNotification]:
        with self.notify_db.session_factory() as session:
            query = sa.select(ScheduledNotification).order_by(ScheduledNotification.id)
            for name, value in where.items():
                query = query.where(getattr(ScheduledNotification, name) == value)
            return list(session.scalars(query))

    def broker_state(self) -> dict[str, object]:
        """What Redis holds: the queue, the unacked messages and their ages, the restore mutex."""
        import time

        import redis

        client = redis.Redis(port=self.redis.port)
        try:
            index = client.zrange("unacked_index", 0, -1, withscores=True)
            return {
                "notify": client.llen("notify"),
                "unacked": client.hlen("unacked"),
                "unacked_ages": [round(time.time() - score, 1) for _, score in index],
                "mutex_ttl": client.ttl("unacked_mutex"),
                "keys": sorted(k.decode() for k in client.keys("*"))[:20],
            }
        finally:
            client.close()

    def wait(self, predicate: object, timeout: float, what: str) -> None:
        wait_until(predicate, timeout, what, self.workdir)  # type: ignore[arg-type]


@pytest.fixture
def stack(databases: dict[str, Database], tmp_path: Path) -> Iterator[Stack]:
    own_redis = OwnRedis(tmp_path)
    own_redis.start()
    smtp = SmtpServer()
    smtp.start()
    clock_file = tmp_path / "clock"
    environ = test_environ(tmp_path)
    environ.update(
        {
            "BROKER_URL": own_redis.url,
            "LOG_LEVEL": "INFO",
            "UITLEEN_CLOCK_FILE": str(clock_file),
            # Short enough that a lost task message comes back within the test's deadline.
            "BROKER_VISIBILITY_TIMEOUT": "10",
            "BROKER_UNACKED_RESTORE_SECONDS": "1",
            "RELAY_REPUBLISH_SECONDS": "5",
            "NOTIFY_MAIL_BACKEND": "smtp",
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(smtp.port),
            "NOTIFY_SMTP_TIMEOUT": "5",
            "NOTIFY_DISPATCH_SECONDS": "1",
            "NOTIFY_SEND_LEASE_SECONDS": "4",
            "NOTIFY_RETRY_BASE_SECONDS": "1",
            "NOTIFY_RETRY_MAX_SECONDS": "2",
            "NOTIFY_MAX_SEND_ATTEMPTS": "100",
            "NOTIFY_EVENT_RETRY_SECONDS": "1",
        }
    )
    processes = Processes(tmp_path, environ)
    stack = Stack(tmp_path, own_redis, smtp, processes, databases["booking"], databases["notify"], clock_file)
    try:
        for name in ("web", "worker", "beat", "relay"):
            processes.start(name)
        processes.supervise()
        yield stack
    finally:
        processes.stop_all()
        smtp.stop()
        own_redis.stop()
