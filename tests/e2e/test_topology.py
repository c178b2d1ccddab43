"""The production topology for real: deploy/Procfile under honcho (gunicorn per service, a worker per queue,
one beat, the relay, nginx as gateway) on the local PostgreSQL and Redis, with a real SMTP server.

A request made and approved through the gateway reaches the requester's inbox; the booking service's copy of
the inventory was fed by events alone; the logs of the whole run hold no secret and no personal data.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bench.topology import SECRET_KEY, running_topology
from services.booking.domain.holidays import holiday_on
from services.inventory.demo import DEMO_PASSWORD, STAFF
from shared.clock import BRUSSELS
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.e2e
REQUESTER_EMAIL = "an.peeters@example.org"
REQUESTER_PHONE = "0470 12 34 56"


def call(method: str, path: str, body: object = None, headers: dict[str, str] | None = None) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", 8100, timeout=30)
    connection.request(
        method,
        path,
        body=json.dumps(body) if body is not None else None,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    data = json.loads(raw) if raw and "json" in (response.getheader("Content-Type") or "") else {}
    return response.status, data, dict(response.getheaders())


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def next_weekday_morning(days_ahead: int = 3) -> datetime:
    day = datetime.now(BRUSSELS).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5 or holiday_on(day) is not None:  # the centres close at weekends and on holidays
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, 30)


def test_a_request_flows_through_the_production_topology(tmp_path: Path, redis_client):
    smtp = SmtpServer()
    smtp.start()
    try:
        with running_topology(
            "uitleen_topo",
            "redis://127.0.0.1:6379/11",
            tmp_path,
            NOTIFY_MAIL_BACKEND="smtp",
            NOTIFY_SMTP_HOST="127.0.0.1",
            NOTIFY_SMTP_PORT=str(smtp.port),
            NOTIFY_DISPATCH_SECONDS="2",
        ) as topology:
            secrets = run_the_request(topology, smtp)
            logs = topology.logs()
    finally:
        smtp.stop()
    # Secrets and personal data never reach the logs (a grep over every process's output of the whole run):
    # the signing key, the staff password and session, the requester's private link, name, e-mail and phone.
    for needle in (SECRET_KEY, DEMO_PASSWORD, REQUESTER_EMAIL, REQUESTER_PHONE, "Peeters", *secrets):
        assert needle not in logs, f"{needle!r} appears in the logs"
    assert "/status/<redacted>" in logs  # the link was used, and logged without its token
    assert '"event": "request"' in logs or "request" in logs


def run_the_request(topology, smtp: SmtpServer) -> list[str]:
    """Returns the secrets the run handled: the private link's token and the staff session cookie."""
    status, assets, _ = call("GET", "/inventory/assets?category=sewing_machine&page_size=50")
    assert status == 200
    machine = next(a for a in assets if a["code"] == "naaimachines-nieuw-gent")
    pickup = next_weekday_morning()
    body = {
        "initiative": "Naaicafé Rabot",
        "contact": {"name": "An Peeters", "email": REQUESTER_EMAIL, "phone": REQUESTER_PHONE, "language": "nl"},
        "purpose": "herstelcafé",
        "pickup_at": pickup.isoformat(),
        "return_at": (pickup + timedelta(hours=2, minutes=15)).isoformat(),
        "items": [{"asset_id": machine["id"], "quantity": 2}],
    }

    # Booking learns of the asset only through inventory's events: relay → Redis → booking worker.
    def submitted():
        status, data, _ = call("POST", "/booking/requests", body)
        return data if status == 201 else None

    created = wait_for(submitted, 60, "booking's copy of the inventory to receive the demo assets")
    status, me, headers = call("POST", "/inventory/auth/login", {"email": STAFF[0]["email"], "password": DEMO_PASSWORD})
    assert status == 200, me
    # a write with the session cookie carries X-Requested-With, as the suite's own pages do (shared/guard.py)
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0], "X-Requested-With": "XMLHttpRequest"}
    status, approved, _ = call("POST", f"/booking/requests/{created['request_id']}/approve", {}, headers=cookie)
    assert status == 200, approved
    assert approved["status"] == "approved"
    # The requester opens the private link, through the API and as a page.
    token = created["status_url"].rsplit("/", 1)[1]
    status, seen, _ = call("GET", f"/booking/status/{token}")
    assert status == 200 and seen["status"] == "approved", seen
    status, _, _ = call("GET", f"/status/{token}")
    assert status == 200

    def inbox() -> list:
        return [m for m in smtp.recorder.messages if REQUESTER_EMAIL in str(m["To"])]

    mails = wait_for(lambda: len(inbox()) >= 2 and inbox(), 60, "the requester's two e-mails")
    bodies = "\n".join(m.get_body(preferencelist=("plain",)).get_content() for m in mails)
    assert "Buurtcentrum Nieuw Gent" in bodies
    assert any(part.get_content_type() == "text/calendar" for m in mails for part in m.walk())
    # metrics are for the inside: not through the gateway, but where Prometheus scrapes (booking's own port)
    status, _, _ = call("GET", "/booking/metrics")
    assert status == 404
    with urllib.request.urlopen("http://127.0.0.1:8102/booking/metrics", timeout=10) as scraped:
        assert scraped.status == 200 and b"uitleen_outbox_backlog" in scraped.read()
    return [token, cookie["Cookie"].split("=", 1)[1]]
