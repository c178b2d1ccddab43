"""At most one pending run of a follow-up job, however many processes ask for it: "run it soon" coalesced.

A consumer that applied an event asks ``should_schedule()``; only the first caller of a burst gets True and
schedules the job (a Celery task with a countdown); the job calls ``reset()`` when it *starts*, so anything
committed before that start is seen by it, and anything after it schedules the next run. Whoever got False
committed its work before asking, i.e. before the pending run's start: nothing is missed.

With Redis this is ``SET key NX PX hold`` (shared by every worker process; the key also expires by itself after
``hold_seconds``, in case the scheduled run was lost). Without Redis (the embedded SQLite broker: one worker)
it is a per-process deadline: a run scheduled with a countdown of ``delay`` starts no earlier than ``delay``
from now, so a caller within that window is covered by it. Redis errors make it answer True: a run too many is
harmless (the dispatch is safe to run concurrently), one too few is not.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

log = logging.getLogger("uitleen.debounce")


class Debounce:
    def __init__(self, broker_url: str, key: str, delay_seconds: float, hold_seconds: float) -> None:
        self.key, self.delay, self.hold = key, delay_seconds, hold_seconds
        self.client: redis.Redis | None = (
            redis.Redis.from_url(broker_url, socket_timeout=2, socket_connect_timeout=2)
            if broker_url.startswith(("redis://", "rediss://"))
            else None
        )
        self._lock = threading.Lock()
        self._covered_until = 0.0

    def should_schedule(self) -> bool:
        """True when the caller must schedule the run (none is pending); False when a pending run covers it."""
        if self.client is None:
            with self._lock:
                now = time.monotonic()
                if now < self._covered_until:
                    return False
                self._covered_until = now + self.delay
                return True
        try:
            return bool(self.client.set(self.key, b"1", nx=True, px=max(1, int(self.hold * 1000))))
        except redis.RedisError as error:
            log.warning("debounce %s: Redis unavailable (%s); scheduling anyway", self.key, error)
            return True

    def reset(self) -> None:
        """Called by the run as it starts (or by a caller whose scheduling failed): the next caller schedules."""
        if self.client is None:
            with self._lock:
                self._covered_until = 0.0
            return
        try:
            self.client.delete(self.key)
        except redis.RedisError as error:  # the key expires after hold_seconds anyway
            log.warning("debounce %s: could not reset (%s)", self.key, error)
