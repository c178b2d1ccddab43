"""The Celery factory: one configuration for reliability, explained setting by setting in docs/events.md."""

from __future__ import annotations

from typing import Any

from celery import Celery, signals

from shared.config import Settings, process_settings
from shared.logging import configure_logging


def redis_transport_options() -> dict[str, Any]:
    """Redis transport options; ``BROKER_UNACKED_RESTORE_SECONDS`` makes unacked-message recovery scan that often.

    kombu scans for unacked messages older than the visibility timeout every 10 s but only on every 10th tick
    (so every ~100 s), under a mutex that expires after 300 s. That is fine in production; tests with a short
    visibility timeout set BROKER_UNACKED_RESTORE_SECONDS=1 so a message lost with a worker returns quickly.
    """
    process = process_settings()
    # Longer than the longest task (an SMTP send with retries is well under a minute): a task still running past
    # it would be handed to a second worker by Redis.
    options: dict[str, Any] = {"visibility_timeout": process.broker_visibility_timeout}
    seconds = process.broker_unacked_restore_seconds
    if seconds:
        options.update(unacked_restore_interval=seconds, unacked_restore_throttle=1, unacked_mutex_expire=30)
    return options


def make_celery(name: str, settings: Settings, **overrides: Any) -> Celery:
    """The Celery app of a worker, beat or publisher; its processes log as every other process does."""
    _log_like_the_services(settings)
    app = Celery(name, broker=settings.broker_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        # Acknowledge after the task ran, not when it was received: a worker that dies mid-task leaves the
        # message on the broker for another worker.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per worker process, so a slow task does not hold others hostage unacked.
        worker_prefetch_multiplier=1,
        # kombu's SQLAlchemy transport hands its options to create_engine(): Redis only.
        broker_transport_options=(redis_transport_options() if settings.broker_url.startswith("redis") else {}),
        broker_connection_retry_on_startup=True,
        task_default_queue=name,
        timezone="Europe/Brussels",
        enable_utc=True,
        worker_hijack_root_logger=False,
    )
    app.conf.update(overrides)
    return app


def _log_like_the_services(settings: Settings) -> None:
    """Workers and beat configure logging as the web processes do (structlog, JSON in production): with a
    receiver on ``setup_logging`` Celery leaves the logging configuration to us."""

    def setup(**_kwargs: Any) -> None:
        configure_logging(settings.log_format, settings.log_level)

    signals.setup_logging.disconnect(dispatch_uid="uitleen-logging")
    signals.setup_logging.connect(setup, weak=False, dispatch_uid="uitleen-logging")
