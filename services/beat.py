"""The one Celery beat: ``celery -A services.beat beat`` (production, ``make beat``, and the embedded default).

It only schedules: the schedule is assembled from each service's own (``<service>.tasks.beat_schedule``), and
every periodic task is routed to the queue of the service that owns it (booking's scans to ``booking``, notify's
dispatch to ``notify``), where that service's worker runs it. Run exactly one (see docs/operations.md); the
tasks themselves stay correct if two run by mistake.
"""

from __future__ import annotations

from typing import Any

from services.booking.tasks import beat_schedule as booking_schedule
from services.notify.tasks import beat_schedule as notify_schedule
from shared.celery_app import make_celery
from shared.config import load_settings

SCHEDULES = {"booking": booking_schedule, "notify": notify_schedule}


def schedule() -> dict[str, Any]:
    """Every service's periodic tasks, each read from that service's own settings."""
    assembled: dict[str, Any] = {}
    for service, of in SCHEDULES.items():
        assembled.update(of(load_settings(service)))
    return assembled


celery_app = make_celery("beat", load_settings("booking"))
celery_app.conf.beat_schedule = schedule()
app = celery_app
