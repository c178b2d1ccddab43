"""End-to-end delivery confirmation over Redis: closes the gap kombu's Redis transport leaves open.

kombu takes a message off a Redis list with BRPOP and records it as "unacked" in a second round trip; a Redis
restart between the two (or a reply lost with the connection) loses the message although the relay marked the
outbox row published. So the relay also notes every (event, subscriber) it publishes in a sorted set
``uitleen:unconfirmed:<producer>:<subscriber>`` (score = publish time), and a consumer removes the entry once the
event is applied (or found a duplicate, or dead-lettered). Entries still there after ``RELAY_REPUBLISH_SECONDS``
are published again from the outbox; the consumer's idempotency absorbs the extra copy.

With a broker that is not Redis (the embedded SQLite transport, which is transactional) this is switched off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import redis

log = logging.getLogger("uitleen.confirmations")


def _key(producer: str, subscriber: str) -> str:
    return f"uitleen:unconfirmed:{producer}:{subscriber}"


class Confirmations:
    def __init__(self, broker_url: str) -> None:
        self.client: redis.Redis | None = (
            redis.Redis.from_url(broker_url, socket_timeout=5, socket_connect_timeout=2)
            if broker_url.startswith(("redis://", "rediss://"))
            else None
        )

    @property
    def enabled(self) -> bool:
        return self.client is not None

    def expect(self, producer: str, subscriber: str, event_id: str) -> None:
        """Raises redis errors (the relay then rolls back and publishes again later)."""
        if self.client is not None:
            self.client.zadd(_key(producer, subscriber), {event_id: time.time()})

    def expect_many(self, entries: Sequence[tuple[str, str, str]]) -> None:
        """``expect`` for a batch of (producer, subscriber, event id), in one round trip (a pipeline, one ZADD
        per sorted set). Raises redis errors."""
        if self.client is None or not entries:
            return
        now = time.time()
        by_key: dict[str, dict[str, float]] = {}
        for producer, subscriber, event_id in entries:
            by_key.setdefault(_key(producer, subscriber), {})[event_id] = now
        if len(by_key) == 1:
            [(key, mapping)] = by_key.items()
            self.client.zadd(key, mapping)  # type: ignore[arg-type]
            return
        pipeline = self.client.pipeline(transaction=False)
        for key, mapping in by_key.items():
            pipeline.zadd(key, mapping)  # type: ignore[arg-type]
        pipeline.execute()

    def confirm(self, producer: str, subscriber: str, event_id: str) -> None:
        """Best effort: if Redis is away, the event is simply published once more later."""
        if self.client is None:
            return
        try:
            self.client.zrem(_key(producer, subscriber), event_id)
        except redis.RedisError as error:
            log.warning("could not confirm event %s for %s: %s (it will be redelivered)", event_id, subscriber, error)

    def overdue(self, producer: str, subscriber: str, older_than_seconds: float, limit: int = 500) -> list[str]:
        if self.client is None:
            return []
        members = self.client.zrangebyscore(
            _key(producer, subscriber), "-inf", time.time() - older_than_seconds, start=0, num=limit
        )
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    def forget(self, producer: str, subscriber: str, event_id: str) -> None:
        if self.client is not None:
            self.client.zrem(_key(producer, subscriber), event_id)

    def queue_length(self, queue: str) -> int:
        return int(self.client.llen(queue)) if self.client is not None else 0  # type: ignore[arg-type]

    def pending(self, producer: str, subscriber: str) -> int:
        return int(self.client.zcard(_key(producer, subscriber))) if self.client is not None else 0
