"""The requester's private status link: 256 random bits, only their sha256 stored, expiring, revocable.

Reading a link never changes it (mail scanners open links before people do).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.domain.errors import LinkNotFound
from services.booking.models import BookingRequest, StatusLink
from shared import clock
from shared.db import insert_at_commit


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def status_path(token: str) -> str:
    return f"/status/{token}"


def issue_link(session: Session, request: BookingRequest, valid_days: int) -> str:
    """A new link for ``request``; the token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = {
        "request_id": request.id,
        "token_hash": hash_token(token),
        "created_at": now,
        "expires_at": now + timedelta(days=valid_days),
        "revoked_at": None,
    }
    # nothing reads it before the commit
    insert_at_commit(session, StatusLink.__table__, row)  # type: ignore[arg-type]
    return token


def revoke_links(session: Session, request: BookingRequest) -> int:
    """Revoke every live link of the request; returns how many."""
    result = session.execute(
        sa.update(StatusLink)
        .where(StatusLink.request_id == request.id, StatusLink.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def request_id_for_token(session: Session, token: str) -> int:
    """The request a live link leads to. Raises LinkNotFound for a forged, expired or revoked token alike."""
    if not token or len(token) > 100:
        raise LinkNotFound()
    query = sa.select(StatusLink.request_id).where(
        StatusLink.token_hash == hash_token(token), StatusLink.revoked_at.is_(None), StatusLink.expires_at > clock.now()
    )
    request_id = session.scalar(query)
    if request_id is None:
        raise LinkNotFound()
    return int(request_id)


def request_for_token(session: Session, token: str, for_update: bool = False) -> BookingRequest:
    """Raises LinkNotFound for a forged, expired or revoked token alike."""
    request = session.get(BookingRequest, request_id_for_token(session, token), with_for_update=for_update)
    if request is None:
        raise LinkNotFound()
    return request
