"""The inventory's events: types, versions and payloads (documented in docs/events.md).

Payloads are full snapshots of the changed thing, so a consumer can keep a copy from events alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.inventory import contract
from services.inventory.models import Asset, Location, MaintenanceWindow, OutboxEvent, Requirement
from shared.events import Envelope, record_event

PRODUCER = contract.PRODUCER


def emit(session: Session, event_type: str, data: dict[str, Any]) -> Envelope:
    """Record ``inventory.<event_type>`` with its payload as the contract (services/inventory/contract.py) has it."""
    full_type = f"{PRODUCER}.{event_type}"
    version, payload = contract.payload_of(full_type, data)
    envelope = Envelope(type=full_type, payload=payload, producer=PRODUCER, version=version)
    record_event(session, OutboxEvent, envelope)
    return envelope


def location_snapshot(location: Location) -> dict[str, Any]:
    return {
        "id": location.id,
        "code": location.code,
        "name": location.name,
        "street": location.street,
        "postal_code": location.postal_code,
        "city": location.city,
        "phone": location.phone,
        "email": location.email,
        "opening_hours": [
            {"weekday": h.weekday, "opens": h.opens.strftime("%H:%M"), "closes": h.closes.strftime("%H:%M")}
            for h in location.opening_hours
        ],
        "closures": [
            {"id": c.id, "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat(), "reason": c.reason}
            for c in location.closures
        ],
        "version": location.version,
    }


def requirement_snapshot(requirement: Requirement) -> dict[str, Any]:
    return {
        "id": requirement.id,
        "code": requirement.code,
        "kind": requirement.kind,
        "label_nl": requirement.label_nl,
        "label_en": requirement.label_en,
        "explanation_nl": requirement.explanation_nl,
        "explanation_en": requirement.explanation_en,
        "provided_by_asset_id": requirement.provided_by_asset_id,
        "version": requirement.version,
    }


def asset_snapshot(asset: Asset) -> dict[str, Any]:
    return {
        "id": asset.id,
        "code": asset.code,
        "name_nl": asset.name_nl,
        "name_en": asset.name_en,
        "category": asset.category,
        "location_id": asset.location_id,
        "quantity": asset.quantity,
        "turnaround_before_hours": asset.turnaround_before_hours,
        "turnaround_after_hours": asset.turnaround_after_hours,
        "lead_time_hours": asset.lead_time_hours,
        "min_loan_hours": asset.min_loan_hours,
        "max_loan_hours": asset.max_loan_hours,
        "public": asset.public,
        "status": asset.status,
        "requirement_codes": sorted(r.code for r in asset.requirements),
        "version": asset.version,
    }


def maintenance_snapshot(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": window.id,
        "asset_id": window.asset_id,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "reason": window.reason,
    }
