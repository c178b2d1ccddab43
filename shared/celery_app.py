"""The Celery factory: one configuration for reliability, explained setting by setting in docs/events.md."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

from shared.config import Settings

# Longer than the longest task (an SMTP send with retries is well under a minute): a task still running past
# it would be handed to a second worker by Redis.
VISIBILITY_TIMEOUT_SECONDS = int(os.environ.get("BROKER_VISIBILITY_TIMEOUT", "3600"))


def make_celery(name: str, settings: Settings, **overrides: Any) -> Celery:
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
        broker_transport_options=(
            {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS} if settings.broker_url.startswith("redis") else {}
        ),
        broker_connection_retry_on_startup=True,
        task_default_queue=name,
        timezone="Europe/Brussels",
        enable_utc=True,
        worker_hijack_root_logger=False,
    )
    app.conf.update(overrides)
    return app
