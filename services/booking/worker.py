"""The booking Celery app: ``celery -A services.booking.worker worker -Q booking``."""

from __future__ import annotations

from shared.celery_app import make_celery
from shared.config import load_settings

celery_app = make_celery("booking", load_settings("booking"))
celery_app.conf.imports = ("services.booking.tasks",)
app = celery_app
