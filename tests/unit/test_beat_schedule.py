"""The one beat schedules every service's periodic work (``make beat`` once started notify's alone, so booking's
expiry, no-show, overdue, retention and key purge would never have run)."""

from __future__ import annotations

from celery import Celery

from services import beat
from services.booking.worker import celery_app as booking_worker
from services.notify.worker import celery_app as notify_worker


def registered(app: Celery) -> set[str]:
    app.loader.import_default_modules()
    return set(app.tasks)


def test_the_beat_schedules_every_periodic_task_of_every_service_on_its_own_queue() -> None:
    schedule = beat.schedule()
    tasks = {entry["task"]: entry["options"]["queue"] for entry in schedule.values()}
    assert tasks == {
        "booking.expire_stale_requests": "booking",
        "booking.release_no_shows": "booking",
        "booking.mark_overdue": "booking",
        "booking.apply_retention": "booking",
        "booking.purge_idempotency_keys": "booking",
        "notify.dispatch_due": "notify",
    }
    # and each runs where it is sent: the worker of that queue knows the task
    known = {"booking": registered(booking_worker), "notify": registered(notify_worker)}
    for task, queue in tasks.items():
        assert task in known[queue], f"{task} is scheduled on {queue}, whose worker does not know it"
    assert beat.celery_app.conf.beat_schedule == schedule
