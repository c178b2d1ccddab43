"""Property tests (hypothesis) for the parsers of what people type that test_timeparse and test_booking_plates
leave open: calendar days, instants at the edges of the calendar, form numbers, opening hours and quantities.

Each parser either returns a value within its documented range or refuses with its own error (ValueError,
marshmallow's ValidationError, InvalidInput): never anything else, which would be a 500.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise

import marshmallow as ma
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booking.api.schemas import ItemInSchema
from services.booking.web.forms import form_quantity
from services.inventory.api.schemas import LocationInSchema
from services.inventory.domain.locations import check_opening_hours
from shared import timeparse
from shared.errors import InvalidInput
from shared.timeparse import EARLIEST, LATEST, parse_day, parse_instant, whole_number

OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=5)), timezone(timedelta(hours=-11, minutes=-30))])


@given(st.text(max_size=30))
def test_any_text_is_a_day_in_range_or_a_value_error(text):
    try:
        day = parse_day(text)
    except ValueError as error:
        assert str(error) in (timeparse.DAY_INVALID, timeparse.OUT_OF_RANGE)
    else:
        assert EARLIEST <= day <= LATEST


@given(st.dates())
def test_every_calendar_day_is_read_back_or_refused_as_out_of_range(day):
    if EARLIEST <= day <= LATEST:
        assert parse_day(day.isoformat()) == day
    else:
        with pytest.raises(ValueError, match="between 1970 and 2199"):
            parse_day(day.isoformat())


@given(st.datetimes(timezones=st.none() | OFFSETS))
def test_instants_anywhere_on_the_calendar_parse_or_are_refused_never_overflow(moment):
    # Year 1 with +05:00 overflowed in the conversion to UTC: a 500 on POST /booking/requests.
    try:
        parsed = parse_instant(moment.isoformat())
    except ValueError:
        assert not (EARLIEST + timedelta(days=1) <= moment.date() <= LATEST - timedelta(days=1)) or (
            moment.tzinfo is None
        )
    else:
        assert parsed.tzinfo is UTC
        assert EARLIEST - timedelta(days=1) <= parsed.date() <= LATEST + timedelta(days=1)


@given(st.text(max_size=20))
def test_a_typed_number_is_a_whole_number_in_range_or_none(text):
    number = whole_number(text, maximum=1000)
    assert number is None or 0 <= number <= 1000
    quantity = form_quantity(text)
    assert quantity == text or (isinstance(quantity, int) and quantity >= 0)


@given(st.integers(0, 10**9), st.sampled_from(["", " ", "\t"]))
def test_ascii_digits_are_read_whatever_the_spaces(number, space):
    assert whole_number(f"{space}{number}{space}") == number
    assert form_quantity(f"{space}{number}") == number


@pytest.mark.parametrize("typed", ["²", "١٢", "½", "1e3", "-1", "+1", "1.0", "0x1f", "1_000"])
def test_things_that_look_like_numbers_are_not(typed):
    # '²'.isdigit() is true and int('²') raises: the request form and the management pages were 500s.
    assert whole_number(typed) is None
    assert form_quantity(typed) == typed


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)


@given(JSON)
def test_a_quantity_is_a_whole_number_from_1_to_1000_or_refused(quantity):
    try:
        loaded = ItemInSchema().load({"asset_id": 1, "quantity": quantity})
    except ma.ValidationError as error:
        assert "quantity" in error.messages
    else:
        assert type(loaded.quantity) is int and 1 <= loaded.quantity <= 1000


TIMES = st.one_of(
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.text(alphabet="0123456789:ap.", max_size=6),
    st.text(max_size=6),
    st.integers(),
    st.none(),
)


@given(st.lists(st.fixed_dictionaries({"weekday": JSON | st.integers(-2, 9), "opens": TIMES, "closes": TIMES})))
def test_opening_hours_are_valid_intervals_or_refused_naming_the_entry(hours):
    base = {"code": "bc-x", "name": "BC", "street": "Straat 1", "postal_code": "9000"}
    try:
        loaded = LocationInSchema().load({**base, "opening_hours": hours})
        check_opening_hours(loaded["opening_hours"])
    except ma.ValidationError as error:
        assert "opening_hours" in error.messages
    except InvalidInput as error:
        assert error.problems[0].field.startswith("opening_hours.")
    else:
        by_day: dict[int, list[tuple[time, time]]] = {}
        for interval in loaded["opening_hours"]:
            assert 0 <= interval["weekday"] <= 6 and interval["opens"] < interval["closes"]
            by_day.setdefault(interval["weekday"], []).append((interval["opens"], interval["closes"]))
        for intervals in by_day.values():
            intervals.sort()
            assert all(a[1] <= b[0] for a, b in pairwise(intervals))


def test_the_edges_of_the_range_are_instants_too():
    assert parse_instant("1970-01-01T12:00") == datetime(1970, 1, 1, 11, 0, tzinfo=UTC)
    assert parse_instant("2199-12-31T12:00+00:00") == datetime(2199, 12, 31, 12, 0, tzinfo=UTC)
    for typed in ("0001-01-01T00:30+05:00", "9999-12-31T23:59-05:00", "1969-12-31T23:00"):
        with pytest.raises(ValueError, match="between 1970 and 2199"):
            parse_instant(typed)
    assert parse_day(" 2030-03-04 ") == date(2030, 3, 4)
