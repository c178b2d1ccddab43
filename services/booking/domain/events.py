"""Booking's events: every transition emits one, its payload the request's snapshot (services/booking/contract.py).

The snapshot is built once per change, from the rows the command already holds (the session's identity map
answers ``get`` without a query), and serves both the outbox and the API's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking import contract
from services.booking.contract import RequestEvent
from services.booking.models import BookingRequest, InvAsset, InvLocation, InvRequirement, OutboxEvent
from shared import clock
from shared.events import Envelope, record_event

__all__ = ["RequestEvent", "emit_contact_anonymised", "emit_request_event", "request_snapshot"]


def _location(session: Session, location_id: int) -> dict[str, Any]:
    location = session.get(InvLocation, location_id)
    if location is None:
        return {
            "id": location_id,
            **dict.fromkeys(("name", "street", "postal_code", "city", "phone", "email")),
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


_LABELS = sa.select(InvRequirement).where(InvRequirement.code.in_(sa.bindparam("codes", expanding=True)))


def _labels(session: Session, codes: set[str]) -> dict[str, InvRequirement]:
    if not codes:
        return {}
    return {r.code: r for r in session.scalars(_LABELS, {"codes": sorted(codes)})}


def request_snapshot(
    session: Session, request: BookingRequest, labels: Mapping[str, InvRequirement] | None = None
) -> dict[str, Any]:
    """The request as the contract's ``RequestSnapshotPayload`` has it (datetimes still as datetimes).

    ``labels``: the requirements by code when the caller holds them already (else they are read).
    """
    if labels is None:
        labels = _labels(session, {req.code for item in request.items for req in item.requirements})
    items = []
    for item in request.items:
        asset = session.get(InvAsset, item.asset_id)
        items.append(
            {
                "item_id": item.id,
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
                        "provided_by_item": req.provided_by_item,
                    }
                    for req in item.requirements
                ],
            }
        )
    return {
        "version": request.version,
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
        "pickup_at": request.pickup_at,
        "return_at": request.return_at,
        "actual_pickup_at": request.actual_pickup_at,
        "actual_return_at": request.actual_return_at,
        "proxy": (
            {"by_staff_id": request.proxy_by_staff_id, "consent": request.proxy_consent}
            if request.proxy_by_staff_id is not None
            else None
        ),
        "created_at": request.created_at,
    }


def emit_request_event(
    session: Session,
    request: BookingRequest,
    event: RequestEvent,
    actor: dict[str, Any],
    reason: str | None = None,
    reason_code: str | None = None,
    secret: str | None = None,
    labels: Mapping[str, InvRequirement] | None = None,
) -> dict[str, Any]:
    """Record ``booking.request.<event>`` in the outbox, in the caller's transaction; returns the snapshot.

    ``secret`` travels in the envelope only (the private link's token for the confirmation mail); ``labels`` as
    for ``request_snapshot``.
    """
    snapshot = request_snapshot(session, request, labels)
    data = {**snapshot, "reason": reason, "reason_code": reason_code, "actor": actor}
    version, payload = contract.payload_of(event.type, data)
    envelope = Envelope(type=event.type, payload=payload, producer=contract.PRODUCER, version=version, secret=secret)
    record_event(session, OutboxEvent, envelope)
    return snapshot


def emit_contact_anonymised(session: Session, request: BookingRequest, why: str, actor: dict[str, Any]) -> Envelope:
    """Record ``booking.contact.anonymised`` (v1): consumers blank their copies of the request's contact.

    The payload names the request only; it carries no personal data.
    """
    session.flush()  # the anonymised row's version is the payload's
    data = {
        "version": request.version,
        "request_id": request.id,
        "reference": request.reference,
        "anonymised_at": request.anonymised_at or clock.now(),
        "reason": why,
        "actor": actor,
    }
    version, payload = contract.payload_of(contract.CONTACT_ANONYMISED, data)
    envelope = Envelope(type=contract.CONTACT_ANONYMISED, payload=payload, producer=contract.PRODUCER, version=version)
    record_event(session, OutboxEvent, envelope)
    return envelope
