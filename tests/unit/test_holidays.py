"""Belgium's legal holidays: the dates, and the rule that every centre is closed on them (issue: 25 December
showed "vrij" and could be requested)."""

from __future__ import annotations

from datetime import date

import pytest

from services.booking.domain.holidays import Holiday, easter_sunday, holiday_on, holidays_of

# Easter Sunday as published (Gregorian), a spread of years including the extremes 2285 (22 March) and 2038 (25 April)
EASTERS = {
    2024: date(2024, 3, 31),
    2025: date(2025, 4, 20),
    2026: date(2026, 4, 5),
    2027: date(2027, 3, 28),
    2030: date(2030, 4, 21),
    2038: date(2038, 4, 25),
    2285: date(2285, 3, 22),
}


@pytest.mark.parametrize(("year", "easter"), EASTERS.items())
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_the_ten_holidays_of_2030() -> None:
    assert holidays_of(2030) == {
        date(2030, 1, 1): Holiday.NEW_YEAR,
        date(2030, 4, 22): Holiday.EASTER_MONDAY,
        date(2030, 5, 1): Holiday.LABOUR_DAY,
        date(2030, 5, 30): Holiday.ASCENSION,
        date(2030, 6, 10): Holiday.WHIT_MONDAY,
        date(2030, 7, 21): Holiday.NATIONAL_DAY,
        date(2030, 8, 15): Holiday.ASSUMPTION,
        date(2030, 11, 1): Holiday.ALL_SAINTS,
        date(2030, 11, 11): Holiday.ARMISTICE,
        date(2030, 12, 25): Holiday.CHRISTMAS,
    }
    assert holiday_on(date(2030, 12, 24)) is None and holiday_on(date(2030, 12, 26)) is None
