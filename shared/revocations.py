"""Revoked API tokens, known to every service that checks bearer tokens.

Inventory owns the staff accounts and their tokens; a token is a signed claim that any service verifies with the
shared secret, so without more a revoked token would stay good at booking and notify until it expired (90 days by
default). Inventory therefore publishes ``inventory.token.revoked`` (v1) through its outbox, and each consuming
service keeps the ids in its own ``revoked_tokens`` table, consulted on every bearer-token request. The window
between a revocation and its refusal elsewhere is the relay's latency (seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import Database, UTCDateTime
from shared.events import Envelope

EVENT_TYPE = "inventory.token.revoked"


class RevokedTokenMixin:
    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # after this the token's signature has expired anyway: the row may be purged
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


def token_revoked_handler(model: type[RevokedTokenMixin]) -> Callable[[Session, Envelope], None]:
    """The consumer's handler: remember the token id (a redelivery finds it there already)."""

    def apply(session: Session, envelope: Envelope) -> None:
        payload = envelope.payload
        token_id = str(payload["token_id"])
        if session.get(model, token_id) is None:
            row = model()
            row.token_id = token_id
            row.revoked_at = datetime.fromisoformat(str(payload["revoked_at"]))
            row.expires_at = datetime.fromisoformat(str(payload["expires_at"]))
            session.add(row)

    return apply


def revocation_check(database: Database, model: type[RevokedTokenMixin]) -> Callable[[str], bool]:
    """For ``shared.auth.init_auth``: one primary-key lookup per bearer-token request, in the request's own session.

    Never a connection of its own: on SQLite every transaction holds the write lock, so a second connection of
    the same request would wait for the request itself (a 15 s hang, then a 503).
    """
    from shared.db import get_session

    def revoked(token_id: str) -> bool:
        found = get_session().execute(sa.select(model.token_id).where(model.token_id == token_id)).first()
        return found is not None

    return revoked
