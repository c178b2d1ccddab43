"""Belgium's ten legal public holidays: every community centre is closed on them.

Fixed dates and the three that follow Easter (Easter Monday, Ascension Day, Whit Monday). Easter Sunday itself
and Whit Sunday fall on a Sunday, when no centre opens anyway. Returned as codes; each surface words them.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache


class Holiday(StrEnum):
    NEW_YEAR = "new_year"
    EASTER_MONDAY = "easter_monday"
    LABOUR_DAY = "labour_day"
    ASCENSION = "ascension"
    WHIT_MONDAY = "whit_monday"
    NATIONAL_DAY = "national_day"
    ASSUMPTION = "assumption"
    ALL_SAINTS = "all_saints"
    ARMISTICE = "armistice"
    CHRISTMAS = "christmas"


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def holidays_of(year: int) -> dict[date, Holiday]:
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): Holiday.NEW_YEAR,
        easter + timedelta(days=1): Holiday.EASTER_MONDAY,
        date(year, 5, 1): Holiday.LABOUR_DAY,
        easter + timedelta(days=39): Holiday.ASCENSION,
        easter + timedelta(days=50): Holiday.WHIT_MONDAY,
        date(year, 7, 21): Holiday.NATIONAL_DAY,
        date(year, 8, 15): Holiday.ASSUMPTION,
        date(year, 11, 1): Holiday.ALL_SAINTS,
        date(year, 11, 11): Holiday.ARMISTICE,
        date(year, 12, 25): Holiday.CHRISTMAS,
    }


def holiday_on(day: date) -> Holiday | None:
    return holidays_of(day.year).get(day)
