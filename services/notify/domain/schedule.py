"""When each notification of a booking is due: pure functions, Europe/Brussels wall-clock rules → UTC instants.

A reminder "the day before at 10:00" is computed on the *local* calendar (zoneinfo), so it stays 10:00 in
Brussels across the daylight-saving switches; 10:00 always exists, so no gap or overlap can arise here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.notify.config import NotifyConfig, ReminderPolicy
from shared.clock import BRUSSELS

# What the requester or staff hear about, right away, per booking event.
IMMEDIATE: dict[str, tuple[tuple[str, str], ...]] = {
    "booking.request.submitted": (("request_received", "requester"), ("new_request", "staff")),
    "booking.request.approved": (("approved", "requester"),),
    "booking.request.rejected": (("rejected", "requester"),),
    "booking.request.withdrawn": (("withdrawn", "requester"),),
    "booking.request.cancelled": (("cancelled", "requester"),),
}

REMINDER_KINDS = ("pickup_reminder", "return_reminder", "overdue_notice", "overdue_escalation")
AUDIENCE = {
    "pickup_reminder": "requester",
    "return_reminder": "requester",
    "overdue_notice": "requester",
    "overdue_escalation": "staff",
}


@dataclass(frozen=True)
class Due:
    kind: str
    audience: str
    due_at: datetime


def at_local_hour(day: date, hour: int) -> datetime:
    """``hour``:00 Brussels time on ``day``, as a UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=BRUSSELS).astimezone(UTC)


def day_before_reminder(event_at: datetime, policy: ReminderPolicy) -> datetime:
    """``policy.days_before`` local days before ``event_at``'s local date, at the policy's local hour.

    Never later than the event itself (a 08:00 pick-up with a same-day policy is reminded at once).
    """
    local_day = event_at.astimezone(BRUSSELS).date()
    due = at_local_hour(local_day - timedelta(days=policy.days_before), policy.local_hour)
    return min(due, event_at)


def reminders_for(status: str, pickup_at: datetime, return_at: datetime, categories: list[str], config: NotifyConfig):
    """The reminders a booking in ``status`` should have (stale ones are those not in this list)."""
    policy = config.policy_for(categories)
    wanted: list[Due] = []
    if status == "approved":
        wanted.append(Due("pickup_reminder", "requester", day_before_reminder(pickup_at, policy)))
    if status in ("approved", "picked_up", "overdue"):
        wanted.append(Due("return_reminder", "requester", day_before_reminder(return_at, policy)))
        wanted.append(Due("overdue_notice", "requester", return_at + timedelta(hours=config.overdue_grace_hours)))
        wanted.append(Due("overdue_escalation", "staff", return_at + timedelta(hours=config.escalation_hours)))
    return wanted


def still_relevant(kind: str, status: str, pickup_at: datetime, return_at: datetime, returned: bool, now: datetime):
    """(True, "") when a due reminder should still go out now, else (False, why) — checked at send time."""
    if kind == "pickup_reminder":
        if status != "approved":
            return False, f"booking is {status}, no pick-up to remind of"
        if now >= pickup_at:
            return False, "pick-up time has passed"
    elif kind == "return_reminder":
        if status not in ("approved", "picked_up") or returned:
            return False, f"booking is {status}, nothing to return"
        if now >= return_at:
            return False, "return time has passed (the overdue notice takes over)"
    elif kind in ("overdue_notice", "overdue_escalation") and (status not in ("picked_up", "overdue") or returned):
        return False, f"booking is {status}, not overdue"
    return True, ""


def digest_due(local_day: date, config: NotifyConfig) -> datetime:
    return at_local_hour(local_day, config.digest_hour)
