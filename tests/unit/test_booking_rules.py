"""Pure rules: half-open overlap, peak usage of pooled quantities, who may take which step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.conflicts import overlaps, peak_usage
from services.booking.domain.lifecycle import REQUESTER, RULES, SYSTEM, can, staff_actor
from shared.auth import Principal

T0 = datetime(2030, 3, 4, tzinfo=UTC)


def h(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def test_touching_ranges_do_not_overlap():
    assert not overlaps(h(0), h(2), h(2), h(4))
    assert overlaps(h(0), h(3), h(2), h(4))


def test_peak_usage_counts_only_simultaneous_use():
    ranges = [(h(0), h(2), 1), (h(2), h(4), 2), (h(1), h(3), 1)]
    assert peak_usage(ranges, h(0), h(4)) == 3
    assert peak_usage(ranges, h(0), h(1)) == 1
    assert peak_usage(ranges, h(4), h(6)) == 0


@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 10), st.integers(1, 3)), max_size=12),
    st.integers(0, 40),
    st.integers(1, 20),
)
def test_peak_usage_equals_brute_force_per_hour(raw, start, length):
    ranges = [(h(a), h(a + d), q) for a, d, q in raw]
    brute = max(
        (sum(q for a, b, q in ranges if a <= h(t) < b) for t in range(start, start + length)),
        default=0,
    )
    assert peak_usage(ranges, h(start), h(start + length)) == brute


STAFF_HERE = staff_actor(Principal(1, "a", "staff", frozenset({1})))
STAFF_ELSEWHERE = staff_actor(Principal(2, "b", "staff", frozenset({2})))
ADMIN = staff_actor(Principal(3, "c", "admin", frozenset()))


@pytest.mark.parametrize(
    ("action", "status", "actor", "allowed"),
    [
        ("approve", "requested", STAFF_HERE, True),
        ("approve", "requested", ADMIN, True),
        ("approve", "requested", STAFF_ELSEWHERE, False),
        ("approve", "requested", REQUESTER, False),
        ("approve", "approved", STAFF_HERE, False),
        ("withdraw", "requested", REQUESTER, True),
        ("withdraw", "approved", REQUESTER, False),
        ("cancel", "approved", STAFF_HERE, True),
        ("cancel", "approved", REQUESTER, True),
        ("cancel", "requested", REQUESTER, False),
        ("pick_up", "requested", STAFF_HERE, False),
        ("return", "overdue", STAFF_HERE, True),
        ("expire", "requested", SYSTEM, True),
        ("expire", "requested", STAFF_HERE, False),
        ("mark_overdue", "picked_up", SYSTEM, True),
    ],
)
def test_can(action, status, actor, allowed):
    assert can(action, status, actor, location_id=1) is allowed


def test_reject_and_cancel_need_a_reason():
    assert RULES["reject"].reason_required and RULES["cancel"].reason_required
    assert not RULES["approve"].reason_required
