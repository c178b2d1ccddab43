"""Turning what people type into instants: Europe/Brussels wall-clock times, checked against DST.

A wall-clock time that does not exist (02:30 on the spring switch) is refused; one that exists twice (02:30 on
the autumn switch) is refused unless the offset says which of the two is meant. Nothing is guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.clock import BRUSSELS


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
    if parsed.tzinfo is None:
        parsed = localize(parsed)
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > timedelta(hours=14):
        raise ValueError("Ongeldige tijdzone.")
    return parsed.astimezone(UTC)
