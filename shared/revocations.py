"""Revoked credentials and changed accounts, known to every service that checks staff identity.

Inventory owns the staff accounts, their sessions and their tokens; a credential is a signed claim that any
service verifies with the shared secret, so without more a revoked token would stay good at booking and notify
until it expired, and a session signed before an administrator took away a role or a centre would keep them.
Inventory therefore publishes two events through its outbox, and each consuming service keeps a small table of
each, consulted on every request that carries a credential:

- ``inventory.token.revoked`` (v1): a token or a session (``kind``) was revoked. ``revoked_tokens`` keeps the
  id; a credential is refused when its own id *or any ancestor's* is there (the claims carry the chain, see
  ``shared.auth``), so a token minted by a revoked one dies with it without an event of its own — even one
  minted after the revocation was published.
- ``inventory.staff.changed`` (v1): the account's role, centres, password or active flag changed and its claims
  generation went up. ``staff_changes`` keeps the highest generation per staff member; a credential signed with
  an older one is refused (a deactivated account's generation goes up too).

The window between the change at inventory and its refusal elsewhere is the relay's latency (seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.auth import Principal
from shared.db import Database, UTCDateTime
from shared.events import Envelope

EVENT_TYPE = "inventory.token.revoked"
STAFF_CHANGED = "inventory.staff.changed"


class RevokedTokenMixin:
    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # after this the token's signature has expired anyway: the row may be purged
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffChangeMixin:
    """The newest claims generation of a staff member: credentials signed with an older one are refused."""

    __tablename__ = "staff_changes"

    staff_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(sa.Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


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


def staff_changed_handler(model: type[StaffChangeMixin]) -> Callable[[Session, Envelope], None]:
    """The consumer's handler: keep the highest generation (events of one account may arrive out of order)."""

    def apply(session: Session, envelope: Envelope) -> None:
        payload = envelope.payload
        staff_id, generation = int(payload["staff_id"]), int(payload["generation"])
        row = session.get(model, staff_id, with_for_update=True)
        if row is None:
            row = model()
            row.staff_id = staff_id
            row.generation = -1
            session.add(row)
        if generation > row.generation:
            row.generation = generation
            row.changed_at = datetime.fromisoformat(str(payload["changed_at"]))

    return apply


def credential_check(
    database: Database, revoked: type[RevokedTokenMixin], changes: type[StaffChangeMixin]
) -> Callable[[Principal], bool]:
    """For ``shared.auth.init_auth``: is this credential void? Two primary-key lookups, in one statement, in the
    request's own session.

    Never a connection of its own: on SQLite every transaction holds the write lock, so a second connection of
    the same request would wait for the request itself (a 15 s hang, then a 503).
    """
    from shared.db import get_session

    # one statement for both questions: is any of its lineage revoked, and what is the account's generation;
    # built once (bound parameters, an expanding IN), so each request only binds values to a cached compilation
    any_revoked = sa.exists().where(revoked.token_id.in_(sa.bindparam("lineage", expanding=True)))
    newest = sa.select(changes.generation).where(changes.staff_id == sa.bindparam("staff_id")).scalar_subquery()
    query = sa.select(any_revoked, newest)

    def void(principal: Principal) -> bool:
        params = {"lineage": list(principal.lineage), "staff_id": principal.staff_id}
        revoked_now, generation = get_session().execute(query, params).one()
        return bool(revoked_now) or (generation is not None and principal.generation < generation)

    return void
