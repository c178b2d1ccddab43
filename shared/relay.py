"""The outbox relay: publishes a service's unpublished outbox rows to each subscriber's durable queue.

Run as a long-lived process per producing service (``python -m shared.relay --service inventory``), or once
(``--once``). Several relays may run at once: each batch is claimed with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (on SQLite, ``BEGIN IMMEDIATE`` serialises them). A row is marked published in the same transaction
that claimed it, *after* the broker accepted every message: a crash between the two publishes it again, which
the consumers' idempotency absorbs (at least once, never zero times).

This module reads the ``outbox`` table through SQLAlchemy Core, so it needs no service's models.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from celery import Celery

from shared import clock
from shared.celery_app import make_celery
from shared.config import SERVICES, load_settings, process_settings
from shared.confirmations import Confirmations
from shared.db import Database, UTCDateTime
from shared.logging import configure_logging
from shared.routing import ROUTES, handler_task_name, queue_name, subscribers

SUBSCRIBERS = tuple(sorted(ROUTES))

log = logging.getLogger("uitleen.relay")

outbox = sa.Table(
    "outbox",
    sa.MetaData(),
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("type", sa.String(100)),
    sa.Column("version", sa.Integer),
    sa.Column("occurred_at", UTCDateTime()),
    sa.Column("producer", sa.String(40)),
    sa.Column("payload", sa.JSON),
    sa.Column("published_at", UTCDateTime()),
    sa.Column("attempts", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("correlation_id", sa.String(64)),
    sa.Column("secret", sa.Text),
)

Publisher = Callable[[str, dict[str, Any]], None]


RETRY_POLICY = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}


class CeleryPublisher:
    """Publishes an envelope as the subscriber's ``<service>.handle_event`` task on its own queue.

    With ``confirmations``, every (event, subscriber) pair is first noted as awaiting the consumer's
    confirmation. ``many`` publishes a whole batch over one producer (one broker connection, acquired once) after
    noting all its pairs in one Redis round trip; calling the publisher publishes one envelope the same way.
    """

    def __init__(self, app: Celery, confirmations: Confirmations | None = None) -> None:
        self.app, self.confirmations = app, confirmations

    def __call__(self, service: str, envelope: dict[str, Any]) -> None:
        self.many([(service, envelope)])

    def many(self, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Raises what the broker (or Redis, for the confirmations) raises; then nothing is marked published."""
        if not items:
            return
        if self.confirmations is not None:
            self.confirmations.expect_many([(e["producer"], service, e["id"]) for service, e in items])
        with self.app.producer_pool.acquire(block=True) as producer:
            for service, envelope in items:
                self.app.send_task(
                    handler_task_name(service),
                    args=[envelope],
                    queue=queue_name(service),
                    task_id=f"{envelope['id']}:{service}",
                    producer=producer,
                    retry=True,
                    retry_policy=RETRY_POLICY,
                )


def celery_publisher(app: Celery, confirmations: Confirmations | None = None) -> CeleryPublisher:
    return CeleryPublisher(app, confirmations)


