"""The order of a loan's reminders: the pick-up reminder at or before the pick-up, the return reminder strictly
after the pick-up and before the return, for loans of 2 hours, 1 day and 2 days, in summer and across both
daylight-saving switches; and the centre's warning before a pending request expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.config import NotifyConfig
from services.notify.domain.schedule import expiry_warning_due, reminders_for
from shared import clock
from shared.timeparse import parse_instant

CONFIG = NotifyConfig()
LOANS = {"2 h": timedelta(hours=2), "1 day": timedelta(days=1), "2 days": timedelta(days=2)}
PICKUPS = {
    "summer": "2027-06-12T10:00",
    "spring switch": "2027-03-28T10:00",  # the 23-hour day
    "day before spring": "2027-03-27T14:00",
    "autumn switch": "2027-10-31T10:00",  # the 25-hour day
    "day before autumn": "2027-10-30T16:00",
}


@pytest.mark.parametrize("categories", [["sewing_machine"], ["caravan"]])  # 1 and 2 days before
@pytest.mark.parametrize("pickup_local", list(PICKUPS.values()), ids=list(PICKUPS))
@pytest.mark.parametrize("length", list(LOANS.values()), ids=list(LOANS))
def test_the_return_reminder_comes_after_the_pickup_and_its_reminder(
    length: timedelta, pickup_local: str, categories: list[str]
) -> None:
    pickup = parse_instant(pickup_local)
    back = pickup + length
    due = {d.kind: d.due_at for d in reminders_for("approved", pickup, back, categories, CONFIG)}
    assert due["pickup_reminder"] <= pickup < due["return_reminder"] < back
    local = clock.to_local(due["return_reminder"])
    assert 7 <= local.hour <= 22, f"a reminder at {local:%H:%M} local wakes nobody up, but reaches nobody either"


def test_a_one_day_loan_is_reminded_of_its_return_on_the_morning_of_the_return() -> None:
    pickup = parse_instant("2027-06-12T10:00")
    due = {d.kind: d.due_at for d in reminders_for("approved", pickup, pickup + timedelta(days=1), ["tool"], CONFIG)}
    assert clock.to_local(due["pickup_reminder"]).isoformat() == "2027-06-11T10:00:00+02:00"
    assert clock.to_local(due["return_reminder"]).isoformat() == "2027-06-13T08:00:00+02:00"


def test_a_two_day_caravan_loan_is_reminded_the_day_before_the_return() -> None:
    pickup = parse_instant("2027-10-30T10:00")  # return on the autumn switch day
    back = pickup + timedelta(days=2)
    due = {d.kind: d.due_at for d in reminders_for("approved", pickup, back, ["caravan"], CONFIG)}
    assert clock.to_local(due["return_reminder"]).isoformat() == "2027-10-31T10:00:00+01:00"


def test_a_two_hour_loan_is_reminded_halfway() -> None:
    pickup = parse_instant("2027-06-12T10:00")
    due = {d.kind: d.due_at for d in reminders_for("approved", pickup, pickup + timedelta(hours=2), [], CONFIG)}
    assert clock.to_local(due["return_reminder"]).isoformat() == "2027-06-12T11:00:00+02:00"


def test_the_centre_is_warned_a_day_before_a_pending_request_expires() -> None:
    created = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    pickup = datetime(2027, 6, 20, 8, 0, tzinfo=UTC)
    assert expiry_warning_due(created, pickup, CONFIG) == created + timedelta(hours=48)
    wanted = reminders_for("requested", pickup, pickup + timedelta(days=1), [], CONFIG, created_at=created)
    assert [(d.kind, d.audience, d.due_at) for d in wanted] == [
        ("expiry_warning", "staff", created + timedelta(hours=48))
    ]
    # a pick-up sooner than the expiry: it expires at the pick-up, the warning a day before that
    soon = created + timedelta(hours=40)
    assert expiry_warning_due(created, soon, CONFIG) == soon - timedelta(hours=24)
    # no time to warn: the new-request mail names the deadline
    assert expiry_warning_due(created, created + timedelta(hours=20), CONFIG) is None
    assert reminders_for("approved", pickup, pickup + timedelta(days=1), [], CONFIG, created_at=created)[0].kind != (
        "expiry_warning"
    )
