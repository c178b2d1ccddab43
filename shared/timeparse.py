"""Turning what people type into instants: Europe/Brussels wall-clock times, checked against DST.

A wall-clock time that does not exist (02:30 on the spring switch) is refused; one that exists twice (02:30 on
the autumn switch) is refused unless the offset says which of the two is meant. Nothing is guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.clock import BRUSSELS

# What people type is reckoned with only within these years: beyond them Python's dates overflow when a time zone
# or a turnaround buffer is applied (found by the fuzz tests: year 1 with an offset was a 500).
EARLIEST = date(1970, 1, 1)
LATEST = date(2199, 12, 31)
OUT_OF_RANGE = "Kies een datum tussen 1970 en 2199."


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
        raise NonExistentLocalTime(
            f"{naive:%d-%m-%Y %H:%M} bestaat niet in Brussel (de klok springt dan een uur vooruit); kies een ander uur."
        )
    if first.utcoffset() != second.utcoffset():
        raise AmbiguousLocalTime(
            f"{naive:%d-%m-%Y %H:%M} komt twee keer voor in Brussel (de klok gaat dan een uur terug); "
            "geef de tijdzone mee (+02:00 of +01:00)."
        )
    return first


def parse_instant(value: str) -> datetime:
    """An ISO 8601 date-time with or without offset; without one it is Brussels wall-clock time.

    Raises ValueError (or its DST subclasses) with a message fit for the person who typed it.
    """
    text = value.strip()
    if not text:
        raise ValueError("Vul een datum en uur in.")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError("Geen geldige datum en uur; gebruik bijvoorbeeld 2026-09-12T10:00.") from None
    if not EARLIEST <= parsed.date() <= LATEST:
        raise ValueError(OUT_OF_RANGE)
    if parsed.tzinfo is None:
        parsed = localize(parsed)
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > timedelta(hours=14):
        raise ValueError("Ongeldige tijdzone.")
    return parsed.astimezone(UTC)


def parse_day(value: str) -> date:
    """An ISO 8601 calendar date (2026-09-12) between 1970 and 2199.

    Raises ValueError with a message fit for the person who typed it.
    """
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("Geen geldige datum; gebruik bijvoorbeeld 2026-09-12.") from None
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
