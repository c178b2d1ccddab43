"""Booking's copy of what it needs from inventory, kept by applying inventory's events.

Every payload is a full snapshot, so applying an event is an upsert by id. Assets, locations and requirements
carry a ``version`` (inventory's optimistic-lock counter): an event older than the copy is ignored, so a
redelivered or reordered event can never roll the copy back. Maintenance windows have no version; their
removal leaves a tombstone so a late 'added' cannot bring them back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from services.booking.domain.shortfalls import record_shortfall
from services.booking.models import (
    ALLOCATING_STATUSES,
    Allocation,
    BookingRequest,
    InvAsset,
    InvLocation,
    InvMaintenanceWindow,
    InvRequirement,
)
from shared import clock
from shared.events import Envelope

log = structlog.get_logger(__name__)
Versioned = TypeVar("Versioned", InvAsset, InvLocation, InvRequirement)

LOCATION_FIELDS = ("code", "name", "street", "postal_code", "city", "phone", "email", "opening_hours", "closures")
# fields a snapshot of an older producer may lack, read as empty
LISTS = frozenset({"opening_hours", "closures", "requirement_codes"})
REQUIREMENT_FIELDS = ("code", "kind", "label_nl", "label_en", "provided_by_asset_id")
ASSET_FIELDS = (
    "code",
    "name_nl",
    "name_en",
    "category",
    "location_id",
    "quantity",
    "turnaround_before_hours",
    "turnaround_after_hours",
    "lead_time_hours",
    "min_loan_hours",
    "max_loan_hours",
    "public",
    "status",
    "requirement_codes",
)


def _upsert(
    session: Session, model: type[Versioned], payload: dict[str, Any], fields: tuple[str, ...]
) -> Versioned | None:
    """The row as the snapshot has it, or None when the event was older than the copy (nothing changed)."""
    # FOR UPDATE: an asset row is also the allocation lock, so a copy update waits for running approvals.
    row = session.get(model, payload["id"], with_for_update=True)
    version = int(payload["version"])
    if row is None:
        row = model(id=payload["id"], version=version)
        session.add(row)
    elif row.version >= version:
        log.info("stale_inventory_event_ignored", model=model.__name__, id=row.id, have=row.version, got=version)
        return None
    for name in fields:
        value = payload.get(name)
        setattr(row, name, [] if value is None and name in LISTS else value)
    row.version = version
    session.flush()
    return row


def _location(session: Session, envelope: Envelope) -> None:
    _upsert(session, InvLocation, envelope.payload, LOCATION_FIELDS)


def _requirement(session: Session, envelope: Envelope) -> None:
    _upsert(session, InvRequirement, envelope.payload, REQUIREMENT_FIELDS)


def _asset(session: Session, envelope: Envelope) -> None:
    asset = _upsert(session, InvAsset, envelope.payload, ASSET_FIELDS)
    if asset is not None:
        # fewer units (or retired) than the loans already promised: recorded and flagged, never refused (the asset
        # really has fewer units); the row lock taken by _upsert keeps approvals out meanwhile
        record_shortfall(session, asset, clock.now())


def _maintenance_added(session: Session, envelope: Envelope) -> None:
    payload = envelope.payload
    # The asset row is the allocation lock: an approval running now either committed before (its loan is
    # reported as hit below) or waits and then sees this window (and refuses).
    session.get(InvAsset, payload["asset_id"], with_for_update=True)
    window = session.get(InvMaintenanceWindow, payload["id"])
    if window is not None:
        return  # redelivery, or a late 'added' after 'removed' (tombstone)
    window = InvMaintenanceWindow(
        id=payload["id"],
        asset_id=payload["asset_id"],
        starts_at=datetime.fromisoformat(payload["starts_at"]),
        ends_at=datetime.fromisoformat(payload["ends_at"]),
        reason=payload.get("reason", ""),
        received_at=clock.now(),
    )
    session.add(window)
    session.flush()
    for request_id in loans_hit_by(session, window):
        log.warning("maintenance_hits_loan", request_id=request_id, window_id=window.id)


def _maintenance_removed(session: Session, envelope: Envelope) -> None:
    payload = envelope.payload
    window = session.get(InvMaintenanceWindow, payload["id"])
    if window is None:
        # removed before we saw it added: keep a tombstone so the late 'added' is ignored
        window = InvMaintenanceWindow(
            id=payload["id"],
            asset_id=payload["asset_id"],
            starts_at=datetime.fromisoformat(payload["starts_at"]),
            ends_at=datetime.fromisoformat(payload["ends_at"]),
            reason=payload.get("reason", ""),
        )
        session.add(window)
    if window.removed_at is None:
        window.removed_at = clock.now()
    session.flush()


def loans_hit_by(session: Session, window: InvMaintenanceWindow) -> list[int]:
    """Ids of the requests whose active allocations the window overlaps (read-only).

    The hit is derived, never stored: storing it would make this handler lock request rows while it holds the
    asset lock, the opposite order of an approval, and so risk a deadlock.
    """
    query = (
        sa.select(BookingRequest.id)
        .join(Allocation, Allocation.request_id == BookingRequest.id)
        .where(
            Allocation.asset_id == window.asset_id,
            Allocation.active.is_(True),
            Allocation.blocked_from < window.ends_at,
            window.starts_at < Allocation.blocked_until,
            BookingRequest.status.in_(ALLOCATING_STATUSES),
        )
    )
    return sorted(set(session.scalars(query)))


HANDLERS: dict[str, Callable[[Session, Envelope], None]] = {
    "inventory.location.created": _location,
    "inventory.location.updated": _location,
    "inventory.requirement.created": _requirement,
    "inventory.requirement.updated": _requirement,
    "inventory.asset.created": _asset,
    "inventory.asset.updated": _asset,
    "inventory.asset.retired": _asset,
    "inventory.maintenance_window.added": _maintenance_added,
    "inventory.maintenance_window.removed": _maintenance_removed,
}


def apply_inventory_event(session: Session, envelope: Envelope) -> None:
    """Apply one inventory event to the copy, in the caller's transaction. Unknown types are ignored."""
    handler = HANDLERS.get(envelope.type)
    if handler is None:
        log.info("inventory_event_ignored", type=envelope.type, event_id=str(envelope.id))
        return
    handler(session, envelope)
