"""Turning what people type into instants: Europe/Brussels wall-clock times, checked against DST.

A wall-clock time that does not exist (02:30 on the spring switch) is refused; one that exists twice (02:30 on
the autumn switch) is refused unless the offset says which of the two is meant. Nothing is guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.clock import BRUSSELS
from shared.errors import coded

# What people type is reckoned with only within these years: beyond them Python's dates overflow when a time zone
# or a turnaround buffer is applied (found by the fuzz tests: year 1 with an offset was a 500).
EARLIEST = date(1970, 1, 1)
LATEST = date(2199, 12, 31)
# The messages are the API's English words; each is registered as a code (shared.errors.coded) that the pages
# say in Dutch or English.
MISSING = coded("datetime_missing", "Give a date and a time.")
INVALID = coded("datetime_invalid", "Not a valid date and time; for example 2026-09-12T10:00.")
DAY_INVALID = coded("date_invalid", "Not a valid date; for example 2026-09-12.")
OUT_OF_RANGE = coded("date_out_of_range", "Choose a date between 1970 and 2199.")
OFFSET_INVALID = coded("offset_invalid", "Not a valid time zone offset.")
NONEXISTENT = coded(
    "time_nonexistent", "This time does not exist in Brussels (the clocks go forward an hour then); choose another."
)
AMBIGUOUS = coded(
    "time_ambiguous", "This time happens twice in Brussels (the clocks go back an hour then); give the offset."
)


class AmbiguousLocalTime(ValueError):
    pass


class NonExistentLocalTime(ValueError):
    pass


def localize(naive: datetime) -> datetime:
    """Attach Europe/Brussels to a naive wall-clock time.

    Raises NonExistentLocalTime in the spring gap and AmbiguousLocalTime in the autumn overlap.
    """
    first = naive.replace(tzinfo=BRUSSELS, fold=0)
    second = naive.replace(tzinfo=BRUSSELS, fold=1)
    # In a gap, the wall time does not survive a round trip through UTC.
    if first.astimezone(UTC).astimezone(BRUSSELS).replace(tzinfo=None) != naive:
        raise NonExistentLocalTime(NONEXISTENT)
    if first.utcoffset() != second.utcoffset():
        raise AmbiguousLocalTime(AMBIGUOUS)
    return first


def parse_instant(value: str) -> datetime:
    """An ISO 8601 date-time with or without offset; without one it is Brussels wall-clock time.

    Raises ValueError (or its DST subclasses) whose message is one of this module's coded messages.
    """
    text = value.strip()
    if not text:
        raise ValueError(MISSING)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(INVALID) from None
    if not EARLIEST <= parsed.date() <= LATEST:
        raise ValueError(OUT_OF_RANGE)
    if parsed.tzinfo is None:
        parsed = localize(parsed)
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > timedelta(hours=14):
        raise ValueError(OFFSET_INVALID)
    return parsed.astimezone(UTC)


def parse_day(value: str) -> date:
    """An ISO 8601 calendar date (2026-09-12) between 1970 and 2199.

    Raises ValueError whose message is one of this module's coded messages.
    """
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(DAY_INVALID) from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(OUT_OF_RANGE)
    return day


def whole_number(value: str, maximum: int = 10**9) -> int | None:
    """A whole number as typed in a form field (ASCII digits only: '²' or '١٢' are not numbers here), or None."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None
