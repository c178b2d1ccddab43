"""The event side in-process: CPU per booking of the relay and of notify's consumer and dispatch, old ways
against new ways, interleaved, on real PostgreSQL, Redis and an SMTP server (aiosmtpd) in a thread.

``python -m bench.events [--bookings N] [--rounds R]`` (env ``BENCH_DB_PREFIX``, default ``uitleen_bench``:
databases ``<prefix>_events_<service>`` are dropped and recreated; ``BENCH_REDIS_URL``, default database 12,
which it empties). A booking is two events (``submitted``, ``approved``) and three mails (the receipt, the
centre's notice, the confirmation with its iCalendar part).

- relay: N bookings' outbox rows published to Redis with the confirmations, per envelope (one ``send_task`` and
  one ``ZADD`` each, the relay before issue 13) or as a batch (``CeleryPublisher.many``: one producer, one
  pipeline);
- notify: the same events applied as ``notify.handle_event`` applies them (``apply_event`` + the confirmation),
  then the mails sent: a full dispatch after every applied event over a connection per message (before), one
  dispatch tick for the burst over a connection per message (coalesced), one tick over one connection (now).

CPU is this thread's (``time.thread_time``: the SMTP server's thread is not in it) plus the PostgreSQL backends
of the bench databases (``/proc``). The Celery worker's own overhead per message (kombu, the pool) and Redis are
not in it: the topology bench (``bench.throughput``, measured until drained) has those.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import redis

from bench.lib import cpu_seconds, postgres_backends
from bench.topology import create_databases
from services.notify.config import NotifyConfig
from services.notify.domain.copies import event_handlers
from services.notify.domain.dispatch import dispatch_due
from services.notify.domain.mail import Message, SmtpSender
from services.notify.models import ProcessedEvent
from shared.celery_app import make_celery
from shared.config import load_settings
from shared.confirmations import Confirmations
from shared.consumer import apply_event
from shared.db import Database
from shared.events import Envelope
from shared.relay import celery_publisher, relay_once
from shared.routing import handler_task_name, queue_name
from tests.event_factories import booking_envelope, write_booking_events
from tests.support.smtp import SmtpServer


class PerMessage:
    """The SMTP sender as it was: no session, so a connection per message."""

    def __init__(self, sender: SmtpSender) -> None:
        self.sender = sender

    def send(self, message: Message) -> None:
        self.sender.send(message)


class Meter:
    def __init__(self, database_prefix: str) -> None:
        self.prefix = database_prefix

    def __enter__(self) -> Meter:
        self.backends = {pid: cpu_seconds(pid) for pid in postgres_backends(self.prefix)}
        self.thread = time.thread_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.python = time.thread_time() - self.thread
        self.postgres = sum(cpu_seconds(pid) - self.backends.get(pid, 0.0) for pid in postgres_backends(self.prefix))


def per_envelope_publisher(app: Any, confirmations: Confirmations) -> Callable[[str, dict[str, Any]], None]:
    """The relay's publisher before issue 13: one ZADD and one send_task (its own producer) per envelope."""

    def publish(service: str, envelope: dict[str, Any]) -> None:
        confirmations.expect(envelope["producer"], service, envelope["id"])
        app.send_task(
            handler_task_name(service),
            args=[envelope],
            queue=queue_name(service),
            task_id=f"{envelope['id']}:{service}",
            retry=True,
            retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2},
        )

    return publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.events", description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--parts", action="store_true", help="only notify's parts: statements and CPU to apply, then to dispatch"
    )
    parser.add_argument("--json", action="store_true", help="with --parts: one JSON line instead of the table")
    parser.add_argument(
        "--against",
        metavar="DIR",
        help="--parts in DIR (an export of another commit) and here, alternately, --rounds times each; medians",
    )
    args = parser.parse_args(argv)
    if args.against:
        return against(args.against, args.bookings, args.rounds)
    if args.parts:
        return parts(args.bookings, args.json)
    prefix = os.environ.get("BENCH_DB_PREFIX", "uitleen_bench") + "_events"
    broker_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    urls = create_databases(prefix)
    booking_db, notify_db = Database(urls["booking"]), Database(urls["notify"])
    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()
    settings = load_settings("booking", {"BROKER_URL": broker_url, "BOOKING_DATABASE_URL": urls["booking"]})
    app = make_celery("relay", settings)
    confirmations = Confirmations(broker_url)
    smtp = SmtpServer()
    smtp.start()
    config = NotifyConfig(mail_backend="smtp", smtp_port=smtp.port, smtp_timeout=10)
    sender = SmtpSender(config)
    handlers = event_handlers(config)
    counter = iter(range(1, 10**9))
    results: dict[str, list[tuple[float, float]]] = {}

    def events(n: int) -> list[Envelope]:
        made = []
        for _ in range(n):
            request_id = next(counter)
            email = f"bench-{request_id}@example.org"
            made += [
                booking_envelope("submitted", request_id=request_id, email=email),
                booking_envelope("approved", request_id=request_id, email=email),
            ]
        return made

    def record(label: str, meter: Meter) -> None:
        results.setdefault(label, []).append((meter.python, meter.postgres))

    def relay_variant(label: str, publish: Any) -> None:
        with booking_db.transaction() as session:
            write_booking_events(session, events(args.bookings))
        with Meter(prefix) as meter:
            while relay_once(booking_db, publish):
                pass
        record(label, meter)
        broker.flushdb()

    def notify_variant(label: str, inline: bool, transport: Any) -> None:
        batch = events(args.bookings)
        received = len(smtp.recorder.messages)
        peers = len(set(smtp.recorder.peers))
        with Meter(prefix) as meter:
            for envelope in batch:
                outcome = apply_event(notify_db, ProcessedEvent, envelope, handlers)
                confirmations.confirm("booking", "notify", str(envelope.id))
                if inline and outcome == "applied":
                    dispatch_due(notify_db, transport, config)
            if not inline:
                dispatch_due(notify_db, transport, config)
        record(label, meter)
        arrived = len(smtp.recorder.messages) - received
        if arrived != 3 * args.bookings:
            raise AssertionError(f"{label}: {arrived} mails arrived, expected {3 * args.bookings}")
        connections[label] = len(set(smtp.recorder.peers)) - peers

    connections: dict[str, int] = {}
    relay_variants: list[tuple[str, Any]] = [
        ("relay: per envelope (before)", per_envelope_publisher(app, confirmations)),
        ("relay: batch, one producer, one pipeline (now)", celery_publisher(app, confirmations)),
    ]
    notify_variants = [
        ("notify: dispatch after every event, connection per mail (before)", True, PerMessage(sender)),
        ("notify: one coalesced tick, connection per mail", False, PerMessage(sender)),
        ("notify: one coalesced tick, one connection (now)", False, sender),
    ]
    try:
        # warm up: imports, connection pools, templates
        relay_variant("warm-up", relay_variants[1][1])
        notify_variant("warm-up", False, sender)
        for _ in range(args.rounds):
            for label, publish in relay_variants:
                relay_variant(label, publish)
            for label, inline, transport in notify_variants:
                notify_variant(label, inline, transport)
    finally:
        smtp.stop()
    results.pop("warm-up")
    print(f"\n{args.bookings} bookings (2 events, 3 mails each) per measurement, {args.rounds} rounds interleaved;")
    print("median over the rounds, CPU ms per booking:\n")
    print("| variant | Python (this thread) | PostgreSQL backends | total | SMTP connections |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, values in results.items():
        python = statistics.median(v[0] for v in values) / args.bookings * 1000
        postgres = statistics.median(v[1] for v in values) / args.bookings * 1000
        print(f"| {label} | {python:.2f} | {postgres:.2f} | {python + postgres:.2f} | {connections.get(label, '')} |")
    booking_db.dispose()
    notify_db.dispose()
    return 0


def parts(bookings: int, as_json: bool = False) -> int:
    """Statements and CPU per booking of notify applying its events, then of one dispatch tick sending the mails
    (this thread's CPU, and the PostgreSQL backend's).

    Uses only what every version of notify has (``apply_event``, ``dispatch_due``, ``SmtpSender``), so the same
    function measures an export of an older commit too (``--against`` copies this file there)."""
    import json

    import sqlalchemy as sa

    prefix = os.environ.get("BENCH_DB_PREFIX", "uitleen_bench") + "_parts"
    urls = create_databases(prefix)
    database = Database(urls["notify"])
    smtp = SmtpServer()
    smtp.start()
    config = NotifyConfig(mail_backend="smtp", smtp_port=smtp.port, smtp_timeout=10)
    sender, handlers = SmtpSender(config), event_handlers(config)
    statements: list[str] = []
    sa.event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def events(first: int, count: int) -> list[Envelope]:
        made = []
        for request_id in range(first, first + count):
            email = f"parts-{request_id}@example.org"
            made += [
                booking_envelope("submitted", request_id=request_id, email=email),
                booking_envelope("approved", request_id=request_id, email=email),
            ]
        return made

    try:
        for envelope in events(1, 3):  # warm up
            apply_event(database, ProcessedEvent, envelope, handlers)
        dispatch_due(database, sender, config)
        batch = events(100, bookings)
        received = len(smtp.recorder.messages)
        statements.clear()
        with Meter(prefix) as applied:
            for envelope in batch:
                apply_event(database, ProcessedEvent, envelope, handlers)
        apply_statements = len(statements)
        statements.clear()
        with Meter(prefix) as dispatched:
            dispatch_due(database, sender, config)
        dispatch_statements = len(statements)
        if len(smtp.recorder.messages) - received != 3 * bookings:
            raise AssertionError(f"{len(smtp.recorder.messages) - received} mails arrived, expected {3 * bookings}")
    finally:
        smtp.stop()
        database.dispose()
    result = {
        "apply_statements": apply_statements / bookings,
        "apply_ms": applied.python / bookings * 1000,
        "apply_pg_ms": applied.postgres / bookings * 1000,
        "dispatch_statements": dispatch_statements / bookings,
        "dispatch_ms": dispatched.python / bookings * 1000,
        "dispatch_pg_ms": dispatched.postgres / bookings * 1000,
    }
    if as_json:
        print(json.dumps(result))
        return 0
    print(f"\n{bookings} bookings (2 events, 3 mails each), per booking:\n")
    print("| part | statements | CPU ms (this thread) | PostgreSQL CPU ms |\n| --- | ---: | ---: | ---: |")
    for label, key in (("apply the two events", "apply"), ("one tick sends the three mails", "dispatch")):
        cells = (result[f"{key}_statements"], result[f"{key}_ms"], result[f"{key}_pg_ms"])
        print(f"| {label} | " + " | ".join(f"{cell:.1f}" for cell in cells) + " |")
    return 0


def against(other: str, bookings: int, rounds: int) -> int:
    """``--parts`` of another tree (e.g. ``git archive <commit> | tar -x -C /tmp/before``) and of this one, in
    alternating subprocesses (before, now, before, now …), then the medians side by side. This file is copied
    into the other tree first, so both run the same measurement."""
    import json
    import shutil
    import subprocess
    from pathlib import Path

    here = Path(__file__).resolve().parent.parent
    shutil.copy(Path(__file__), Path(other) / "bench" / "events.py")
    runs: dict[str, list[dict[str, float]]] = {"before": [], "now": []}
    for _ in range(rounds):
        for label, tree in (("before", Path(other)), ("now", here)):
            done = subprocess.run(
                [sys.executable, "-m", "bench.events", "--parts", "--json", "--bookings", str(bookings)],
                cwd=tree,
                env={**os.environ, "PYTHONPATH": str(tree)},
                capture_output=True,
                text=True,
                check=True,
            )
            runs[label].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"\n{bookings} bookings (2 events, 3 mails each) per run, {rounds} runs each, interleaved; medians:\n")
    print("| part, per booking | before: statements | before: CPU ms | now: statements | now: CPU ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, key in (("apply the two events", "apply"), ("one tick sends the three mails", "dispatch")):
        cells = []
        for variant in ("before", "now"):
            values = runs[variant]
            python = statistics.median(v[key + "_ms"] for v in values)
            postgres = statistics.median(v[key + "_pg_ms"] for v in values)
            statements = statistics.median(v[key + "_statements"] for v in values)
            cells += [f"{statements:.1f}", f"{python:.1f} + {postgres:.1f} PG"]
        print(f"| {label} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
