"""iCalendar (RFC 5545) by hand: the loan as an appointment in the requester's mail, and the staff feeds.

- In a mail (approved, rescheduled, cancelled) the loan is **one** appointment, ``UID:booking-<id>@…``, from
  pick-up to return, with ``METHOD:REQUEST`` (new or moved) or ``METHOD:CANCEL``. ``SEQUENCE`` is the request's own
  change counter (booking's ``version``), so a reschedule or a cancellation arrives with a higher one and
  calendar apps move or remove the appointment they already have instead of adding a second.
- In a feed a loan is **two** appointments, its pick-up and its return (``booking-<id>-pickup@…`` and
  ``…-return@…``), each with an alarm, named in words ("Caravan: ophalen door Buurtfeest Dampoort (UIT-…)").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

PRODID = "-//Stad Gent//Uitleen//NL"
DOMAIN = "uitleen.stad.gent"
# Statuses in which a loan is off: its appointment is cancelled.
CANCELLED = ("cancelled", "withdrawn", "rejected", "expired", "no_show")
APPOINTMENT = timedelta(minutes=30)  # how long a pick-up or return appointment lasts in a feed
ALARM = "-PT1H"  # an hour before

WORDS = {
    "nl": {"pickup": "ophalen", "return": "terugbrengen", "by": "door", "via": "via", "loan": "Uitlening"},
    "en": {"pickup": "pick-up", "return": "return", "by": "by", "via": "via", "loan": "Loan"},
}


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 §3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _language(language: str) -> str:
    return language if language in WORDS else "nl"


def item_names(booking: dict[str, Any], language: str, asset_id: int | None = None) -> list[str]:
    """The booked assets' names (only ``asset_id``'s, for one asset's feed)."""
    return [
        str(i.get(f"asset_name_{language}") or i.get("asset_name_nl") or i.get("asset_code") or "")
        for i in booking.get("items", [])
        if asset_id is None or i.get("asset_id") == asset_id
    ]


def _address(location: dict[str, Any]) -> str:
    return f"{location.get('name', '')}, {location.get('street', '')}, {location.get('postal_code', '')} " + (
        location.get("city") or "Gent"
    )


def loan_appointment(
    booking: dict[str, Any], location: dict[str, Any], language: str, now: datetime, organizer: str, attendee: str
) -> list[str]:
    """The loan as one appointment for the requester's own calendar (see the module docstring)."""
    lang = _language(language)
    title = f"{WORDS[lang]['loan']} {booking.get('reference', '')}: {', '.join(item_names(booking, lang))}"
    status = "CANCELLED" if booking.get("status") in CANCELLED else "CONFIRMED"
    return [
        "BEGIN:VEVENT",
        f"UID:booking-{booking['request_id']}@{DOMAIN}",
        f"SEQUENCE:{int(booking.get('version') or 0)}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(_instant(booking['pickup_at']))}",
        f"DTEND:{_stamp(_instant(booking['return_at']))}",
        f"SUMMARY:{_escape(title)}",
        f"LOCATION:{_escape(_address(location))}",
        f"DESCRIPTION:{_escape((booking.get('initiative') or {}).get('name') or '')}",
        f"ORGANIZER:mailto:{_mailbox(organizer)}",
        f"ATTENDEE;RSVP=FALSE:mailto:{attendee}",
        f"STATUS:{status}",
        *_alarm(title),
        "END:VEVENT",
    ]


@lru_cache(maxsize=8)
def _mailbox(address: str) -> str:
    return parseaddr(address)[1]  # the sender: the same for every mail


def _alarm(text: str) -> list[str]:
    return ["BEGIN:VALARM", "ACTION:DISPLAY", f"TRIGGER:{ALARM}", f"DESCRIPTION:{_escape(text)}", "END:VALARM"]


def feed_appointments(
    booking: dict[str, Any],
    location: dict[str, Any],
    language: str,
    now: datetime,
    own_centre: bool,
    asset_id: int | None = None,
) -> list[list[str]]:
    """The loan's pick-up and return as two appointments of a feed (see the module docstring).

    ``own_centre``: the loan is the feed's centre's; otherwise the titles name the centre it goes through and
    nothing of the requester (not even the initiative): a feed shows no other centre's requesters.
    """
    lang = _language(language)
    words = WORDS[lang]
    names = ", ".join(item_names(booking, lang, asset_id))
    reference = booking.get("reference", "")
    initiative = (booking.get("initiative") or {}).get("name") or ""
    events = []
    for moment, at in (("pickup", booking["pickup_at"]), ("return", booking["return_at"])):
        who = f" {words['by']} {initiative}" if own_centre and initiative else ""
        where = "" if own_centre else f", {words['via']} {location.get('name', '')}"
        title = f"{names}: {words[moment]}{who} ({reference}{where})"
        start = _instant(at)
        events.append(
            [
                "BEGIN:VEVENT",
                f"UID:booking-{booking['request_id']}-{moment}@{DOMAIN}",
                f"SEQUENCE:{int(booking.get('version') or 0)}",
                f"DTSTAMP:{_stamp(now)}",
                f"DTSTART:{_stamp(start)}",
                f"DTEND:{_stamp(start + APPOINTMENT)}",
                f"SUMMARY:{_escape(title)}",
                f"LOCATION:{_escape(_address(location))}",
                "STATUS:CANCELLED" if booking.get("status") in CANCELLED else "STATUS:CONFIRMED",
                *_alarm(title),
                "END:VEVENT",
            ]
        )
    return events


def calendar(events: Iterable[list[str]], name: str, method: str = "PUBLISH") -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", f"METHOD:{method}"]
    lines.append(f"X-WR-CALNAME:{_escape(name)}")
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
