"""The application layer: every change to the inventory is one call here, and each call owns its transaction.

The API views (``api/``) and the pages (``web/``) parse their input, make exactly one of these calls and render
what it returns; none of them commits. Each call works in the request's one session (``shared.db.get_session``)
inside ``shared.db.unit_of_work``: the domain function does the work and writes its outbox event
(``domain/events.py``) in the same transaction, which commits when the call returns — or, on any error, rolls
back before the error leaves, so a refused change leaves neither the change nor its event behind.

- locations: ``create_location``, ``update_location``, ``add_closure``, ``remove_closure``;
- requirements: ``create_requirement``, ``update_requirement``;
- assets: ``create_asset``, ``update_asset``, ``retire_asset``;
- maintenance windows: ``add_maintenance``, ``remove_maintenance``;
- staff accounts: ``add_staff``, ``change_staff``, ``reset_password``, ``change_own_password``;
- credentials: ``log_in``, ``log_out``, ``mint_token``, ``revoke_token``.

A write that names the version it read (``expected_version``, from If-Match or the form) is refused with
PreconditionFailed when that version is stale; ``None`` skips the check.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.inventory.domain import assets, credentials, locations, maintenance, requirements, staff
from services.inventory.models import ApiToken, Asset, Closure, Location, MaintenanceWindow, Requirement, StaffAccount
from shared.auth import Principal
from shared.config import Settings
from shared.db import unit_of_work

# --- locations ----------------------------------------------------------------------------------------------


def create_location(session: Session, data: dict[str, Any], actor: Principal | None) -> Location:
    """Add a location with its opening hours (administrators). Raises Forbidden, DuplicateCode, InvalidInput."""
    with unit_of_work(session):
        return locations.create_location(session, data, actor)


def update_location(
    session: Session, location_id: int, data: dict[str, Any], expected_version: int | None, actor: Principal | None
) -> Location:
    """Change a location or its opening hours. Raises LocationNotFound, Forbidden, PreconditionFailed,
    DuplicateCode, InvalidInput."""
    with unit_of_work(session):
        return locations.update_location(session, location_id, data, expected_version, actor)


def add_closure(
    session: Session, location_id: int, starts_on: date, ends_on: date, reason: str, actor: Principal | None
) -> Closure:
    """Close a centre for some days (the Christmas break, a staff day). Raises LocationNotFound, Forbidden,
    InvalidInput."""
    with unit_of_work(session):
        return locations.add_closure(session, location_id, starts_on, ends_on, reason, actor)


def remove_closure(session: Session, location_id: int, closure_id: int, actor: Principal | None) -> None:
    """Take a closure back. Raises LocationNotFound, Forbidden, ClosureNotFound."""
    with unit_of_work(session):
        locations.remove_closure(session, location_id, closure_id, actor)


# --- requirements -------------------------------------------------------------------------------------------


def create_requirement(session: Session, data: dict[str, Any], actor: Principal | None) -> Requirement:
    """Add a requirement to the catalogue (administrators). Raises Forbidden, DuplicateCode, UnknownReference."""
    with unit_of_work(session):
        return requirements.create_requirement(session, data, actor)


def update_requirement(
    session: Session, requirement_id: int, data: dict[str, Any], expected_version: int | None, actor: Principal | None
) -> Requirement:
    """Change a requirement (administrators). Raises RequirementNotFound, Forbidden, PreconditionFailed,
    DuplicateCode, UnknownReference."""
    with unit_of_work(session):
        return requirements.update_requirement(session, requirement_id, data, expected_version, actor)


# --- assets -------------------------------------------------------------------------------------------------


def create_asset(session: Session, data: dict[str, Any], actor: Principal | None) -> Asset:
    """Add an asset to the catalogue. Raises Forbidden, DuplicateCode, UnknownReference, InvalidInput."""
    with unit_of_work(session):
        return assets.create_asset(session, data, actor)


def update_asset(
    session: Session, asset_id: int, data: dict[str, Any], expected_version: int | None, actor: Principal | None
) -> Asset:
    """Change an asset. Raises AssetNotFound, Forbidden, PreconditionFailed, AssetRetired, DuplicateCode,
    UnknownReference, InvalidInput."""
    with unit_of_work(session):
        return assets.update_asset(session, asset_id, data, expected_version, actor)


def retire_asset(session: Session, asset_id: int, expected_version: int | None, actor: Principal | None) -> Asset:
    """Retire an asset for good (a second retirement changes nothing). Raises AssetNotFound, Forbidden,
    PreconditionFailed."""
    with unit_of_work(session):
        return assets.retire_asset(session, asset_id, expected_version, actor)


# --- maintenance windows ------------------------------------------------------------------------------------


def add_maintenance(
    session: Session, asset_id: int, starts_at: datetime, ends_at: datetime, reason: str, actor: Principal | None
) -> MaintenanceWindow:
    """Take an asset out of service for a while. Raises AssetNotFound, Forbidden, AssetRetired, InvalidInput."""
    with unit_of_work(session):
        return maintenance.add_maintenance_window(session, asset_id, starts_at, ends_at, reason, actor)


def remove_maintenance(session: Session, asset_id: int, window_id: int, actor: Principal | None) -> None:
    """Cancel a maintenance window. Raises AssetNotFound, Forbidden, MaintenanceWindowNotFound."""
    with unit_of_work(session):
        maintenance.remove_maintenance_window(session, asset_id, window_id, actor)


# --- staff accounts -----------------------------------------------------------------------------------------


def add_staff(session: Session, data: dict[str, Any], actor: Principal | None) -> StaffAccount:
    """An administrator adds a staff account. Raises Forbidden, DuplicateCode, UnknownReference."""
    with unit_of_work(session):
        return staff.add_staff(session, data, actor)


def change_staff(session: Session, staff_id: int, data: dict[str, Any], actor: Principal | None) -> StaffAccount:
    """An administrator changes an account; a new role, centres, active flag or password voids its older
    credentials. Raises NotFound, Forbidden, UnknownReference."""
    with unit_of_work(session):
        return staff.change_staff(session, staff_id, data, actor)


def reset_password(session: Session, staff_id: int, actor: Principal | None) -> tuple[StaffAccount, str]:
    """An administrator gives another account a new, random password (returned once, never stored in the
    clear), for a staff member who forgot theirs; older sessions and tokens of the account are void.
    Raises NotFound, Forbidden (not an administrator, or one's own account)."""
    password = secrets.token_urlsafe(12)  # 16 characters: past StaffInSchema's minimum of 12
    with unit_of_work(session):
        return staff.change_staff(session, staff_id, {"password": password}, actor), password


def change_own_password(
    session: Session, actor: Principal | None, current_password: str, new_password: str, settings: Settings
) -> Principal:
    """Change one's own password (proving the current one); returns a fresh session's claims, as every older
    credential of the account is now void. Raises Unauthorized, NotFound, InvalidInput."""
    with unit_of_work(session):
        return staff.change_own_password(session, actor, current_password, new_password, settings.session_hours)


# --- credentials --------------------------------------------------------------------------------------------


def log_in(session: Session, email: str, password: str, session_hours: int) -> Principal:
    """Check the password and record a new login session; returns the cookie's claims. Raises Unauthorized."""
    with unit_of_work(session):
        return staff.log_in(session, email, password, session_hours)


def log_out(session: Session, principal: Principal | None) -> None:
    """End the login session and every token minted from it (nobody logged in: nothing to do)."""
    with unit_of_work(session):
        credentials.end_session(session, principal)


def mint_token(session: Session, minter: Principal, name: str, settings: Settings) -> tuple[ApiToken, str]:
    """A new API token acting as ``minter``, a child of its credential (it ends no later than it, and after
    API_TOKEN_DAYS at most); returns the record and the token, which is shown once and never stored.
    Raises NotFound when the account is gone or inactive."""
    with unit_of_work(session):
        return credentials.issue_api_token(
            session, minter, name, settings.secret_key, settings.api_token_days, settings.session_hours
        )


def revoke_token(session: Session, actor: Principal, token_id: str) -> ApiToken:
    """Revoke one of the actor's tokens (an administrator: anyone's) and every token it minted.
    Raises NotFound for a token that is not there or not the actor's to revoke."""
    with unit_of_work(session):
        return credentials.revoke_api_token(session, actor, token_id)
