from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.timeparse import AmbiguousLocalTime, NonExistentLocalTime, parse_instant


def test_brussels_wall_clock_is_converted_to_utc():
    assert parse_instant("2026-09-12T10:00") == datetime(2026, 9, 12, 8, 0, tzinfo=UTC)
    assert parse_instant("2026-12-12T10:00") == datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
    assert parse_instant("2026-09-12T10:00:00Z") == datetime(2026, 9, 12, 10, 0, tzinfo=UTC)


def test_a_time_in_the_spring_gap_is_refused():
    with pytest.raises(NonExistentLocalTime, match="does not exist"):
        parse_instant("2027-03-28T02:30")


def test_a_time_that_happens_twice_needs_its_offset():
    with pytest.raises(AmbiguousLocalTime, match="happens twice"):
        parse_instant("2027-10-31T02:30")
    assert parse_instant("2027-10-31T02:30+02:00") == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert parse_instant("2027-10-31T02:30+01:00") == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "morgen", "2026-02-30T10:00", "12/09/2026", "2026-09-12T10:00+25:00"])
def test_garbage_is_a_value_error_with_a_dutch_message(text):
    with pytest.raises(ValueError):
        parse_instant(text)


@given(st.text(max_size=40))
def test_any_text_either_parses_to_utc_or_raises_value_error(text):
    try:
        result = parse_instant(text)
    except ValueError:
        return
    assert result.tzinfo is UTC


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_every_existing_unambiguous_local_time_round_trips(naive):
    try:
        instant = parse_instant(naive.isoformat())
    except (NonExistentLocalTime, AmbiguousLocalTime):
        return
    from shared.clock import BRUSSELS

    assert instant.astimezone(BRUSSELS).replace(tzinfo=None) == naive
