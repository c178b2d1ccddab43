"""The booking service's event consumer: ``booking.handle_event`` feeds booking's copy of the inventory.

The handlers live in ``services.booking.handlers.EVENT_HANDLERS`` (event type → fn(session, envelope)); they
are imported when the first event arrives, so this module works before they exist.
"""

from __future__ import annotations

import importlib
import logging
from functools import cache
from typing import Any

from celery import shared_task

from services.booking import models
from shared.config import int_setting, load_settings
from shared.confirmations import Confirmations
from shared.consumer import consume
from shared.db import Database

log = logging.getLogger("uitleen.booking.tasks")


@cache
def _database() -> Database:
    return Database(load_settings("booking").database_url)


@cache
def _confirmations() -> Confirmations:
    return Confirmations(load_settings("booking").broker_url)


@shared_task(name="booking.handle_event", bind=True)
def handle_event(self: Any, envelope: dict[str, Any]) -> str:
    try:
        handlers = importlib.import_module("services.booking.handlers").EVENT_HANDLERS
    except ModuleNotFoundError as error:
        if error.name != "services.booking.handlers":
            raise
        # Only before the booking handlers are merged: the event is acknowledged without effect.
        log.warning("booking.handle_event: no services.booking.handlers yet; event %s dropped", envelope.get("id"))
        return "no_handlers"
    settings = load_settings("booking")
    return consume(
        self,
        envelope,
        "booking",
        _confirmations(),
        _database(),
        models.ProcessedEvent,
        getattr(models, "DeadLetter", None),
        handlers,
        max_retries=int_setting(settings, "BOOKING_EVENT_MAX_RETRIES", 8),
        base_seconds=int_setting(settings, "BOOKING_EVENT_RETRY_SECONDS", 5, minimum=1),
    )
