"""The notify Celery app: ``celery -A services.notify.worker worker -Q notify`` (its periodic work is scheduled by
the one beat, ``services/beat.py``)."""

from __future__ import annotations

from shared.celery_app import make_celery
from shared.config import load_settings

celery_app = make_celery("notify", load_settings("notify"))
celery_app.conf.imports = ("services.notify.tasks",)
app = celery_app
