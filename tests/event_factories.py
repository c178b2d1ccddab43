"""Factories for events: booking envelopes as the booking service's contract (services/booking/contract.py) has
them, dumped by the contract itself; tests/integration/test_event_contract.py holds them to the real producer."""

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
        "answer": "yes",
        "verified": False,
        "provided_by_item": False,
    },
    {
        "code": "nummerplaat",
        "label_nl": "Extra nummerplaat voor de caravan",
        "label_en": "Extra licence plate for the caravan",
        "kind": "license_plate",
        "answer": "1-ABC-234",
        "verified": False,
        "provided_by_item": False,
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


# what a status page link looks like in the tests' mails: /status/<token>
def link_token(request_id: int) -> str:
    return f"geheim-{request_id}"


def booking_payload(
    request_id: int = 1,
    status: str = "requested",
    pickup_at: datetime | None = None,
    return_at: datetime | None = None,
    email: str | None = "buren@example.org",
    language: str = "nl",
    **overrides: Any,
) -> dict[str, Any]:
    pickup = pickup_at or datetime(2027, 6, 12, 8, 0, tzinfo=UTC)
    back = return_at or pickup + timedelta(days=2)
    data: dict[str, Any] = {
        "version": 1,
        "request_id": request_id,
        "reference": f"UL-{request_id:05d}",
        "status": status,
        "initiative": {"id": 3, "name": "Buurtfeest Dampoort"},
        "contact": {"name": "An Peeters", "email": email, "phone": "0470 12 34 56", "language": language},
        "location": location_payload(),
        "items": [
            {
                "item_id": 21,
                "asset_id": 11,
                "asset_code": "caravan",
                "asset_name_nl": "Caravan doorgeefbazaar",
                "asset_name_en": "Pass-on bazaar caravan",
                "category": "caravan",
                "quantity": 1,
                "requirements": CARAVAN_REQUIREMENTS,
            }
        ],
        "pickup_at": pickup,
        "return_at": back,
        "actual_pickup_at": None,
        "actual_return_at": None,
        "created_at": pickup - timedelta(days=11),
        "proxy": None,
        "reason": None,
        "reason_code": None,
        "actor": {"kind": "staff", "staff_id": 1},
    }
    data.update(overrides)
    return data


# The status each event leaves the request in, as booking's lifecycle has it.
STATUS_AFTER = {
    "submitted": "requested",
    "rescheduled": "approved",
    "contact_changed": "requested",
    "no_show": "no_show",
}
# Events whose mails carry the private link (booking issues a fresh one with each).
WITH_LINK = ("submitted", "approved", "rescheduled")


def booking_envelope(verb: str, occurred_at: datetime | None = None, **payload: Any) -> Envelope:
    """``booking.request.<verb>`` with a full snapshot dumped by booking's contract; ``version`` grows with the
    clock unless given, so events made later count as newer, as booking's own do."""
    from services.booking import contract

    payload.setdefault("status", STATUS_AFTER.get(verb, verb))
    at = occurred_at or clock.now()
    payload.setdefault("created_at", at)  # submitted now, unless the test says when
    payload.setdefault("version", int(at.timestamp()) - 1_600_000_000)  # fits an integer column until 2088
    event_type = f"booking.request.{verb}"
    version, dumped = contract.payload_of(event_type, booking_payload(**payload))
    dumped["some_future_field"] = {"tolerated": True}  # consumers must ignore what they do not know
    request_id = int(dumped["request_id"])
    return Envelope(
        type=event_type,
        payload=dumped,
        producer="booking",
        version=version,
        id=uuid.uuid4(),
        occurred_at=at,
        secret=link_token(request_id) if verb in WITH_LINK else None,
    )


def write_booking_events(session: Session, envelopes: list[Envelope]) -> None:
    """Into the booking service's own outbox table, as its code would (the relay then takes them)."""
    from services.booking.models import OutboxEvent

    for envelope in envelopes:
        record_event(session, OutboxEvent, envelope)
