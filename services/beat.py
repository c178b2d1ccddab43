"""The one Celery beat of the production topology: ``celery -A services.beat beat``.

It only schedules: every periodic task is routed to the queue of the service that owns it (booking's scans
to ``booking``, notify's due-reminder dispatch to ``notify``), where that service's worker runs it.
Run exactly one (see docs/operations.md); the tasks themselves stay correct if two run by mistake.
"""

from __future__ import annotations

from services.booking.tasks import beat_schedule as booking_schedule
from services.notify.config import load_notify_config
from services.notify.tasks import beat_schedule as notify_schedule
from shared.celery_app import make_celery
from shared.config import int_setting, load_settings

_booking = load_settings("booking")
celery_app = make_celery("beat", _booking)
celery_app.conf.beat_schedule = {
    **booking_schedule(
        float(int_setting(_booking, "BOOKING_SCAN_SECONDS", 60, minimum=1)),
        float(int_setting(_booking, "BOOKING_RETENTION_SCAN_SECONDS", 3600, minimum=1)),
    ),
    **notify_schedule(load_notify_config(load_settings("notify"))),
}
app = celery_app
