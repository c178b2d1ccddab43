"""When each notification of a booking is due: pure functions, Europe/Brussels wall-clock rules → UTC instants.

A reminder "the day before at 10:00" is computed on the *local* calendar (zoneinfo), so it stays 10:00 in
Brussels across the daylight-saving switches; 10:00 always exists, so no gap or overlap can arise here.

The order of a loan's reminders is an invariant (``reminders_for``): the pick-up reminder is due at or before the
pick-up; the return reminder strictly after the pick-up (so never before the pick-up reminder) and before the
return. Short loans move the return reminder later (``return_reminder_due``), never earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.notify.config import NotifyConfig, ReminderPolicy
from services.notify.domain.reasons import Reason, Why
from shared.clock import BRUSSELS

# What the requester or staff hear about, right away, per booking event.
IMMEDIATE: dict[str, tuple[tuple[str, str], ...]] = {
    "booking.request.submitted": (("request_received", "requester"), ("new_request", "staff")),
    "booking.request.approved": (("approved", "requester"),),
    "booking.request.rejected": (("rejected", "requester"),),
    "booking.request.withdrawn": (("withdrawn", "requester"),),
    "booking.request.cancelled": (("cancelled", "requester"),),
    "booking.request.expired": (("expired", "requester"),),
    "booking.request.rescheduled": (("rescheduled", "requester"),),
}
# The messages whose mail carries the loan as a calendar appointment (.ics), and what the appointment does.
CALENDAR_METHOD = {"approved": "REQUEST", "rescheduled": "REQUEST", "cancelled": "CANCEL"}

# Messages computed from the booking's times and recomputed by every event (the others are IMMEDIATE).
REMINDER_KINDS = ("pickup_reminder", "return_reminder", "overdue_notice", "overdue_escalation", "expiry_warning")
AUDIENCE = {
    "pickup_reminder": "requester",
    "return_reminder": "requester",
    "overdue_notice": "requester",
    "overdue_escalation": "staff",
    "expiry_warning": "staff",
}
# A return reminder on the day of the return comes at least this long before it (a 10:00 return: 08:00).
RETURN_DAY_LEAD = timedelta(hours=2)


@dataclass(frozen=True)
class Due:
    kind: str
    audience: str
    due_at: datetime


def at_local_hour(day: date, hour: int) -> datetime:
    """``hour``:00 Brussels time on ``day``, as a UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=BRUSSELS).astimezone(UTC)


def local_date(instant: datetime) -> date:
    return instant.astimezone(BRUSSELS).date()


def day_before_reminder(event_at: datetime, policy: ReminderPolicy) -> datetime:
    """``policy.days_before`` local days before ``event_at``'s local date, at the policy's local hour.

    Never later than the event itself (a 08:00 pick-up with a same-day policy is reminded at once).
    """
    due = at_local_hour(local_date(event_at) - timedelta(days=policy.days_before), policy.local_hour)
    return min(due, event_at)


def return_reminder_due(pickup_at: datetime, return_at: datetime, policy: ReminderPolicy) -> datetime:
    """When to remind of the return: strictly after the pick-up, before the return.

    The policy's day before the return at the reminder hour; when that is not after the pick-up (a short loan),
    the first later local day that is, down to the morning of the return day itself (the reminder hour, or
    ``RETURN_DAY_LEAD`` before a return at or before that hour); a loan of a few hours is reminded halfway.
    """
    for days in range(policy.days_before, -1, -1):
        day = local_date(return_at) - timedelta(days=days)
        due = at_local_hour(day, policy.local_hour)
        if days == 0:
            due = min(due, return_at - RETURN_DAY_LEAD)
        if pickup_at < due < return_at:
            return due
    return pickup_at + (return_at - pickup_at) / 2


def expires_at(created_at: datetime, pickup_at: datetime, config: NotifyConfig) -> datetime:
    """When booking's expiry scan would expire a request nobody decided on (docs/booking.md, scans)."""
    return min(created_at + timedelta(hours=config.expire_after_hours), pickup_at)


def expiry_warning_due(created_at: datetime, pickup_at: datetime, config: NotifyConfig) -> datetime | None:
    """``NOTIFY_EXPIRY_WARNING_HOURS`` before the expiry; None when that is not after the submission (the
    new-request mail, which names the deadline, is then the only warning)."""
    due = expires_at(created_at, pickup_at, config) - timedelta(hours=config.expiry_warning_hours)
    return due if due > created_at else None


def reminders_for(
    status: str,
    pickup_at: datetime,
    return_at: datetime,
    categories: list[str],
    config: NotifyConfig,
    created_at: datetime | None = None,
) -> list[Due]:
    """The reminders a booking in ``status`` should have (stale ones are those not in this list)."""
    policy = config.policy_for(categories)
    wanted: list[Due] = []
    if status == "requested" and created_at is not None:
        warning = expiry_warning_due(created_at, pickup_at, config)
        if warning is not None:
            wanted.append(Due("expiry_warning", "staff", warning))
    if status == "approved":
        wanted.append(Due("pickup_reminder", "requester", day_before_reminder(pickup_at, policy)))
    if status in ("approved", "picked_up", "overdue"):
        wanted.append(Due("return_reminder", "requester", return_reminder_due(pickup_at, return_at, policy)))
        wanted.append(Due("overdue_notice", "requester", return_at + timedelta(hours=config.overdue_grace_hours)))
        wanted.append(Due("overdue_escalation", "staff", return_at + timedelta(hours=config.escalation_hours)))
    return wanted


@dataclass(frozen=True)
class BookingState:
    """What the send-time relevance check needs to know of the booking."""

    status: str
    pickup_at: datetime
    return_at: datetime
    returned: bool = False
    created_at: datetime | None = None


def still_relevant(kind: str, booking: BookingState, now: datetime, config: NotifyConfig) -> Why | None:
    """None when a due reminder should still go out now, else why not — checked at send time."""
    status = booking.status
    if kind == "pickup_reminder":
        if status != "approved":
            return Why.status(Reason.BOOKING_STATUS, status)
        if now >= booking.pickup_at:
            return Why(Reason.PICKUP_PASSED)
    elif kind == "return_reminder":
        if status not in ("approved", "picked_up") or booking.returned:
            return Why.status(Reason.BOOKING_STATUS, status)
        if now >= booking.return_at:
            return Why(Reason.RETURN_PASSED)
    elif kind in ("overdue_notice", "overdue_escalation"):
        if status not in ("picked_up", "overdue") or booking.returned:
            return Why.status(Reason.BOOKING_STATUS, status)
    elif kind == "expiry_warning":
        if status != "requested":
            return Why.status(Reason.BOOKING_STATUS, status)
        if booking.created_at is not None and now >= expires_at(booking.created_at, booking.pickup_at, config):
            return Why(Reason.EXPIRY_PASSED)
    return None


def digest_due(local_day: date, config: NotifyConfig) -> datetime:
    return at_local_hour(local_day, config.digest_hour)
