"""Lendable assets: create, change, retire, and find them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from services.inventory.domain.concurrency import check_version, flush_versioned
from services.inventory.domain.errors import (
    AssetNotFound,
    AssetRetired,
    DuplicateCode,
    UnknownReference,
    check_one_line,
)
from services.inventory.domain.events import asset_snapshot, emit
from services.inventory.domain.permissions import check_can_manage_location
from services.inventory.domain.requirements import get_requirements_by_code
from services.inventory.models import Asset, Location, Requirement
from shared import clock
from shared.auth import Principal
from shared.errors import InvalidInput

ASSET_FIELDS = (
    "code",
    "name_nl",
    "name_en",
    "description_nl",
    "description_en",
    "category",
    "location_id",
    "quantity",
    "turnaround_before_hours",
    "turnaround_after_hours",
    "lead_time_hours",
    "min_loan_hours",
    "max_loan_hours",
    "public",
)

# names reach mail subjects, CSV cells and one-line displays
ONE_LINE_FIELDS = ("code", "name_nl", "name_en")


@dataclass(frozen=True)
class AssetFilter:
    category: str | None = None
    location_id: int | None = None
    requirement: str | None = None
    text: str | None = None
    status: str | None = "active"
    public_only: bool = False


def _asset_query() -> sa.Select[Any]:
    return sa.select(Asset).options(selectinload(Asset.requirements), selectinload(Asset.location))


def filtered_assets_query(filters: AssetFilter) -> sa.Select[Any]:
    query = _asset_query()
    if filters.category:
        query = query.where(Asset.category == filters.category)
    if filters.location_id is not None:
        query = query.where(Asset.location_id == filters.location_id)
    if filters.status:
        query = query.where(Asset.status == filters.status)
    if filters.public_only:
        query = query.where(Asset.public.is_(True))
    if filters.requirement:
        query = query.where(Asset.requirements.any(Requirement.code == filters.requirement))
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        Asset.code,
                        Asset.name_nl,
                        Asset.name_en,
                        Asset.description_nl,
                        Asset.description_en,
                    )
                )
            )
        )
    return query.order_by(Asset.name_nl, Asset.id)


def get_asset(session: Session, asset_id: int) -> Asset:
    asset: Asset | None = session.scalar(_asset_query().where(Asset.id == asset_id))
    if asset is None:
        raise AssetNotFound(f"There is no asset {asset_id}.")
    return asset


def _check_location(session: Session, location_id: int) -> None:
    if session.get(Location, location_id) is None:
        raise UnknownReference(f"There is no location {location_id}.", field="location_id")


def _check_loan_lengths(min_hours: int, max_hours: int | None) -> None:
    if max_hours is not None and max_hours < min_hours:
        raise InvalidInput("The maximum loan length must be at least the minimum.", field="max_loan_hours")


def create_asset(session: Session, data: dict[str, Any], actor: Principal | None) -> Asset:
    """Raises Forbidden, DuplicateCode, UnknownReference (location, requirement codes), InvalidInput."""
    check_can_manage_location(actor, data["location_id"])
    check_one_line(data, ONE_LINE_FIELDS)
    if session.scalar(sa.select(Asset.id).where(Asset.code == data["code"])) is not None:
        raise DuplicateCode(f"An asset with code {data['code']!r} already exists.", field="code")
    _check_location(session, data["location_id"])
    _check_loan_lengths(data.get("min_loan_hours", 1), data.get("max_loan_hours"))
    asset = Asset(**{k: data[k] for k in ASSET_FIELDS if k in data})
    asset.requirements = get_requirements_by_code(session, data.get("requirement_codes", []), "requirement_codes")
    session.add(asset)
    session.flush()
    emit(session, "asset.created", asset_snapshot(asset))
    return asset


def update_asset(
    session: Session, asset_id: int, data: dict[str, Any], expected_version: int | None, actor: Principal | None
) -> Asset:
    """Raises AssetNotFound, PreconditionFailed, AssetRetired, DuplicateCode, UnknownReference, InvalidInput."""
    asset = get_asset(session, asset_id)
    check_can_manage_location(actor, asset.location_id)
    if "location_id" in data:
        check_can_manage_location(actor, data["location_id"])
    check_version(asset.version, expected_version)
    check_one_line(data, ONE_LINE_FIELDS)
    if asset.status == "retired":
        raise AssetRetired("A retired asset cannot be changed.")
    if (
        "code" in data
        and data["code"] != asset.code
        and session.scalar(sa.select(Asset.id).where(Asset.code == data["code"])) is not None
    ):
        raise DuplicateCode(f"An asset with code {data['code']!r} already exists.", field="code")
    if "location_id" in data:
        _check_location(session, data["location_id"])
    _check_loan_lengths(
        data.get("min_loan_hours", asset.min_loan_hours), data.get("max_loan_hours", asset.max_loan_hours)
    )
    for key in ASSET_FIELDS:
        if key in data:
            setattr(asset, key, data[key])
    if "requirement_codes" in data:
        asset.requirements = get_requirements_by_code(session, data["requirement_codes"], "requirement_codes")
        asset.updated_at = clock.now()  # a changed requirement list is a new version of the asset
    flush_versioned(session)
    emit(session, "asset.updated", asset_snapshot(asset))
    return asset


def retire_asset(session: Session, asset_id: int, expected_version: int | None, actor: Principal | None) -> Asset:
    """Retiring is final and idempotent; raises AssetNotFound, PreconditionFailed."""
    asset = get_asset(session, asset_id)
    check_can_manage_location(actor, asset.location_id)
    check_version(asset.version, expected_version)
    if asset.status == "retired":
        return asset
    asset.status = "retired"
    flush_versioned(session)
    emit(session, "asset.retired", asset_snapshot(asset))
    return asset
