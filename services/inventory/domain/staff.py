"""Staff accounts (the inventory service owns them), login and machine tokens."""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from services.inventory.domain.errors import DuplicateCode, UnknownReference
from services.inventory.domain.events import emit
from services.inventory.models import ApiToken, Location, StaffAccount
from shared import clock
from shared.auth import Principal, hash_password, sign_api_token, token_fingerprint, verify_password
from shared.errors import NotFound, Unauthorized
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


def principal_for(account: StaffAccount, via: str = "session", token_id: str | None = None) -> Principal:
    return Principal(
        staff_id=account.id,
        name=account.name,
        role=account.role,
        location_ids=frozenset(location.id for location in account.locations),
        via=via,
        token_id=token_id,
    )


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


def issue_api_token(session: Session, staff_id: int, name: str, secret_key: str, days: int) -> tuple[ApiToken, str]:
    """Returns the stored record and the token itself, which is shown once and never stored."""
    account = get_staff(session, staff_id)
    token_id = secrets.token_hex(16)
    token = sign_api_token(secret_key, principal_for(account, via="token", token_id=token_id))
    record = ApiToken(
        id=token_id,
        staff_id=account.id,
        name=name,
        fingerprint=token_fingerprint(token),
        expires_at=clock.now() + timedelta(days=days),
    )
    session.add(record)
    session.flush()
    return record, token


def revoke_api_token(session: Session, staff_id: int, token_id: str) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None or record.staff_id != staff_id:
        raise NotFound("There is no such token.")
    if record.revoked_at is None:
        record.revoked_at = clock.now()
        # booking and notify check bearer tokens too: they learn of the revocation from this event
        emit(
            session,
            "token.revoked",
            {
                "token_id": record.id,
                "revoked_at": record.revoked_at.isoformat(),
                "expires_at": record.expires_at.isoformat(),
            },
        )
    return record


def is_token_revoked(session: Session, token_id: str) -> bool:
    revoked_at = session.scalar(sa.select(ApiToken.revoked_at).where(ApiToken.id == token_id))
    return revoked_at is not None
