"""Staff credentials: login sessions and machine tokens, their ancestry, revocation and the void check.

Every credential is a signed claim (``shared.auth``) with an id. A login starts a *session*; a session or a
token can mint a *token*, which records its parent, carries the chain of ancestors in its claims, and never
outlives its parent. Revoking a credential voids every descendant: inventory marks them revoked at once, and
booking and notify refuse them as soon as ``inventory.token.revoked`` arrives, because the descendant's claims
name the revoked id (no event per descendant is needed, nor is a race with a minting possible).

A credential is also void when its account's claims generation moved on (``staff.change_staff``): a role or a
set of centres it claims is no longer true. Inventory asks its own tables on every request (``credential_void``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from services.inventory.domain.events import emit
from services.inventory.models import ApiToken, StaffAccount, StaffSession
from shared import clock
from shared.auth import Principal, sign_api_token, token_fingerprint
from shared.errors import Forbidden, NotFound


def principal_for(
    account: StaffAccount, credential: StaffSession | ApiToken, ancestors: tuple[str, ...] = ()
) -> Principal:
    """The claims of a new credential of ``account``: what the account is now, and when the credential ends."""
    return Principal(
        staff_id=account.id,
        name=account.name,
        role=account.role,
        location_ids=frozenset(location.id for location in account.locations),
        via="token" if isinstance(credential, ApiToken) else "session",
        token_id=credential.id,
        ancestors=ancestors,
        generation=account.claims_generation,
        expires_at=int(credential.expires_at.timestamp()),
        # only a login session carries it: no token can be minted before the new password (shared.auth's gate)
        must_change_password=account.must_change_password and isinstance(credential, StaffSession),
    )


def start_session(session: Session, account: StaffAccount, hours: int) -> Principal:
    """Record a login and return the session cookie's claims."""
    record = StaffSession(
        id=secrets.token_hex(16), staff_id=account.id, expires_at=clock.now() + timedelta(hours=hours)
    )
    session.add(record)
    session.flush()
    return principal_for(account, record)


def _expiry_of(session: Session, minter: Principal, session_hours: int) -> datetime:
    """When the minting credential ends: its claim, else its record, else (an old session cookie without an
    id) the longest a session can still live."""
    if minter.expires_at is not None:
        return datetime.fromtimestamp(minter.expires_at, UTC)
    record = _record(session, minter.token_id) if minter.token_id else None
    if record is not None:
        return record.expires_at
    return clock.now() + timedelta(hours=session_hours)


def _record(session: Session, credential_id: str) -> StaffSession | ApiToken | None:
    return session.get(ApiToken, credential_id) or session.get(StaffSession, credential_id)


def issue_api_token(
    session: Session, minter: Principal, name: str, secret_key: str, days: int, session_hours: int
) -> tuple[ApiToken, str]:
    """A token acting as ``minter``'s staff member, a child of the credential that asked for it: it dies with
    that credential and ends no later than it. Returns the record and the token, shown once, never stored.

    Raises NotFound when the account is gone or inactive."""
    account = _active_account(session, minter.staff_id)
    now = clock.now()
    record = ApiToken(
        id=secrets.token_hex(16),
        staff_id=account.id,
        name=name,
        created_at=now,
        expires_at=min(now + timedelta(days=days), _expiry_of(session, minter, session_hours)),
        parent_id=minter.token_id,
        parent_kind=minter.via if minter.token_id else None,
        ancestors=list(minter.lineage),
    )
    token = sign_api_token(secret_key, principal_for(account, record, tuple(minter.lineage)))
    record.fingerprint = token_fingerprint(token)
    session.add(record)
    session.flush()
    return record, token


def issue_root_token(session: Session, staff_id: int, name: str, secret_key: str, days: int) -> tuple[ApiToken, str]:
    """A token with no parent (from the command line, for a machine that must outlive any login).

    Raises NotFound when the account is gone or inactive."""
    account = _active_account(session, staff_id)
    record = ApiToken(
        id=secrets.token_hex(16), staff_id=account.id, name=name, expires_at=clock.now() + timedelta(days=days)
    )
    token = sign_api_token(secret_key, principal_for(account, record))
    record.fingerprint = token_fingerprint(token)
    session.add(record)
    session.flush()
    return record, token


