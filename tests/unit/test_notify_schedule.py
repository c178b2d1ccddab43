"""Reminder timing in Brussels wall-clock time, across the 2027 daylight-saving switches."""

from datetime import UTC, datetime

import pytest

from services.notify.config import NotifyConfig, ReminderPolicy
from services.notify.domain.reasons import Reason, Why
from services.notify.domain.schedule import BookingState, day_before_reminder, reminders_for, still_relevant
from shared.timeparse import AmbiguousLocalTime, NonExistentLocalTime, localize, parse_instant

CONFIG = NotifyConfig()


def test_reminder_the_day_before_at_ten_in_summer_is_eight_utc() -> None:
    pickup = datetime(2027, 6, 12, 12, 0, tzinfo=UTC)
    assert day_before_reminder(pickup, ReminderPolicy(1, 10)) == datetime(2027, 6, 11, 8, 0, tzinfo=UTC)


def test_spring_switch_reminder_on_the_short_day_is_at_ten_local() -> None:
    # Pick-up Monday 29 March 2027 10:00 CEST; the reminder falls on Sunday 28 March, the 23-hour day.
    pickup = parse_instant("2027-03-29T10:00")
    due = day_before_reminder(pickup, ReminderPolicy(1, 10))
    assert due == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)  # 10:00 CEST
    # Pick-up on the switch day itself: reminder on Saturday, still winter time.
    assert day_before_reminder(parse_instant("2027-03-28T14:00"), ReminderPolicy(1, 10)) == datetime(
        2027, 3, 27, 9, 0, tzinfo=UTC
    )


def test_autumn_switch_reminder_on_the_long_day_is_at_ten_local() -> None:
    pickup = parse_instant("2027-11-01T09:00")
    assert day_before_reminder(pickup, ReminderPolicy(1, 10)) == datetime(2027, 10, 31, 9, 0, tzinfo=UTC)  # CET
    assert day_before_reminder(parse_instant("2027-10-31T15:00"), ReminderPolicy(1, 10)) == datetime(
        2027,
        10,
        30,
        8,
        0,
        tzinfo=UTC,  # CEST
    )


def test_a_pickup_at_a_time_that_does_not_exist_is_refused_clearly() -> None:
    with pytest.raises(NonExistentLocalTime, match="does not exist"):
        parse_instant("2027-03-28T02:30")


def test_a_pickup_at_a_time_that_exists_twice_needs_its_offset() -> None:
    with pytest.raises(AmbiguousLocalTime, match="happens twice"):
        localize(datetime(2027, 10, 31, 2, 30))
    first, second = parse_instant("2027-10-31T02:30+02:00"), parse_instant("2027-10-31T02:30+01:00")
    assert (second - first).total_seconds() == 3600
    # The reminder for either is the same local 10:00 the day before.
    assert day_before_reminder(first, ReminderPolicy(1, 10)) == day_before_reminder(second, ReminderPolicy(1, 10))


def test_reminder_never_after_the_pickup_itself() -> None:
    pickup = datetime(2027, 6, 12, 6, 0, tzinfo=UTC)  # 08:00 local, policy 0 days at 10:00
    assert day_before_reminder(pickup, ReminderPolicy(0, 10)) == pickup


def test_category_policy_caravan_two_days_default_one() -> None:
    assert CONFIG.policy_for(["caravan"]).days_before == 2
    assert CONFIG.policy_for(["sewing_machine"]).days_before == 1
    assert CONFIG.policy_for(["sewing_machine", "give_box"]).days_before == 2
    assert NotifyConfig(category_days={"tool": 3}).policy_for(["tool"]).days_before == 3


def test_approved_booking_has_all_reminders_cancelled_none() -> None:
    pickup, back = datetime(2027, 6, 12, 8, tzinfo=UTC), datetime(2027, 6, 14, 8, tzinfo=UTC)
    kinds = [d.kind for d in reminders_for("approved", pickup, back, ["tool"], CONFIG)]
    assert kinds == ["pickup_reminder", "return_reminder", "overdue_notice", "overdue_escalation"]
    assert next(d.kind for d in reminders_for("picked_up", pickup, back, ["tool"], CONFIG)) == "return_reminder"
    for status in ("submitted", "cancelled", "returned", "rejected", "withdrawn", "expired", "no_show"):
        assert reminders_for(status, pickup, back, ["tool"], CONFIG) == []


def test_relevance_is_checked_at_send_time() -> None:
    pickup, back = datetime(2027, 6, 12, 8, tzinfo=UTC), datetime(2027, 6, 14, 8, tzinfo=UTC)
    before = datetime(2027, 6, 12, 7, tzinfo=UTC)

    def why(kind: str, status: str, at: datetime, returned: bool = False) -> Why | None:
        return still_relevant(kind, BookingState(status, pickup, back, returned), at, CONFIG)

    assert why("pickup_reminder", "approved", before) is None
    assert why("pickup_reminder", "approved", pickup) == Why(Reason.PICKUP_PASSED)
    assert why("pickup_reminder", "cancelled", before) == Why(Reason.BOOKING_STATUS, {"status": "cancelled"})
    assert why("overdue_notice", "picked_up", back) is None
    assert why("overdue_notice", "picked_up", back, returned=True) == Why(
        Reason.BOOKING_STATUS, {"status": "picked_up"}
    )
