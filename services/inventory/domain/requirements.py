"""The requirement catalogue: preconditions as data (tow hitch, extra plate, van, ...)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.inventory.domain.concurrency import check_version, flush_versioned
from services.inventory.domain.errors import DuplicateCode, RequirementNotFound, UnknownReference, check_one_line
from services.inventory.domain.events import emit, requirement_snapshot
from services.inventory.domain.permissions import check_is_admin
from services.inventory.models import Asset, Requirement
from shared.auth import Principal

REQUIREMENT_FIELDS = (
    "code",
    "kind",
    "label_nl",
    "label_en",
    "explanation_nl",
    "explanation_en",
    "provided_by_asset_id",
)
ONE_LINE_FIELDS = ("code", "label_nl", "label_en")


def list_requirements(session: Session) -> list[Requirement]:
    return list(session.scalars(sa.select(Requirement).order_by(Requirement.code)))


def get_requirement(session: Session, requirement_id: int) -> Requirement:
    requirement = session.get(Requirement, requirement_id)
    if requirement is None:
        raise RequirementNotFound(f"There is no requirement {requirement_id}.")
    return requirement


def get_requirements_by_code(session: Session, codes: list[str], field: str) -> list[Requirement]:
    """Raises UnknownReference naming ``field`` when a code is not in the catalogue."""
    found = {r.code: r for r in session.scalars(sa.select(Requirement).where(Requirement.code.in_(codes)))}
    for index, code in enumerate(codes):
        if code not in found:
            raise UnknownReference(f"There is no requirement with code {code!r}.", field=f"{field}.{index}")
    return sorted((found[code] for code in dict.fromkeys(codes)), key=lambda r: r.code)


def _check_provider(session: Session, asset_id: int | None) -> None:
    if asset_id is not None and session.get(Asset, asset_id) is None:
        raise UnknownReference(f"There is no asset {asset_id} to provide this.", field="provided_by_asset_id")


def create_requirement(session: Session, data: dict[str, Any], actor: Principal | None) -> Requirement:
    """Raises Forbidden (admins only), DuplicateCode, UnknownReference."""
    check_is_admin(actor)
    check_one_line(data, ONE_LINE_FIELDS)
    if session.scalar(sa.select(Requirement.id).where(Requirement.code == data["code"])) is not None:
        raise DuplicateCode(f"A requirement with code {data['code']!r} already exists.", field="code")
    _check_provider(session, data.get("provided_by_asset_id"))
    requirement = Requirement(**{k: data[k] for k in REQUIREMENT_FIELDS if k in data})
    session.add(requirement)
    session.flush()
    emit(session, "requirement.created", requirement_snapshot(requirement))
    return requirement


def update_requirement(
    session: Session, requirement_id: int, data: dict[str, Any], expected_version: int | None, actor: Principal | None
) -> Requirement:
    """Raises RequirementNotFound, PreconditionFailed, DuplicateCode, UnknownReference."""
    check_is_admin(actor)
    requirement = get_requirement(session, requirement_id)
    check_version(requirement.version, expected_version)
    check_one_line(data, ONE_LINE_FIELDS)
    if (
        "code" in data
        and data["code"] != requirement.code
        and session.scalar(sa.select(Requirement.id).where(Requirement.code == data["code"])) is not None
    ):
        raise DuplicateCode(f"A requirement with code {data['code']!r} already exists.", field="code")
    if "provided_by_asset_id" in data:
        _check_provider(session, data["provided_by_asset_id"])
    for key in REQUIREMENT_FIELDS:
        if key in data:
            setattr(requirement, key, data[key])
    flush_versioned(session)
    emit(session, "requirement.updated", requirement_snapshot(requirement))
    return requirement
