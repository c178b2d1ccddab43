"""Periodic scans, called by Celery beat tasks with ``clock.now()``: plain functions of (session, now).

Each returns the ids it changed and is safe to run twice or in two workers at once (rows are locked with
SKIP LOCKED and the lifecycle rule is re-checked under the lock).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.domain import conflicts
from services.booking.domain.lifecycle import SYSTEM, transition
from services.booking.domain.vocabulary import Action, Status, SystemReason
from services.booking.models import BookingRequest

# A scan takes at most this many requests per transaction; the task runs batch after batch (tasks._run_scan),
# so a backlog (after an outage, an import) never loads every late request into one worker's memory at once.
SCAN_BATCH = 500


def _claim(session: Session, condition: sa.ColumnElement[bool]) -> list[BookingRequest]:
    query = (
        sa.select(BookingRequest)
        .where(condition)
        .order_by(BookingRequest.id)
        .limit(SCAN_BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def expire_stale_requests(session: Session, now: datetime, expire_after_hours: int = 72) -> list[int]:
    """Undecided requests older than ``expire_after_hours``, or whose pick-up time has come, expire."""
    cutoff = now - timedelta(hours=expire_after_hours)
    stale = _claim(
        session,
        sa.and_(
            BookingRequest.status == Status.REQUESTED,
            sa.or_(BookingRequest.created_at <= cutoff, BookingRequest.pickup_at <= now),
        ),
    )
    for request in stale:
        transition(session, request, Action.EXPIRE, SYSTEM, reason_code=SystemReason.NOT_DECIDED_IN_TIME)
    return [r.id for r in stale]


def release_no_shows(session: Session, now: datetime, grace_hours: int = 24) -> list[int]:
    """Approved loans nobody picked up within ``grace_hours`` of the pick-up time are released."""
    late = _claim(
        session,
        sa.and_(
            BookingRequest.status == Status.APPROVED, BookingRequest.pickup_at <= now - timedelta(hours=grace_hours)
        ),
    )
    for request in late:
        conflicts.release(session, request)
        transition(session, request, Action.NO_SHOW, SYSTEM, reason_code=SystemReason.NOT_PICKED_UP)
    return [r.id for r in late]


def mark_overdue(session: Session, now: datetime) -> list[int]:
    """Picked-up loans past their return time become overdue (once; the event triggers the reminder)."""
    late = _claim(session, sa.and_(BookingRequest.status == Status.PICKED_UP, BookingRequest.return_at <= now))
    for request in late:
        transition(session, request, Action.MARK_OVERDUE, SYSTEM)
    return [r.id for r in late]