def publish_all(publish: Publisher, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """A batch through the publisher's ``many`` when it has one (``CeleryPublisher``), else one by one."""
    many = getattr(publish, "many", None)
    if many is not None:
        many(items)
        return
    for service, envelope in items:
        publish(service, envelope)


def _envelope(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "type": row.type,
        "version": row.version,
        "occurred_at": row.occurred_at.isoformat(),
        "producer": row.producer,
        "correlation_id": row.correlation_id,
        "payload": row.payload,
        **({"secret": row.secret} if row.secret is not None else {}),
    }


def relay_once(database: Database, publish: Publisher, batch_size: int = 100) -> int:
    """Publish up to ``batch_size`` unpublished rows, oldest first; returns how many were published.

    Raises whatever the broker raises; the claimed rows then stay unpublished (the transaction rolls back).
    """
    query = (
        sa.select(outbox)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.occurred_at, outbox.c.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    with database.engine.begin() as connection:
        rows = connection.execute(query).all()
        publish_all(publish, [(service, _envelope(row)) for row in rows for service in subscribers(row.type)])
        if rows:
            connection.execute(
                outbox.update()
                .where(outbox.c.id.in_([row.id for row in rows]))
                # the secret has reached the broker: the outbox need not keep it (a republish goes without)
                .values(published_at=clock.now(), attempts=outbox.c.attempts + 1, secret=None)
            )
    return len(rows)


def republish_unconfirmed(
    database: Database,
    producer: str,
    publish: Publisher,
    confirmations: Confirmations,
    older_than_seconds: float,
) -> int:
    """Publish again every event a subscriber has not confirmed within ``older_than_seconds``; returns how many."""
    count = 0
    for subscriber in SUBSCRIBERS:
        if confirmations.queue_length(queue_name(subscriber)) > 0:
            # The consumer is down or behind: its unconfirmed events are most likely still queued. Only once it
            # has drained its queue is an event still unconfirmed after the delay really lost.
            continue
        event_ids = confirmations.overdue(producer, subscriber, older_than_seconds)
        if not event_ids:
            continue
        with database.engine.connect() as connection:
            rows = {
                str(row.id): row
                for row in connection.execute(
                    sa.select(outbox).where(outbox.c.id.in_([uuid.UUID(e) for e in event_ids]))
                ).all()
            }
        batch = []
        for event_id in event_ids:
            row = rows.get(event_id)
            if row is None:  # pruned from the outbox: nothing left to send
                confirmations.forget(producer, subscriber, event_id)
                continue
            batch.append((subscriber, _envelope(row)))
        publish_all(publish, batch)  # refreshes the entries' time
        count += len(batch)
    if count:
        log.warning("relay: published %d unconfirmed event(s) of %s again", count, producer)
    return count


def unpublished_count(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            ).scalar_one()
        )


def run_forever(services: list[str], poll_seconds: float, stop: Callable[[], bool]) -> None:
    """Relay every named service's outbox until ``stop()`` says so; broker or database errors are retried."""
    databases = {service: Database(load_settings(service).database_url) for service in services}
    settings = load_settings(services[0])
    app = make_celery("relay", settings)
    confirmations = Confirmations(settings.broker_url)
    publish = celery_publisher(app, confirmations)
    process = process_settings()
    republish_after = process.relay_republish_seconds
    next_sweep = time.monotonic() + min(republish_after, 30)
    backoff = poll_seconds
    heartbeat = process.relay_heartbeat_file
    while not stop():
        published = 0
        try:
            for database in databases.values():
                published += relay_once(database, publish)
            if confirmations.enabled and time.monotonic() >= next_sweep:
                for service, database in databases.items():
                    republish_unconfirmed(database, service, publish, confirmations, republish_after)
                next_sweep = time.monotonic() + min(republish_after, 30) / 2
            backoff = poll_seconds
            if heartbeat:
                # A container health check reads this file's age: a relay stuck for long is restarted.
                Path(heartbeat).touch()
        except Exception:  # the relay must outlive a broker or database restart
            log.exception("relay: publishing failed; retrying in %.1f s", backoff)
            backoff = min(max(backoff * 2, 0.5), 10.0)
            time.sleep(backoff)
            continue
        if published:
            log.info("relay: published %d event(s)", published)
        else:
            time.sleep(poll_seconds)
    for database in databases.values():
        database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Publish outbox rows to the consuming services' queues.")
    parser.add_argument("--service", action="append", choices=SERVICES, help="producing service (repeatable)")
    parser.add_argument("--once", action="store_true", help="publish what is waiting, then exit")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds to wait when nothing is waiting")
    args = parser.parse_args(argv)
    services: list[str] = args.service or list(SERVICES)
    settings = load_settings(services[0])
    configure_logging(settings.log_format, settings.log_level)
    if args.once:
        app = make_celery("relay", settings)
        publisher = celery_publisher(app, Confirmations(settings.broker_url))
        for service in services:
            database = Database(load_settings(service).database_url)
            while relay_once(database, publisher):
                pass
            database.dispose()
        return 0
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("relay: running for %s", ", ".join(services))
    run_forever(services, args.poll, lambda: stopping)
    return 0


if __name__ == "__main__":
    sys.exit(main())
