"""What every benchmark needs: the running topology, a staff session, its own location and assets, results."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench.lib import Client, table
from bench.topology import Topology
from services.inventory.demo import DEMO_PASSWORD, STAFF
from tests.support.smtp import SmtpServer

SIZES = ("smoke", "full")


@dataclass
class Result:
    """One benchmark's table, plus the raw figures a test or the docs can check."""

    name: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        text = table(self.title, self.header, self.rows)
        return text + "".join(f"\n{note}" for note in self.notes)


@dataclass
class Context:
    topology: Topology
    smtp: SmtpServer
    size: str
    prefix: str = "uitleen_bench"  # the run's database prefix (benchmarks with databases of their own add to it)
    cookie: str = ""
    results: list[Result] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.size == "full"

    def client(self) -> Client:
        return Client(self.topology.gateway)

    def staff(self) -> dict[str, str]:
        # a write with the session cookie needs X-Requested-With, as the suite's own pages send (shared/guard.py)
        return {"Cookie": self.cookie, "X-Requested-With": "XMLHttpRequest"}

    def conninfo(self, service: str) -> str:
        return self.topology.database_urls[service].replace("postgresql+psycopg://", "postgresql://")

    @contextmanager
    def connect(self, service: str, autocommit: bool = False) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(self.conninfo(service), autocommit=autocommit) as connection:
            yield connection

    def login(self) -> None:
        client = self.client()
        status, body, headers = client.request(
            "POST", "/inventory/auth/login", {"email": STAFF[0]["email"], "password": DEMO_PASSWORD}
        )
        client.close()
        if status != 200:
            raise RuntimeError(f"staff login failed: {status} {body!r}")
        self.cookie = headers["Set-Cookie"].split(";")[0]

    def create_location(self, code: str) -> int:
        """A pick-up point without opening hours (by appointment), so any slot is a valid one."""
        client = self.client()
        status, body, _ = client.request(
            "POST",
            "/inventory/locations",
            {"code": code, "name": f"Bench {code}", "street": "Benchstraat 1", "postal_code": "9000"},
            headers=self.staff(),
        )
        client.close()
        if status != 201:
            raise RuntimeError(f"could not create location {code}: {status} {body!r}")
        return int(body["id"])

    def create_assets(self, location_id: int, code: str, count: int, quantity: int = 1) -> list[int]:
        """Single-unit (by default) assets without lead time or buffers, created through inventory's API;
        returns once booking's copy (fed by the events: relay → Redis → booking worker) holds all of them."""
        client = self.client()
        ids = []
        for number in range(count):
            status, body, _ = client.request(
                "POST",
                "/inventory/assets",
                {
                    "code": f"{code}-{number}",
                    "name_nl": f"Bench {code} {number}",
                    "name_en": f"Bench {code} {number}",
                    "category": "tool",
                    "location_id": location_id,
                    "quantity": quantity,
                },
                headers=self.staff(),
            )
            if status != 201:
                raise RuntimeError(f"could not create asset {code}-{number}: {status} {body!r}")
            ids.append(int(body["id"]))
        client.close()
        self.wait_booking_knows(ids)
        return ids

    def wait_for_quiet_mail(self, quiet: float = 3.0, seconds: float = 600) -> float:
        """Wait until the SMTP server received nothing for ``quiet`` seconds; returns how long that took."""
        started = time.monotonic()
        seen, since = len(self.smtp.recorder.messages), time.monotonic()
        while time.monotonic() - since < quiet and time.monotonic() - started < seconds:
            time.sleep(0.2)
            now = len(self.smtp.recorder.messages)
            if now != seen:
                seen, since = now, time.monotonic()
        return time.monotonic() - started

    def wait_drained(self, seconds: float = 600) -> float:
        """Wait until the event side has done everything the bookings so far asked of it; returns the wait.

        Drained: no unpublished outbox row (booking, inventory), no message waiting in or taken from the booking
        and notify queues (kombu's ``unacked``), every booking event the relay published recorded by notify
        (applied, duplicate or dead-lettered), no notification due and unsent, and the bench's SMTP server (which
        has received every mail of the run) holding at least as many mails as notify marked sent (a row is marked
        sent after its mail arrived, so counts taken at the start could differ by the mails in flight). Cheap
        checks first, every 0.2 s: the bench's own polling is measured too (its process and PostgreSQL backends).
        """
        import redis

        started = time.monotonic()
        broker = redis.Redis.from_url(self.topology.environ["BROKER_URL"])
        with (
            self.connect("booking", autocommit=True) as booking,
            self.connect("inventory", autocommit=True) as inventory,
            self.connect("notify", autocommit=True) as notify,
        ):

            def count(connection: psycopg.Connection[Any], sql: str, *params: Any) -> int:
                row = connection.execute(sql, params or None).fetchone()
                return int(row[0]) if row else 0

            def state() -> str | None:
                for name, connection in (("booking", booking), ("inventory", inventory)):
                    if count(connection, "SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                        return f"{name} outbox unpublished"
                queued = sum(int(broker.llen(q)) for q in ("booking", "notify")) + int(broker.hlen("unacked"))  # type: ignore[arg-type]
                if queued:
                    return f"{queued} message(s) queued or unacked"
                # the relay's rows (the limit's are written published with attempts 0: they are never sent)
                ids = [r[0] for r in booking.execute("SELECT id FROM outbox WHERE attempts > 0").fetchall()]
                recorded = count(
                    notify,
                    "SELECT (SELECT count(*) FROM processed_events WHERE event_id = ANY(%s))"
                    " + (SELECT count(DISTINCT event_id) FROM dead_letters WHERE event_id = ANY(%s))",
                    ids,
                    ids,
                )
                if recorded < len(ids):
                    return f"{len(ids) - recorded} event(s) not applied by notify"
                due = count(
                    notify,
                    "SELECT count(*) FROM scheduled_notifications"
                    " WHERE status IN ('scheduled', 'sending') AND not_before <= now()",
                )
                if due:
                    return f"{due} notification(s) due"
                sent = count(notify, "SELECT count(*) FROM scheduled_notifications WHERE status = 'sent'")
                if len(self.smtp.recorder.messages) < sent:
                    return "mail sent but not yet received"
                return None

            while (waiting := state()) is not None:
                if time.monotonic() - started > seconds:
                    raise TimeoutError(f"the event side did not drain in {seconds} s: {waiting}")
                time.sleep(0.2)
        broker.close()
        return time.monotonic() - started

    def wait_booking_knows(self, asset_ids: list[int], seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        with self.connect("booking", autocommit=True) as connection:
            while True:
                row = connection.execute("SELECT count(*) FROM inv_assets WHERE id = ANY(%s)", (asset_ids,)).fetchone()
                if row is not None and row[0] == len(asset_ids):
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError("booking's copy of the inventory did not receive the bench assets")
                time.sleep(0.2)


def base_time(days_ahead: int = 2) -> datetime:
    """A whole UTC hour a few days ahead: every bench slot lies in the future."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(days=days_ahead)


def request_body(asset_id: int, pickup: datetime, hours: int = 1, email: str | None = None) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    return {
        "initiative": "Benchmarkcollectief",
        "contact": {"name": "Bench Tester", "email": email or f"bench-{tag}@example.org", "language": "nl"},
        "purpose": "benchmark",
        "pickup_at": pickup.isoformat(),
        "return_at": (pickup + timedelta(hours=hours)).isoformat(),
        "items": [{"asset_id": asset_id, "quantity": 1}],
    }


def create_and_approve(client: Client, body: dict[str, Any], staff: dict[str, str]) -> tuple[int, int, Any]:
    """POST the request (as the public does), then approve it (as staff): (create status, approve status, body)."""
    status, created, _ = client.request("POST", "/booking/requests", body)
    if status != 201:
        return status, 0, created
    approve_status, approved, _ = client.request(
        "POST", f"/booking/requests/{created['request_id']}/approve", {}, headers=staff
    )
    return status, approve_status, approved
