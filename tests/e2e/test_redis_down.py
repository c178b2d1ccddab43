"""Redis down: requests are still accepted (their events wait in booking's outbox, the rate limits fail open),
and once Redis is back every event reaches notify, applied once.

(tests/e2e/test_events_faults.py restarts Redis under a stream of outbox events; this one stops it for longer
and submits through booking's real app, as a requester does.)
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from services.booking.app import create_app
from services.booking.models import OutboxEvent
from services.notify.models import Booking, ProcessedEvent
from shared.config import load_settings
from shared.relay import unpublished_count
from tests import conftest
from tests.booking_fixtures import InventoryFeed, at, request_body
from tests.support.e2e import Stack, stack  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]
REQUESTS = 20


def test_requests_are_accepted_while_redis_is_down_and_reach_notify_when_it_returns(stack: Stack, databases):  # noqa: F811
    feed = InventoryFeed(databases["inventory"], databases["booking"])
    asset = feed.asset(feed.location(), quantity=100)
    # booking's app as production runs it: Redis for the broker and for the rate limits' counters
    environ = {**conftest.test_environ(), "BROKER_URL": stack.redis.url, "RATELIMIT_STORAGE_URL": stack.redis.url}
    app = create_app(load_settings("booking", environ), databases["booking"])
    client = app.test_client()
    stack.redis.shutdown()
    down = time.monotonic()
    created = [
        client.post("/requests", json=request_body(asset, at(1 + i, 10), at(1 + i, 15))) for i in range(REQUESTS)
    ]
    assert [r.status_code for r in created] == [201] * REQUESTS, [r.json for r in created if r.status_code != 201]
    assert client.get("/readyz").status_code == 503  # and the probe says why
    time.sleep(2.0)  # the relay keeps trying meanwhile
    assert unpublished_count(databases["booking"]) >= REQUESTS
    stack.redis.start()
    back = time.monotonic()
    with databases["booking"].session_factory() as session:
        ids = set(session.scalars(sa.select(OutboxEvent.id).where(OutboxEvent.type == "booking.request.submitted")))
    assert len(ids) == REQUESTS

    def delivered() -> bool:
        with databases["notify"].session_factory() as session:
            return set(session.scalars(sa.select(ProcessedEvent.event_id))) >= ids

    stack.wait(delivered, 90, "every submitted event at notify after Redis returned")
    after = time.monotonic() - back
    print(f"\nRedis down {back - down:.1f} s, {REQUESTS} requests accepted; all at notify {after:.1f} s after")
    with databases["notify"].session_factory() as session:
        copies = session.scalar(sa.select(sa.func.count()).select_from(Booking))
    assert copies == REQUESTS  # applied once: one copy per request
    assert unpublished_count(databases["booking"]) == 0
