"""iCalendar (RFC 5545) by hand: one VEVENT per loan, for the approval mail and the staff feeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

PRODID = "-//Stad Gent//Uitleen//NL"


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


def loan_event(booking: dict[str, Any], location: dict[str, Any], language: str, now: datetime) -> list[str]:
    names = [str(i.get(f"asset_name_{language}") or i.get("asset_name_nl") or "") for i in booking.get("items", [])]
    title = ("Uitlening" if language == "nl" else "Loan") + f" {booking.get('reference', '')}: {', '.join(names)}"
    address = f"{location.get('name', '')}, {location.get('street', '')}, {location.get('postal_code', '')} " + (
        location.get("city") or "Gent"
    )
    status = "CANCELLED" if booking.get("status") in ("cancelled", "withdrawn", "rejected", "expired") else "CONFIRMED"
    lines = [
        "BEGIN:VEVENT",
        f"UID:booking-{booking['request_id']}@uitleen.stad.gent",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(datetime.fromisoformat(str(booking['pickup_at']).replace('Z', '+00:00')))}",
        f"DTEND:{_stamp(datetime.fromisoformat(str(booking['return_at']).replace('Z', '+00:00')))}",
        f"SUMMARY:{_escape(title)}",
        f"LOCATION:{_escape(address)}",
        f"DESCRIPTION:{_escape((booking.get('initiative') or {}).get('name') or '')}",
        f"STATUS:{status}",
        "END:VEVENT",
    ]
    return lines


def calendar(events: Iterable[list[str]], name: str) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    lines.append(f"X-WR-CALNAME:{_escape(name)}")
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
