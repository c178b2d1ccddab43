"""The event envelope every service publishes, and the transactional outbox that stores it.

An event is written to its service's ``outbox`` table in the same transaction as the change it reports, so
the two commit together or not at all. A relay publishes outbox rows to the broker afterwards.
Wire names are ``<service>.<subject>.<verb-past>``, e.g. ``inventory.asset.retired``.

Besides the payload (a copyable snapshot, defined by the producer's contract module) an envelope may carry:
- ``correlation_id``: the request id of the HTTP request (or task) that caused the event, so one action can be
  followed through every service's logs; consumers bind it while they handle the event.
- ``secret``: a value only the consumer that delivers it to its owner may see (the private status link's token,
  for the confirmation mail). It never enters the payload, which consumers copy and keep; the relay blanks it
  in the outbox once published, dead letters are stored without it, and notify forgets it once the mail is sent.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared import clock
from shared.db import UTCDateTime, insert_at_commit

EVENT_TYPE = re.compile(r"^[a-z]+\.[a-z_]+\.[a-z_]+$")


@dataclass(frozen=True)
class Envelope:
    type: str
    payload: dict[str, Any]
    producer: str
    version: int = 1
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=clock.now)
    correlation_id: str | None = field(default_factory=lambda: current_correlation_id())
    secret: str | None = None

    def __post_init__(self) -> None:
        if not EVENT_TYPE.match(self.type):
            raise ValueError(f"event type {self.type!r} is not <service>.<subject>.<verb-past>")
        if not self.type.startswith(self.producer + "."):
            raise ValueError(f"event type {self.type!r} does not belong to producer {self.producer!r}")

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": str(self.id),
            "type": self.type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat(),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "payload": self.payload,
        }
        if self.secret is not None:
            data["secret"] = self.secret
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        return cls(
            id=uuid.UUID(str(data["id"])),
            type=data["type"],
            version=int(data["version"]),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            producer=data["producer"],
            payload=dict(data["payload"]),
            correlation_id=data.get("correlation_id"),
            secret=data.get("secret"),
        )


def without_secret(envelope: dict[str, Any]) -> dict[str, Any]:
    """An envelope fit to be stored (a dead letter, a log): the secret left out."""
    return {k: v for k, v in envelope.items() if k != "secret"}


def current_correlation_id() -> str | None:
    """The request id (or task id) bound to the logs of what is running now, if any."""
    bound = structlog.contextvars.get_contextvars()
    value = bound.get("correlation_id") or bound.get("request_id")
    return str(value) if value else None


class OutboxMixin:
    """Columns of a service's ``outbox`` table. A service declares ``class OutboxEvent(OutboxMixin, Base)``."""

    __tablename__ = "outbox"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(sa.Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    producer: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    correlation_id: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    # blanked by the relay once published (see the module docstring)
    secret: Mapped[str | None] = mapped_column(sa.Text, default=None)

    def to_envelope(self) -> Envelope:
        return Envelope(
            id=self.id,
            type=self.type,
            version=self.version,
            occurred_at=self.occurred_at,
            producer=self.producer,
            payload=self.payload,
            correlation_id=self.correlation_id,
            secret=self.secret,
        )


class ProcessedEventMixin:
    """Event ids a consumer has applied, written in the same transaction as the effect (idempotency)."""

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime())


def record_event(session: Session, outbox_model: type[OutboxMixin], envelope: Envelope) -> None:
    """Add ``envelope`` to the outbox within the caller's transaction (never commits by itself).

    The row is written when the transaction commits, together with the transaction's other write-only rows
    (``shared.db.insert_at_commit``), and not at all if it rolls back.
    """
    table: sa.Table = outbox_model.__table__  # type: ignore[attr-defined]
    insert_at_commit(
        session,
        table,
        {
            "id": envelope.id,
            "type": envelope.type,
            "version": envelope.version,
            "occurred_at": envelope.occurred_at,
            "producer": envelope.producer,
            "payload": envelope.payload,
            "published_at": None,
            "attempts": 0,
            "last_error": None,
            "correlation_id": envelope.correlation_id,
            "secret": envelope.secret,
        },
    )
