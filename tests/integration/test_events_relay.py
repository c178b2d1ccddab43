"""The outbox relay on real PostgreSQL (and Redis): order, exactly-one claim per row, durable queues."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import redis
from celery import Celery

from shared.confirmations import Confirmations
from shared.db import Database
from shared.relay import celery_publisher, relay_once, republish_unconfirmed, unpublished_count
from tests.conftest import REDIS_URL
from tests.event_factories import booking_envelope, write_booking_events

pytestmark = [pytest.mark.postgres]


def test_relay_publishes_in_order_then_marks_published(booking_db: Database) -> None:
    envelopes = [booking_envelope("submitted", request_id=i) for i in range(1, 6)]
    with booking_db.transaction() as session:
        write_booking_events(session, envelopes)
    published: list[tuple[str, dict[str, Any]]] = []
    assert relay_once(booking_db, lambda s, e: published.append((s, e)), batch_size=3) == 3
    assert relay_once(booking_db, lambda s, e: published.append((s, e)), batch_size=3) == 2
    assert relay_once(booking_db, lambda s, e: published.append((s, e))) == 0
    assert [e["id"] for _, e in published] == [str(e.id) for e in envelopes]
    assert {s for s, _ in published} == {"notify"}
    assert unpublished_count(booking_db) == 0


def test_a_broker_failure_leaves_the_rows_for_the_next_try(booking_db: Database) -> None:
    with booking_db.transaction() as session:
        write_booking_events(session, [booking_envelope("submitted")])

    def broken(_service: str, _envelope: dict[str, Any]) -> None:
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        relay_once(booking_db, broken)
    assert unpublished_count(booking_db) == 1


def test_several_relays_never_publish_a_row_twice(booking_db: Database) -> None:
    with booking_db.transaction() as session:
        write_booking_events(session, [booking_envelope("submitted", request_id=i) for i in range(300)])
    seen: list[str] = []
    lock = threading.Lock()

    def publish(_service: str, envelope: dict[str, Any]) -> None:
        with lock:
            seen.append(envelope["id"])

    def relay() -> None:
        while relay_once(booking_db, publish, batch_size=7):
            pass

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(seen) == 300 and len(set(seen)) == 300
    assert unpublished_count(booking_db) == 0


@pytest.mark.redis
def test_events_wait_in_the_durable_queue_of_a_consumer_that_is_not_running(
    booking_db: Database,
    redis_client: redis.Redis,
) -> None:
    redis_client.delete("notify")
    app = Celery("relay-test", broker=REDIS_URL)
    app.conf.task_serializer = "json"
    with booking_db.transaction() as session:
        write_booking_events(session, [booking_envelope("approved", request_id=9)])
    assert relay_once(booking_db, celery_publisher(app)) == 1
    raw = redis_client.lpop("notify")
    assert raw is not None
    message = json.loads(raw)
    assert message["headers"]["task"] == "notify.handle_event"
    redis_client.delete("notify")


@pytest.mark.redis
def test_an_event_lost_between_broker_and_consumer_is_published_again_until_confirmed(
    booking_db: Database,
    redis_client: redis.Redis,
) -> None:
    confirmations = Confirmations(REDIS_URL)
    assert confirmations.client is not None
    confirmations.client.delete("uitleen:unconfirmed:booking:notify")
    published: list[dict[str, Any]] = []

    def publish(service: str, envelope: dict[str, Any]) -> None:
        confirmations.expect(envelope["producer"], service, envelope["id"])
        published.append(envelope)

    envelope = booking_envelope("approved")
    with booking_db.transaction() as session:
        write_booking_events(session, [envelope])
    relay_once(booking_db, publish)
    assert confirmations.pending("booking", "notify") == 1
    # The message vanished (say, in a Redis restart): nobody confirms. The sweep publishes it again.
    assert republish_unconfirmed(booking_db, "booking", publish, confirmations, older_than_seconds=0) == 1
    assert [e["id"] for e in published] == [str(envelope.id)] * 2
    confirmations.confirm("booking", "notify", str(envelope.id))  # the consumer applied it
    assert republish_unconfirmed(booking_db, "booking", publish, confirmations, older_than_seconds=0) == 0
    assert confirmations.pending("booking", "notify") == 0


@pytest.mark.redis
def test_a_batch_is_published_over_one_producer_with_its_confirmations_noted_in_one_round_trip(
    booking_db: Database,
    redis_client: redis.Redis,
) -> None:
    redis_client.delete("notify", "uitleen:unconfirmed:booking:notify")
    app = Celery("relay-test", broker=REDIS_URL)
    app.conf.task_serializer = "json"
    confirmations = Confirmations(REDIS_URL)
    envelopes = [booking_envelope("approved", request_id=i) for i in range(1, 8)]
    with booking_db.transaction() as session:
        write_booking_events(session, envelopes)
    publisher = celery_publisher(app, confirmations)
    acquired: list[Any] = []
    acquire = app.producer_pool.acquire

    def counting_acquire(*args: Any, **kwargs: Any) -> Any:
        producer = acquire(*args, **kwargs)
        acquired.append(producer)
        return producer

    app.producer_pool.acquire = counting_acquire  # type: ignore[method-assign]
    assert relay_once(booking_db, publisher) == 7
    assert len(acquired) == 1, "one producer (one broker connection) for the whole batch"
    queued = [json.loads(raw) for raw in redis_client.lrange("notify", 0, -1)]
    # LPUSH: the newest at the head; the consumer (BRPOP) takes them oldest first
    assert [m["headers"]["id"] for m in reversed(queued)] == [f"{e.id}:notify" for e in envelopes]
    assert confirmations.pending("booking", "notify") == 7
    assert unpublished_count(booking_db) == 0
    redis_client.delete("notify", "uitleen:unconfirmed:booking:notify")
