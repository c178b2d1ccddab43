"""What the public may see of booking's copy of the inventory: the catalogue, one asset, its requirements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.models import InvAsset, InvLocation, InvRequirement
from services.inventory.contract import AssetStatus, Category, RequirementKind


@dataclass(frozen=True)
class Entry:
    asset: InvAsset
    location: InvLocation | None
    requirements: list[InvRequirement]


def public_assets_query() -> sa.Select[Any]:
    return sa.select(InvAsset).where(InvAsset.status == AssetStatus.ACTIVE, InvAsset.public.is_(True))


def bookable_assets(session: Session, is_staff: bool) -> list[InvAsset]:
    """What may be asked for: the public's active assets, or every active one for staff at the desk."""
    query = sa.select(InvAsset).where(InvAsset.status == AssetStatus.ACTIVE)
    if not is_staff:
        query = query.where(InvAsset.public.is_(True))
    return list(session.scalars(query.order_by(InvAsset.name_nl)))


# Built once with bound parameters (every public page reads them): each read only binds its values.
_ASSET_BY_CODE = sa.select(InvAsset).where(InvAsset.code == sa.bindparam("code"), InvAsset.status == AssetStatus.ACTIVE)
_PUBLIC_ASSET_BY_CODE = _ASSET_BY_CODE.where(InvAsset.public.is_(True))
_REQUIREMENTS = sa.select(InvRequirement).where(InvRequirement.code.in_(sa.bindparam("codes", expanding=True)))


def find_asset(session: Session, code: str, is_staff: bool = False) -> InvAsset | None:
    """An active asset by code: public ones for everybody, staff-only ones for staff too."""
    asset: InvAsset | None = session.scalar(_ASSET_BY_CODE if is_staff else _PUBLIC_ASSET_BY_CODE, {"code": code})
    return asset


def _entry_query(is_staff: bool) -> sa.Select[InvAsset, InvLocation]:
    query = (
        sa.select(InvAsset, InvLocation)
        .outerjoin(InvLocation, InvLocation.id == InvAsset.location_id)
        .where(InvAsset.code == sa.bindparam("code"), InvAsset.status == AssetStatus.ACTIVE)
    )
    return query if is_staff else query.where(InvAsset.public.is_(True))


# Built once: a page's statements are the same every time, only the code differs (a bound parameter).
_ENTRY_QUERIES = {is_staff: _entry_query(is_staff) for is_staff in (False, True)}


def find_entry(session: Session, code: str, is_staff: bool = False) -> Entry | None:
    """``find_asset`` with its location read in the same statement, and its requirements (two statements)."""
    row = session.execute(_ENTRY_QUERIES[is_staff], {"code": code}).first()
    if row is None:
        return None
    asset, location = row
    return Entry(asset, location, requirements_for(session, asset.requirement_codes))


def assets_by_id(session: Session, ids: Iterable[int]) -> dict[int, InvAsset]:
    """The assets with these ids (one statement; none for none)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {a.id: a for a in session.scalars(sa.select(InvAsset).where(InvAsset.id.in_(wanted)))}


def requirements_by_code(session: Session, codes: Iterable[str]) -> dict[str, InvRequirement]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {r.code: r for r in session.scalars(_REQUIREMENTS, {"codes": wanted})}


def ordered_requirements(known: dict[str, InvRequirement], codes: Iterable[str]) -> list[InvRequirement]:
    # What the borrower must bring (a tow hitch, a van) before the details (a plate number).
    return sorted((known[c] for c in codes if c in known), key=lambda r: (r.kind != RequirementKind.CONFIRM, r.code))


def requirements_for(session: Session, codes: list[str]) -> list[InvRequirement]:
    return ordered_requirements(requirements_by_code(session, codes), codes)


def entry(session: Session, asset: InvAsset) -> Entry:
    return Entry(asset, session.get(InvLocation, asset.location_id), requirements_for(session, asset.requirement_codes))


# Built once (no parameters): the caravan first, then by Dutch name; each asset with its location.
_CATALOGUE_QUERY = (
    public_assets_query()
    .add_columns(InvLocation)
    .outerjoin(InvLocation, InvLocation.id == InvAsset.location_id)
    .order_by(InvAsset.category != Category.CARAVAN, InvAsset.name_nl)
)


def catalogue(session: Session) -> list[Entry]:
    """Every public asset with its location and requirements, the caravan first (two statements in all)."""
    rows = session.execute(_CATALOGUE_QUERY).all()
    known = requirements_by_code(session, (code for asset, _location in rows for code in asset.requirement_codes))
    return [Entry(asset, location, ordered_requirements(known, asset.requirement_codes)) for asset, location in rows]
