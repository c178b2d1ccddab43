"""``Idempotency-Key`` for creating requests (IETF httpapi draft, Stripe's practice).

The key row is inserted and committed *before* the work starts, in its own transaction: the primary key makes
a second first use impossible, so two racing submissions cannot both proceed. The work's transaction then
marks the row completed with the response; if the work fails, the row is removed so a retry can try again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.booking.domain.errors import IdempotencyInProgress, IdempotencyKeyReused
from services.booking.models import IdempotencyKey
from shared import clock
from shared.errors import InvalidInput

# A first attempt that has been "in progress" this long crashed; a retry may take the key over.
STALE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]
    request_id: int | None


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key must be 1-200 printable characters.",
            errors=[
                {"field": "Idempotency-Key", "pointer": "", "in": "headers", "detail": "1-200 printable characters"}
            ],
        )
    return key


def claim(session: Session, key: str, digest: str) -> Replay | None:
    """Claim ``key`` for a new attempt (commits), or return the stored result of the completed first attempt.

    Raises IdempotencyKeyReused (422) for another body, IdempotencyInProgress (409) while the first runs.
    """
    try:
        session.add(IdempotencyKey(key=key, body_hash=digest, status="in_progress", created_at=clock.now()))
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    row = session.get(IdempotencyKey, key)
    if row is None:  # the first attempt failed and let go of the key just now
        session.rollback()
        raise IdempotencyInProgress("The first submission with this key is still being handled; try again shortly.")
    if row.body_hash != digest:
        session.rollback()
        raise IdempotencyKeyReused()
    if row.status == "completed":
        replay = Replay(row.response_status or 201, dict(row.response_body or {}), row.request_id)
        session.rollback()
        return replay
    if clock.now() - row.created_at > STALE_AFTER:
        # a conditional update: of two retries taking over a crashed attempt, only one matches the old time
        taken = session.execute(
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.key == key, IdempotencyKey.created_at == row.created_at)
            .values(created_at=clock.now())
        )
        session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return None
        raise IdempotencyInProgress("The first submission with this key is still being handled; try again shortly.")
    session.rollback()
    raise IdempotencyInProgress("The first submission with this key is still being handled; try again shortly.")


def complete(session: Session, key: str, status: int, body: dict[str, Any], request_id: int) -> None:
    """Store the result, in the transaction that creates the request."""
    row = session.get(IdempotencyKey, key)
    if row is not None:
        row.status = "completed"
        row.response_status = status
        row.response_body = body
        row.request_id = request_id


def release_key(session: Session, key: str) -> None:
    """The attempt failed: forget the key so a retry runs again (commits)."""
    session.rollback()
    session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.key == key, IdempotencyKey.status == "in_progress"))
    session.commit()


def purge_old_keys(session: Session, keep_hours: int) -> int:
    """Delete keys older than ``keep_hours`` (at least 24). Returns how many."""
    cutoff = clock.now() - timedelta(hours=max(keep_hours, 24))
    result = session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
