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
from shared.bootstrap import boot
from shared.config import Settings, int_setting
from shared.confirmations import Confirmations
from shared.consumer import consume
from shared.db import Database

log = logging.getLogger("uitleen.booking.tasks")


def _database() -> Database:
    return boot("booking").database


@cache
def _confirmations() -> Confirmations:
    return Confirmations(boot("booking").settings.broker_url)


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
    settings = boot("booking").settings
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


MAX_SCAN_BATCHES = 40


def _run_scan(name: str, scan: Any, batch_size: int | None = None, max_batches: int = MAX_SCAN_BATCHES) -> list[int]:
    """Run one periodic scan at the shared clock's now, a transaction per batch of ``batch_size`` (the scans'
    ``SCAN_BATCH`` by default), at most ``max_batches`` per tick (the next tick goes on); logs what it changed."""
    from services.booking.domain import scans
    from shared import clock

    batch_size = batch_size or scans.SCAN_BATCH
    now = clock.now()
    changed: list[int] = []
    for _ in range(max_batches):
        with _database().transaction() as session:
            batch: list[int] = scan(session, now)
        changed += batch
        if len(batch) < batch_size:
            break
    if changed:
        log.info("%s: %d request(s): %s", name, len(changed), changed[:20])
    else:
        log.debug("%s: nothing due", name)
    return changed


@shared_task(name="booking.expire_stale_requests")
def expire_stale_requests() -> list[int]:
    """Requests nobody decided on in time expire (the requester is told through the event)."""
    from services.booking.config import load_policy
    from services.booking.domain import scans

    policy = load_policy(boot("booking").settings)
    return _run_scan(
        "booking.expire_stale_requests",
        lambda session, now: scans.expire_stale_requests(session, now, policy.expire_after_hours),
    )


@shared_task(name="booking.release_no_shows")
def release_no_shows() -> list[int]:
    """Approved loans nobody picked up within the grace period are released for others."""
    from services.booking.config import load_policy
    from services.booking.domain import scans

    policy = load_policy(boot("booking").settings)
    return _run_scan(
        "booking.release_no_shows",
        lambda session, now: scans.release_no_shows(session, now, policy.no_show_grace_hours),
    )


@shared_task(name="booking.mark_overdue")
def mark_overdue() -> list[int]:
    """Loans not returned by their return time become overdue (the event starts the overdue notices)."""
    from services.booking.domain import scans

    return _run_scan("booking.mark_overdue", scans.mark_overdue)


# A retention run stops after this many batches (the next run continues): it never holds the worker for long.
RETENTION_MAX_BATCHES = 50


@shared_task(name="booking.apply_retention")
def apply_retention() -> list[int]:
    """GDPR: anonymise the personal data of requests that ended ``BOOKING_RETENTION_DAYS`` ago, in batches.

    Each batch is its own transaction with its own audit row (``privacy_actions``), so a crash loses at most
    one batch's work and a second worker running at the same time skips the rows this one holds.
    """
    from services.booking.config import load_policy
    from services.booking.domain import privacy

    policy = load_policy(boot("booking").settings)
    return _run_scan(
        "booking.apply_retention",
        lambda session, now: privacy.apply_retention(session, now, policy.retention_days, policy.retention_batch),
        batch_size=policy.retention_batch,
        max_batches=RETENTION_MAX_BATCHES,
    )


@shared_task(name="booking.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Idempotency-Keys older than BOOKING_IDEMPOTENCY_HOURS go (the contract keeps them at least a day)."""
    from services.booking.config import load_policy
    from services.booking.domain import idempotency

    policy = load_policy(boot("booking").settings)
    with _database().transaction() as session:
        purged = idempotency.purge_old_keys(session, policy.idempotency_hours)
    if purged:
        log.info("booking.purge_idempotency_keys: %d key(s)", purged)
    return purged


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """Booking's periodic scans (BOOKING_SCAN_SECONDS, BOOKING_RETENTION_SCAN_SECONDS); each tick that waited past
    its period is dropped, not piled up."""
    scan_seconds = float(int_setting(settings, "BOOKING_SCAN_SECONDS", 60, minimum=1))
    retention_seconds = float(int_setting(settings, "BOOKING_RETENTION_SCAN_SECONDS", 3600, minimum=1))
    options = {"queue": "booking", "expires": scan_seconds}
    return {
        "booking-purge-idempotency-keys": {
            "task": "booking.purge_idempotency_keys",
            "schedule": retention_seconds,
            "options": {"queue": "booking", "expires": retention_seconds},
        },
        "booking-apply-retention": {
            "task": "booking.apply_retention",
            "schedule": retention_seconds,
            "options": {"queue": "booking", "expires": retention_seconds},
        },
        "booking-expire-stale-requests": {
            "task": "booking.expire_stale_requests",
            "schedule": scan_seconds,
            "options": options,
        },
        "booking-release-no-shows": {"task": "booking.release_no_shows", "schedule": scan_seconds, "options": options},
        "booking-mark-overdue": {"task": "booking.mark_overdue", "schedule": scan_seconds, "options": options},
    }
