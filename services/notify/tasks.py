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

log = logging.getLogger("uitleen.notify.tasks")


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    config: NotifyConfig
    database: Database
    sender: MailSender
    handlers: dict[str, Handler]
    confirmations: Confirmations


@cache
def runtime() -> Runtime:
    """Built once per worker process, on first use (never at import: the beat process does not need it)."""
    booted = boot("notify")
    settings, database = booted.settings, booted.database
    config = load_notify_config(settings)
    sender = make_sender(config, database.session_factory)
    return Runtime(settings, config, database, sender, event_handlers(config), Confirmations(settings.broker_url))


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
        # Immediate mails go out now rather than at the next beat; any failure is the beat's to retry.
        try:
            run_dispatch(rt.database, rt.sender, rt.config)
        except Exception:
            log.exception("dispatch after event %s failed; the next beat retries", envelope.get("id"))
    return outcome


@shared_task(name="notify.dispatch_due")
def dispatch_due() -> dict[str, int]:
    """Send every due notification (beat, every NOTIFY_DISPATCH_SECONDS). Safe to run concurrently."""
    rt = runtime()
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
