"""The notify service's Celery tasks: thin, idempotent, named. The work is in services/notify/domain/."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

from celery import shared_task

from services.notify.config import NotifyConfig, load_notify_config
from services.notify.domain.copies import event_handlers
from services.notify.domain.dispatch import dispatch_due as run_dispatch
from services.notify.domain.mail import MailSender, make_sender
from services.notify.models import DeadLetter, ProcessedEvent
from shared.bootstrap import boot
from shared.config import Settings, int_setting
from shared.confirmations import Confirmations
from shared.consumer import Handler, consume
from shared.db import Database
from shared.debounce import Debounce

log = logging.getLogger("uitleen.notify.tasks")


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    config: NotifyConfig
    database: Database
    sender: MailSender
    handlers: dict[str, Handler]
    confirmations: Confirmations
    dispatch_soon: Debounce


@cache
def runtime() -> Runtime:
    """Built once per worker process, on first use (never at import: the beat process does not need it)."""
    booted = boot("notify")
    settings, database = booted.settings, booted.database
    config = load_notify_config(settings)
    sender = make_sender(config, database.session_factory)
    delay = config.dispatch_delay_ms / 1000
    # the key outlives the pending tick only if that tick was lost; the beat's tick covers that gap
    debounce = Debounce(settings.broker_url, DISPATCH_SOON_KEY, delay, hold_seconds=max(5.0, 10 * delay))
    return Runtime(
        settings, config, database, sender, event_handlers(config), Confirmations(settings.broker_url), debounce
    )


DISPATCH_SOON_KEY = "uitleen:notify:dispatch-soon"


@shared_task(name="notify.handle_event", bind=True)
def handle_event(self: Any, envelope: dict[str, Any]) -> str:
    rt = runtime()
    outcome = consume(
        self,
        envelope,
        "notify",
        rt.confirmations,
        rt.database,
        ProcessedEvent,
        DeadLetter,
        rt.handlers,
        max_retries=int_setting(rt.settings, "NOTIFY_EVENT_MAX_RETRIES", 8),
        base_seconds=int_setting(rt.settings, "NOTIFY_EVENT_RETRY_SECONDS", 5, minimum=1),
    )
    if outcome == "applied":
        dispatch_soon(rt, envelope.get("id"))
    return outcome


def dispatch_soon(rt: Runtime, event_id: Any = None) -> bool:
    """Immediate mails go out within about NOTIFY_DISPATCH_DELAY_MS rather than at the next beat, and a burst of
    N events costs about one dispatch tick per pending tick instead of N: the first event schedules
    ``dispatch_due(coalesced=True)`` on the notify queue, the events applied before that tick starts find it
    pending (``shared.debounce``). Returns whether this call scheduled the tick. Any failure is the beat's."""
    if not rt.dispatch_soon.should_schedule():
        return False
    delay = rt.config.dispatch_delay_ms / 1000
    try:
        # with a countdown (default 200 ms) the worker holds the tick as an ETA message and runs it then, ahead of
        # the queue; without one it waits at the queue's tail behind the events already queued
        dispatch_due.apply_async(kwargs={"coalesced": True}, queue="notify", **({"countdown": delay} if delay else {}))
    except Exception:
        rt.dispatch_soon.reset()  # the next event tries again
        log.exception("could not schedule the dispatch after event %s; the next beat sends", event_id)
        return False
    return True


@shared_task(name="notify.dispatch_due")
def dispatch_due(coalesced: bool = False) -> dict[str, int]:
    """Send every due notification: the beat's tick (every NOTIFY_DISPATCH_SECONDS), or ``coalesced``, the one
    tick a burst of applied events scheduled (``dispatch_soon``). Safe to run concurrently."""
    rt = runtime()
    if coalesced:
        # before the first claim: an event applied from now on schedules a tick of its own
        rt.dispatch_soon.reset()
    result = run_dispatch(rt.database, rt.sender, rt.config)
    if result.counts:
        log.info("notify.dispatch_due: %s", result.counts)
    return result.counts


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """Notify's periodic work: the dispatch of what is due (NOTIFY_DISPATCH_SECONDS)."""
    config = load_notify_config(settings)
    return {
        "notify-dispatch-due": {
            "task": "notify.dispatch_due",
            "schedule": float(config.dispatch_seconds),
            # A tick that waited longer than one period is replaced by the next one, not piled up.
            "options": {"queue": "notify", "expires": float(config.dispatch_seconds)},
        }
    }
