"""The Celery app of the embedded default: one worker consumes every service's queue, one beat schedules.

``make run`` starts ``celery -A services.embedded.worker worker`` and ``… beat`` beside the web process and
the relay (``python -m shared.relay``); the broker is kombu's SQLAlchemy transport on var/broker.sqlite.
"""

from __future__ import annotations

from kombu import Queue

from services import beat
from shared.celery_app import make_celery
from shared.config import load_settings
from shared.routing import ROUTES, queue_name

celery_app = make_celery("uitleen", load_settings("inventory"))
celery_app.conf.imports = ("services.notify.tasks", "services.booking.tasks")
celery_app.conf.task_queues = [Queue("uitleen")] + [Queue(queue_name(service)) for service in ROUTES]
# The same schedule as production's single beat (services/beat.py): booking's scans and notify's dispatch.
celery_app.conf.beat_schedule = beat.celery_app.conf.beat_schedule
app = celery_app
