"""After an applied event notify schedules ONE dispatch tick shortly after, however many events follow in the
burst (``notify.tasks.dispatch_soon``, ``shared.debounce``): on real Redis, and without it (embedded broker)."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from typing import Any

import pytest
import redis
from celery import current_app

from services.notify import tasks
from services.notify.config import NotifyConfig
from shared.celery_app import make_celery
from shared.config import load_settings
from shared.debounce import Debounce
from tests.conftest import REDIS_URL

pytestmark = [pytest.mark.redis]
KEY = "uitleen:test:dispatch-soon"


def test_only_the_first_caller_of_a_burst_schedules_until_the_run_starts(redis_client: redis.Redis) -> None:
    redis_client.delete(KEY)
    debounce = Debounce(REDIS_URL, KEY, delay_seconds=0.2, hold_seconds=5)
    other_process = Debounce(REDIS_URL, KEY, delay_seconds=0.2, hold_seconds=5)
    assert debounce.should_schedule() is True
    assert [debounce.should_schedule(), other_process.should_schedule()] == [False, False]
    other_process.reset()  # the scheduled run starts (in whichever worker process)
    assert debounce.should_schedule() is True
    assert 0 < redis_client.pttl(KEY) <= 5000, "the key expires by itself if the run was lost"
    redis_client.delete(KEY)


def test_without_redis_a_caller_within_the_countdown_is_covered_by_the_pending_run() -> None:
    debounce = Debounce("sqla+sqlite:///var/broker.sqlite", KEY, delay_seconds=0.2, hold_seconds=5)
    assert debounce.should_schedule() is True
    assert debounce.should_schedule() is False
    time.sleep(0.25)  # the run scheduled 0.2 s ahead has started by now: a new event needs a new one
    assert debounce.should_schedule() is True


def _queued(client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in client.lrange("notify", 0, -1)]


def test_a_burst_of_applied_events_schedules_one_dispatch_tick_on_the_notify_queue(
    redis_client: redis.Redis, environ: dict[str, str]
) -> None:
    redis_client.delete("notify", tasks.DISPATCH_SOON_KEY)
    previous = current_app._get_current_object()
    app = make_celery("notify", load_settings("notify", environ))
    app.set_current()  # as in the notify worker: the task is sent through its app
    try:
        _burst(redis_client, environ)
    finally:
        previous.set_current()
        redis_client.delete("notify", tasks.DISPATCH_SOON_KEY)


def _burst(redis_client: redis.Redis, environ: dict[str, str]) -> None:
    config = NotifyConfig(dispatch_delay_ms=300)
    rt = tasks.Runtime(
        settings=load_settings("notify", environ),
        config=config,
        database=None,  # type: ignore[arg-type]
        sender=None,  # type: ignore[arg-type]
        handlers={},
        confirmations=None,  # type: ignore[arg-type]
        dispatch_soon=Debounce(REDIS_URL, tasks.DISPATCH_SOON_KEY, 0.3, hold_seconds=5),
    )
    scheduled = [tasks.dispatch_soon(rt, f"event-{n}") for n in range(20)]
    assert scheduled == [True] + [False] * 19
    [message] = _queued(redis_client)
    assert message["headers"]["task"] == "notify.dispatch_due" and message["headers"]["eta"]
    _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert kwargs == {"coalesced": True}
    # the tick starts: it resets the debounce first, so the next event schedules the next tick
    rt.dispatch_soon.reset()
    assert tasks.dispatch_soon(rt, "event-after") is True
    assert len(_queued(redis_client)) == 2
    # no countdown: the tick waits at the queue's tail behind the events queued before it
    rt.dispatch_soon.reset()
    assert tasks.dispatch_soon(dataclasses.replace(rt, config=NotifyConfig(dispatch_delay_ms=0)), "e-later") is True
    newest = _queued(redis_client)[0]  # LPUSH: the newest at the head
    assert newest["headers"]["task"] == "notify.dispatch_due" and newest["headers"]["eta"] is None