def _active_account(session: Session, staff_id: int) -> StaffAccount:
    query = sa.select(StaffAccount).options(selectinload(StaffAccount.locations)).where(StaffAccount.id == staff_id)
    account = session.scalar(query)
    if account is None or not account.active:
        raise NotFound("There is no such staff account.")
    return account


def _revoke(session: Session, record: StaffSession | ApiToken, now: datetime) -> None:
    """Revoke ``record`` and, in inventory's own tables, every token descending from it; announce the record.

    Consumers need the one event: a descendant's claims name this id among its ancestors."""
    if record.revoked_at is not None:
        return
    record.revoked_at = now
    frontier = [record.id]
    while frontier:
        children = list(session.scalars(sa.select(ApiToken).where(ApiToken.parent_id.in_(frontier))))
        for child in children:
            child.revoked_at = child.revoked_at or now
        frontier = [child.id for child in children]
    emit(
        session,
        "token.revoked",
        {
            "token_id": record.id,
            "kind": "token" if isinstance(record, ApiToken) else "session",
            "revoked_at": now.isoformat(),
            "expires_at": record.expires_at.isoformat(),
        },
    )


def end_session(session: Session, principal: Principal | None) -> None:
    """Logging out revokes the session and every token minted from it (a cookie without an id: nothing to do)."""
    if principal is None or principal.via != "session" or not principal.token_id:
        return
    record = session.get(StaffSession, principal.token_id)
    if record is not None and record.staff_id == principal.staff_id:
        _revoke(session, record, clock.now())


def revoke_api_token(session: Session, actor: Principal, token_id: str) -> ApiToken:
    """The owner or an administrator revokes a token (and its descendants). Raises NotFound for anyone else's,
    so that ids cannot be probed."""
    record = session.get(ApiToken, token_id)
    if record is None or not (actor.is_admin or record.staff_id == actor.staff_id):
        raise NotFound("There is no such token.")
    _revoke(session, record, clock.now())
    return record


def list_api_tokens(session: Session, actor: Principal, staff_id: int | None = None) -> list[ApiToken]:
    """The actor's own tokens, newest first; an administrator sees everyone's (or ``staff_id``'s).

    Raises Forbidden when a staff member asks for someone else's."""
    if staff_id is not None and staff_id != actor.staff_id and not actor.is_admin:
        raise Forbidden("Only an administrator may list someone else's tokens.")
    query = sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id)
    if staff_id is not None:
        query = query.where(ApiToken.staff_id == staff_id)
    elif not actor.is_admin:
        query = query.where(ApiToken.staff_id == actor.staff_id)
    return list(session.scalars(query))


def token_view(record: ApiToken) -> dict[str, Any]:
    fields = ("id", "name", "staff_id", "created_at", "expires_at", "revoked_at", "parent_id", "parent_kind")
    return {name: getattr(record, name) for name in fields}


def credential_void(session: Session, principal: Principal) -> bool:
    """Whether a validly signed credential may no longer act: its account is gone or inactive, its claims
    generation is not the account's, or it or an ancestor was revoked or has ended."""
    row = session.execute(
        sa.select(StaffAccount.active, StaffAccount.claims_generation).where(StaffAccount.id == principal.staff_id)
    ).first()
    if row is None or not row.active or row.claims_generation != principal.generation:
        return True
    lineage = list(principal.lineage)
    if not lineage:
        return False
    now = clock.now()
    for model in (ApiToken, StaffSession):
        ended = sa.or_(model.revoked_at.is_not(None), model.expires_at <= now)
        if session.scalar(sa.select(model.id).where(model.id.in_(lineage), ended).limit(1)) is not None:
            return True
    return False
