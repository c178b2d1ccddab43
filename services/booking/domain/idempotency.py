"""``Idempotency-Key`` for submissions (IETF httpapi draft, Stripe's practice), for the API and the form alike.

The key row is claimed in the submission's own transaction, before the work: the primary key makes a second
first use impossible. A second submission with the same key waits on that primary key (PostgreSQL waits for the
first transaction; SQLite's writers are serialised), then finds the first one's row and replays its request. If
the first fails, its transaction takes the key row with it, so a retry simply runs again. There is no
"in progress" state and never a second connection.

A key is scoped to the client that sent it (a staff member, the form's browser session, an anonymous API
client's address), so nobody can replay another client's submission to obtain a link to it; only a hash of
scope and key is stored, with the request id: no response, no contact data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.booking.domain.errors import Code, IdempotencyKeyReused, problem
from services.booking.models import IdempotencyKey
from shared import clock
from shared.errors import InvalidInput

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Key:
    """One client's key for one submission, and the digest of what it submitted."""

    scope: str  # "staff:7", "form:<session nonce>", "client:<address hash>"
    key: str
    digest: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(f"{self.scope}\0{self.key}".encode()).hexdigest()


def digest_of(command: Any) -> str:
    """A stable digest of a submission command (same fields, same digest; API and form alike)."""
    data = (
        dataclasses.asdict(command) if dataclasses.is_dataclass(command) and not isinstance(command, type) else command
    )
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def check_key(raw: str) -> str:
    """Raises InvalidInput naming the header when the key is empty, too long or not printable."""
    key = raw.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput.of(
            [problem("Idempotency-Key", Code.IDEMPOTENCY_KEY_INVALID, where="headers", max=MAX_KEY_LENGTH)]
        )
    return key


def claim(session: Session, key: Key) -> int | None:
    """Claim ``key`` in the caller's transaction: None for a first use, else the first use's request id.

    Raises IdempotencyKeyReused (422) when the key came with another submission.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {"key_hash": key.hash, "body_hash": key.digest, "created_at": clock.now()}
    result = session.execute(insert(IdempotencyKey).values(**values).on_conflict_do_nothing())
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return None
    row = session.get(IdempotencyKey, key.hash, populate_existing=True)
    if row is None or row.request_id is None:  # only a crashed writer could leave this; treat as first use
        return None
    if row.body_hash != key.digest:
        raise IdempotencyKeyReused()
    return row.request_id


def complete(session: Session, key: Key, request_id: int) -> None:
    """Tie the claimed key to the request created in the same transaction."""
    session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.key_hash == key.hash).values(request_id=request_id))


def purge_old_keys(session: Session, keep_hours: int) -> int:
    """Delete keys older than ``keep_hours`` (at least 24, the contract's promise). Returns how many."""
    cutoff = clock.now() - timedelta(hours=max(keep_hours, 24))
    result = session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_keys_of(session: Session, request_ids: list[int]) -> int:
    """Erasure and retention: a replay must not reach an anonymised request. Returns how many."""
    if not request_ids:
        return 0
    result = session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.request_id.in_(request_ids)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
