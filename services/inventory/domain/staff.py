"""Staff accounts (the inventory service owns them) and login. Sessions and tokens: ``credentials``."""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from services.inventory.domain.credentials import start_session
from services.inventory.domain.errors import DuplicateCode, UnknownReference, check_one_line
from services.inventory.domain.events import emit
from services.inventory.domain.permissions import check_is_admin
from services.inventory.models import Location, StaffAccount
from shared import clock
from shared.auth import Principal, hash_password, verify_password
from shared.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from shared.fields import normalise_email

# Verifying against a fixed hash when the e-mail is unknown costs the same time as a real check, so the
# response time does not tell which addresses have accounts.
_DUMMY_HASH = hash_password("not-a-real-password")


def account_key(email: str) -> str:
    """The one spelling of an address that names an account: normalised (IDN domains, case), lower-cased.

    Used to store, to look up, and to count failed logins, so that ``Staff@Example.org`` and
    ``staff@example.org`` are one account and one back-off counter. Raises nothing: what is not an address
    stays as typed, lower-cased (it names no account).
    """
    text = email.strip()
    with contextlib.suppress(ValueError):
        text = normalise_email(text)
    return text.lower()


def create_staff(
    session: Session,
    email: str,
    name: str,
    password: str,
    role: str = "staff",
    location_codes: list[str] | None = None,
) -> StaffAccount:
    """Raises DuplicateCode (e-mail taken), UnknownReference (location code)."""
    email = account_key(email)
    if session.scalar(sa.select(StaffAccount.id).where(StaffAccount.email == email)) is not None:
        raise DuplicateCode(f"A staff account for {email} already exists.", field="email")
    locations = []
    for code in location_codes or []:
        location = session.scalar(sa.select(Location).where(Location.code == code))
        if location is None:
            raise UnknownReference(f"There is no location {code!r}.", field="location_codes")
        locations.append(location)
    account = StaffAccount(
        email=email, name=name, password_hash=hash_password(password), role=role, locations=locations
    )
    session.add(account)
    session.flush()
    return account


def authenticate(session: Session, email: str, password: str) -> StaffAccount:
    """Raises Unauthorized with the same message whether the e-mail or the password is wrong."""
    query = sa.select(StaffAccount).options(selectinload(StaffAccount.locations))
    account = session.scalar(query.where(StaffAccount.email == account_key(email)))
    if account is None or not account.active:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("E-mail address or password is not correct.")
    if not verify_password(account.password_hash, password):
        raise Unauthorized("E-mail address or password is not correct.")
    return account


def get_staff(session: Session, staff_id: int) -> StaffAccount:
    account = session.scalar(
        sa.select(StaffAccount).options(selectinload(StaffAccount.locations)).where(StaffAccount.id == staff_id)
    )
    if account is None or not account.active:
        raise NotFound("There is no such staff account.")
    return account


def log_in(session: Session, email: str, password: str, session_hours: int) -> Principal:
    """Check the password and start a session; returns the cookie's claims. Raises Unauthorized."""
    return start_session(session, authenticate(session, email, password), session_hours)


def list_staff(session: Session) -> list[StaffAccount]:
    return list(
        session.scalars(sa.select(StaffAccount).options(selectinload(StaffAccount.locations)).order_by(StaffAccount.id))
    )


def _locations_by_id(session: Session, ids: list[int]) -> list[Location]:
    found = list(session.scalars(sa.select(Location).where(Location.id.in_(ids)).order_by(Location.id)))
    missing = sorted(set(ids) - {location.id for location in found})
    if missing:
        raise UnknownReference(f"There is no location {missing[0]}.", field="location_ids")
    return found


def add_staff(session: Session, data: dict[str, Any], actor: Principal | None) -> StaffAccount:
    """An administrator adds an account. Raises Forbidden, DuplicateCode, UnknownReference."""
    check_is_admin(actor)
    codes = [location.code for location in _locations_by_id(session, data.get("location_ids", []))]
    return create_staff(session, data["email"], data["name"], data["password"], data.get("role", "staff"), codes)


# What a credential claims, or may claim: a change to any of these voids the credentials signed before it.
CLAIMED = ("role", "location_ids", "active", "password")


def change_staff(session: Session, staff_id: int, data: dict[str, Any], actor: Principal | None) -> StaffAccount:
    """An administrator changes an account (name, role, centres, active, password).

    When what a credential claims changes (``CLAIMED``), the account's claims generation goes up: inventory
    refuses older sessions and tokens at once, booking and notify once ``inventory.staff.changed`` (v1) reaches
    them. The staff member logs in again and gets the new claims. An administrator cannot change those of their
    own account (it would end the very session asking, and the last administrator could lock everyone out):
    another administrator does. Raises Forbidden, NotFound, UnknownReference.
    """
    check_is_admin(actor)
    if actor is not None and actor.staff_id == staff_id and set(data) & set(CLAIMED):
        raise Forbidden("Ask another administrator to change your own role, centres, active flag or password.")
    account = session.scalar(
        sa.select(StaffAccount).options(selectinload(StaffAccount.locations)).where(StaffAccount.id == staff_id)
    )
    if account is None:
        raise NotFound("There is no such staff account.")
    check_one_line(data, ("name",))
    before = (account.role, [location.id for location in account.locations], account.active)
    if "name" in data:
        account.name = data["name"]
    if "role" in data:
        account.role = data["role"]
    if "location_ids" in data:
        account.locations = _locations_by_id(session, data["location_ids"])
    if "active" in data:
        account.active = bool(data["active"])
    if data.get("password"):
        account.password_hash = hash_password(data["password"])
        account.must_change_password = True  # the administrator knows it: its owner chooses their own first
    after = (account.role, [location.id for location in account.locations], account.active)
    if before != after or data.get("password"):
        _void_older_credentials(session, account)
    session.flush()
    return account


def _void_older_credentials(session: Session, account: StaffAccount) -> None:
    """A new claims generation: every session and token signed before now is void, at every service."""
    account.claims_generation += 1
    session.flush()
    emit(
        session,
        "staff.changed",
        {"staff_id": account.id, "generation": account.claims_generation, "changed_at": clock.now().isoformat()},
    )


def change_own_password(
    session: Session, actor: Principal | None, current_password: str, new_password: str, session_hours: int
) -> Principal:
    """A staff member changes their own password, proving the current one. Every older session and token of the
    account is void (as with any password change); the returned claims are a fresh session's, so the one asking
    stays logged in. Raises Unauthorized (nobody logged in), NotFound, InvalidInput (``current_password``:
    ``password_wrong``; ``new_password``: ``password_unchanged``)."""
    if actor is None:
        raise Unauthorized("Log in first.")
    account = get_staff(session, actor.staff_id)
    if not verify_password(account.password_hash, current_password):
        raise InvalidInput("The current password is not correct.", field="current_password", code="password_wrong")
    if verify_password(account.password_hash, new_password):
        raise InvalidInput("The new password is the old one.", field="new_password", code="password_unchanged")
    account.password_hash = hash_password(new_password)
    account.must_change_password = False
    _void_older_credentials(session, account)
    return start_session(session, account, session_hours)


def get_account(session: Session, staff_id: int) -> StaffAccount:
    """Any account, active or not (for administrators). Raises NotFound."""
    account = session.scalar(
        sa.select(StaffAccount).options(selectinload(StaffAccount.locations)).where(StaffAccount.id == staff_id)
    )
    if account is None:
        raise NotFound("There is no such staff account.")
    return account
