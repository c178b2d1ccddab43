"""Maintenance windows: times an asset is away (repair, inspection) and cannot be lent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.inventory.domain.assets import get_asset
from services.inventory.domain.errors import AssetNotFound, AssetRetired, MaintenanceWindowNotFound
from services.inventory.domain.events import emit, maintenance_snapshot
from services.inventory.domain.permissions import check_can_manage_location
from services.inventory.models import MaintenanceWindow
from shared.auth import Principal
from shared.errors import InvalidInput


@dataclass(frozen=True)
class PublicWindow:
    """A maintenance window as the public sees it: when the asset is away, not why (a reason is staff's note)."""

    id: int
    asset_id: int
    starts_at: datetime
    ends_at: datetime
    reason: None = None


def list_maintenance_windows(session: Session, asset_id: int) -> list[MaintenanceWindow]:
    """Every window of the asset, earliest first, with its reason (for staff). Raises AssetNotFound."""
    get_asset(session, asset_id)
    query = sa.select(MaintenanceWindow).where(MaintenanceWindow.asset_id == asset_id)
    return list(session.scalars(query.order_by(MaintenanceWindow.starts_at)))


def maintenance_windows_for(
    session: Session, asset_id: int, reader: Principal | None
) -> list[MaintenanceWindow] | list[PublicWindow]:
    """The windows ``reader`` may see: staff all of them; the public (None) only a public asset's, and without
    their reasons. A staff-only asset does not exist for the public (as ``GET /assets/{id}`` says).

    Raises AssetNotFound."""
    if reader is not None:
        return list_maintenance_windows(session, asset_id)
    if not get_asset(session, asset_id).public:
        raise AssetNotFound(f"There is no asset {asset_id}.")
    return [PublicWindow(w.id, w.asset_id, w.starts_at, w.ends_at) for w in list_maintenance_windows(session, asset_id)]


def add_maintenance_window(
    session: Session,
    asset_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    actor: Principal | None,
) -> MaintenanceWindow:
    """Raises AssetNotFound, AssetRetired, InvalidInput (ends before it starts).

    A window over an approved loan is still recorded: the asset really is away; booking flags the loans hit.
    """
    asset = get_asset(session, asset_id)
    check_can_manage_location(actor, asset.location_id)
    if asset.status == "retired":
        raise AssetRetired("A retired asset needs no maintenance window.")
    if ends_at <= starts_at:
        raise InvalidInput("The end must be after the start.", field="ends_at")
    window = MaintenanceWindow(
        asset_id=asset_id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_by=actor.staff_id if actor else None,
    )
    session.add(window)
    session.flush()
    emit(session, "maintenance_window.added", maintenance_snapshot(window))
    return window


def remove_maintenance_window(session: Session, asset_id: int, window_id: int, actor: Principal | None) -> None:
    """Raises Forbidden, MaintenanceWindowNotFound."""
    check_can_manage_location(actor, get_asset(session, asset_id).location_id)
    window = session.get(MaintenanceWindow, window_id)
    if window is None or window.asset_id != asset_id:
        raise MaintenanceWindowNotFound(f"Asset {asset_id} has no maintenance window {window_id}.")
    snapshot = maintenance_snapshot(window)
    session.delete(window)
    session.flush()
    emit(session, "maintenance_window.removed", snapshot)
