"""Booking's events: every transition emits one, its payload a full snapshot of the request (docs/events.md)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.models import BookingRequest, InvAsset, InvLocation, InvRequirement, OutboxEvent
from shared import clock
from shared.events import Envelope, record_event

PRODUCER = "booking"
EVENT_VERSION = 1
EVENT_TYPES = (
    "submitted",
    "approved",
    "rejected",
    "withdrawn",
    "cancelled",
    "picked_up",
    "returned",
    "overdue",
    "expired",
    "no_show",
    "rescheduled",
    "contact_changed",
)


def _location(session: Session, location_id: int) -> dict[str, Any]:
    location = session.get(InvLocation, location_id)
    if location is None:
        return {
            "id": location_id,
            "name": None,
            "street": None,
            "postal_code": None,
            "city": None,
            "phone": None,
            "email": None,
            "opening_hours": [],
        }
    return {
        "id": location.id,
        "name": location.name,
        "street": location.street,
        "postal_code": location.postal_code,
        "city": location.city,
        "phone": location.phone,
        "email": location.email,
        "opening_hours": list(location.opening_hours or []),
    }


def _labels(session: Session, codes: list[str]) -> dict[str, InvRequirement]:
    return {r.code: r for r in session.scalars(sa.select(InvRequirement).where(InvRequirement.code.in_(codes)))}


def request_snapshot(session: Session, request: BookingRequest) -> dict[str, Any]:
    codes = [req.code for item in request.items for req in item.requirements]
    labels = _labels(session, codes)
    items = []
    for item in request.items:
        asset = session.get(InvAsset, item.asset_id)
        items.append(
            {
                "asset_id": item.asset_id,
                "asset_code": asset.code if asset else None,
                "asset_name_nl": asset.name_nl if asset else None,
                "asset_name_en": asset.name_en if asset else None,
                "category": asset.category if asset else None,
                "quantity": item.quantity,
                "requirements": [
                    {
                        "code": req.code,
                        "label_nl": labels[req.code].label_nl if req.code in labels else req.code,
                        "label_en": labels[req.code].label_en if req.code in labels else req.code,
                        "kind": req.kind,
                        "answer": req.answer,
                        "verified": req.verified,
                    }
                    for req in item.requirements
                ],
            }
        )
    return {
        "request_id": request.id,
        "reference": request.reference,
        "status": request.status,
        "initiative": {"id": request.initiative.id, "name": request.initiative.name},
        "contact": {
            "name": request.contact_name,
            "email": request.contact_email,
            "phone": request.contact_phone,
            "language": request.language,
        },
        "location": _location(session, request.location_id),
        "items": items,
        "pickup_at": clock.isoformat(request.pickup_at),
        "return_at": clock.isoformat(request.return_at),
        "actual_pickup_at": clock.isoformat(request.actual_pickup_at),
        "actual_return_at": clock.isoformat(request.actual_return_at),
        "proxy": (
            {"by_staff_id": request.proxy_by_staff_id, "consent": request.proxy_consent}
            if request.proxy_by_staff_id is not None
            else None
        ),
    }


def emit_request_event(
    session: Session,
    request: BookingRequest,
    verb: str,
    actor: dict[str, Any],
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Envelope:
    """Record ``booking.request.<verb>`` in the outbox, in the caller's transaction."""
    if verb not in EVENT_TYPES:
        raise ValueError(f"unknown booking event {verb!r}")
    payload = request_snapshot(session, request)
    payload["reason"] = reason
    payload["actor"] = actor
    payload.update(extra or {})
    envelope = Envelope(type=f"{PRODUCER}.request.{verb}", payload=payload, producer=PRODUCER, version=EVENT_VERSION)
    record_event(session, OutboxEvent, envelope)
    return envelope


def emit_contact_anonymised(session: Session, request: BookingRequest, why: str, actor: dict[str, Any]) -> Envelope:
    """Record ``booking.contact.anonymised`` (v1): consumers blank their copies of the request's contact.

    The payload names the request only; it carries no personal data.
    """
    payload = {
        "request_id": request.id,
        "reference": request.reference,
        "anonymised_at": clock.isoformat(request.anonymised_at),
        "reason": why,
        "actor": actor,
    }
    envelope = Envelope(
        type=f"{PRODUCER}.contact.anonymised", payload=payload, producer=PRODUCER, version=EVENT_VERSION
    )
    record_event(session, OutboxEvent, envelope)
    return envelope
