"""Factories for events: booking envelopes exactly as the booking service's contract describes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from shared import clock
from shared.events import Envelope, record_event

CARAVAN_REQUIREMENTS = [
    {
        "code": "trekhaak",
        "label_nl": "Wagen met trekhaak",
        "label_en": "Car with a tow hitch",
        "kind": "confirm",
        "answer": "ja",
        "verified": False,
    },
    {
        "code": "nummerplaat",
        "label_nl": "Extra nummerplaat voor de caravan",
        "label_en": "Extra licence plate for the caravan",
        "kind": "license_plate",
        "answer": "1-ABC-234",
        "verified": False,
    },
]


def location_payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": 7,
        "name": "Buurtcentrum Dampoort",
        "street": "Dampoortstraat 2",
        "postal_code": "9000",
        "city": "Gent",
        "phone": "09 266 00 02",
        "email": "bc.dampoort@example.org",
        "opening_hours": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)],
    }
    data.update(overrides)
    return data


def booking_payload(
    request_id: int = 1,
    status: str = "submitted",
    pickup_at: datetime | None = None,
    return_at: datetime | None = None,
    email: str | None = "buren@example.org",
    language: str = "nl",
    **overrides: Any,
) -> dict[str, Any]:
    pickup = pickup_at or datetime(2027, 6, 12, 8, 0, tzinfo=UTC)
    back = return_at or pickup + timedelta(days=2)
    data: dict[str, Any] = {
        "request_id": request_id,
        "reference": f"UL-{request_id:05d}",
        "status": status,
        "initiative": {"id": 3, "name": "Buurtfeest Dampoort"},
        "contact": {"name": "An Peeters", "email": email, "phone": "0470 12 34 56", "language": language},
        "location": location_payload(),
        "items": [
            {
                "asset_id": 11,
                "asset_code": "caravan",
                "asset_name_nl": "Caravan doorgeefbazaar",
                "asset_name_en": "Pass-on bazaar caravan",
                "category": "caravan",
                "quantity": 1,
                "requirements": CARAVAN_REQUIREMENTS,
            }
        ],
        "pickup_at": pickup.isoformat(),
        "return_at": back.isoformat(),
        "actual_pickup_at": None,
        "actual_return_at": None,
        "proxy": None,
        "reason": None,
        "actor": {"kind": "staff", "id": 1},
        "some_future_field": {"tolerated": True},
    }
    if status == "submitted":
        data["status_url"] = f"/aanvraag/{request_id}/geheim-{request_id}"
    data.update(overrides)
    return data


def booking_envelope(verb: str, occurred_at: datetime | None = None, **payload: Any) -> Envelope:
    status = {
        "submitted": "submitted",
        "rescheduled": "approved",
        "contact_changed": payload.get("status", "submitted"),
    }.get(verb, verb)
    payload.setdefault("status", status)
    return Envelope(
        type=f"booking.request.{verb}",
        payload=booking_payload(**payload),
        producer="booking",
        id=uuid.uuid4(),
        occurred_at=occurred_at or clock.now(),
    )


def write_booking_events(session: Session, envelopes: list[Envelope]) -> None:
    """Into the booking service's own outbox table, as its code would (the relay then takes them)."""
    from services.booking.models import OutboxEvent

    for envelope in envelopes:
        record_event(session, OutboxEvent, envelope)
