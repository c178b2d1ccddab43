"""The notify Celery app: ``celery -A services.notify.worker worker -Q notify`` and ``… beat``."""

from __future__ import annotations

from services.notify.config import load_notify_config
from services.notify.tasks import beat_schedule
from shared.celery_app import make_celery
from shared.config import load_settings

_settings = load_settings("notify")
celery_app = make_celery("notify", _settings)
celery_app.conf.imports = ("services.notify.tasks",)
celery_app.conf.beat_schedule = beat_schedule(load_notify_config(_settings))
app = celery_app
