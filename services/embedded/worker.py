"""The Celery app of the embedded default: one worker consumes every service's queues, one beat schedules."""

from __future__ import annotations

from shared.celery_app import make_celery
from shared.config import load_settings

celery_app = make_celery("uitleen", load_settings("inventory"))
app = celery_app
