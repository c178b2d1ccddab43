"""The idempotent consumer and its dead-letter store, the same for every consuming service.

``apply_event`` records the event id in the service's ``processed_events`` and applies the handler in ONE
transaction: a redelivered event finds its id and is skipped, so at-least-once delivery never doubles an effect.
``consume`` wraps it for a Celery task: a failure is retried with exponential back-off; once the retries are
spent the envelope and its error go to the ``dead_letters`` table, from where an operator replays it.
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared import clock
from shared.confirmations import Confirmations
from shared.db import Database, UTCDateTime
from shared.events import Envelope, ProcessedEventMixin, without_secret

# structlog, so each line carries the event's correlation id (bound in ``consume``)
log = structlog.get_logger("uitleen.consumer")

Handler = Callable[[Session, Envelope], None]

APPLIED = "applied"
DUPLICATE = "duplicate"
IGNORED = "ignored"


class DeadLetterMixin:
    """An event that kept failing: its envelope, the last error, and whether an operator replayed it."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    envelope: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    error: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


def apply_event(
    database: Database,
    processed_model: type[ProcessedEventMixin],
    envelope: Envelope,
    handlers: Mapping[str, Handler],
) -> str:
    """Apply ``envelope`` once. Returns APPLIED, DUPLICATE (already processed) or IGNORED (no handler).

    An event without a handler is still recorded, so the log shows it arrived. Raises what the handler raises
    (nothing of it is committed then, not even the processed id).
    """
    try:
        with database.transaction() as session:
            if session.get(processed_model, envelope.id) is not None:
                return DUPLICATE
            marker = processed_model()
            marker.event_id = envelope.id
            marker.type = envelope.type
            marker.processed_at = clock.now()
            session.add(marker)
            # Flush first: a concurrent redelivery of the same id now waits on the primary key, then fails.
            session.flush()
            handler = handlers.get(envelope.type)
            if handler is None:
                log.info("event %s (%s): no handler here, recorded and ignored", envelope.id, envelope.type)
                return IGNORED
            handler(session, envelope)
    except IntegrityError:
        with database.session_factory() as session:
            if session.get(processed_model, envelope.id) is not None:
                return DUPLICATE
        raise
    return APPLIED


def retry_delay(retries: int, base_seconds: float, max_seconds: float) -> float:
    """Exponential back-off: base, 2·base, 4·base … capped."""
    return float(min(max_seconds, base_seconds * (2**retries)))


def record_dead_letter(
    database: Database,
    dead_letter_model: type[DeadLetterMixin],
    envelope: dict[str, Any],
    error: BaseException,
    attempts: int,
) -> int:
    with database.transaction() as session:
        row = dead_letter_model()
        try:
            row.event_id = uuid.UUID(str(envelope.get("id")))
        except ValueError:  # a malformed envelope is kept too; its id is unusable
            row.event_id = uuid.UUID(int=0)
        row.type = str(envelope.get("type", "?"))
        row.envelope = without_secret(envelope)
        row.error = "".join(traceback.format_exception(error))[-4000:]
        row.attempts = attempts
        row.failed_at = clock.now()
        session.add(row)
        session.flush()
        return row.id


class UnknownDeadLetter(LookupError):
    """No dead letter has this id (a handler's own KeyError or IndexError is not this)."""


def replay_dead_letter(
    database: Database,
    processed_model: type[ProcessedEventMixin],
    dead_letter_model: type[DeadLetterMixin],
    dead_letter_id: int,
    handlers: Mapping[str, Handler],
) -> str:
    """Apply a dead letter's event again, now. Returns what ``apply_event`` returns and marks it replayed.

    Raises UnknownDeadLetter for an unknown id, and what the handler raises (the error is stored on the row).
    """
    with database.session_factory() as session:
        row = session.get(dead_letter_model, dead_letter_id)
        if row is None:
            raise UnknownDeadLetter(dead_letter_id)
        envelope = dict(row.envelope)
    try:
        outcome = apply_event(database, processed_model, Envelope.from_dict(envelope), handlers)
    except Exception as error:
        with database.transaction() as session:
            failed = session.get(dead_letter_model, dead_letter_id)
            assert failed is not None
            failed.error = "".join(traceback.format_exception(error))[-4000:]
            failed.attempts += 1
            failed.failed_at = clock.now()
        raise
    with database.transaction() as session:
        done = session.get(dead_letter_model, dead_letter_id)
        assert done is not None
        done.replayed_at = clock.now()
    return outcome


def consume(
    task: Any,
    envelope: dict[str, Any],
    service: str,
    confirmations: Confirmations | None,
    database: Database,
    processed_model: type[ProcessedEventMixin],
    dead_letter_model: type[DeadLetterMixin] | None,
    handlers: Mapping[str, Handler],
    max_retries: int,
    base_seconds: float,
    max_seconds: float = 600,
) -> str:
    """The body of every ``<service>.handle_event`` Celery task (``task`` is the bound task).

    Retries a failing event with exponential back-off (short countdowns, well inside the broker's visibility
    timeout); after ``max_retries`` it stores a dead letter and returns "dead_letter", so the message is acked
    and the queue moves on. Raises celery's Retry in between.
    """
    try:
        parsed = Envelope.from_dict(envelope)
    except (KeyError, ValueError, TypeError) as error:
        log.error("malformed envelope %r: %s", envelope.get("id"), error)
        if dead_letter_model is None:
            raise
        record_dead_letter(database, dead_letter_model, envelope, error, 1)
        _confirm(confirmations, envelope, service)
        return "dead_letter"
    with structlog.contextvars.bound_contextvars(correlation_id=parsed.correlation_id, event_id=str(parsed.id)):
        return _consume_parsed(
            task,
            envelope,
            parsed,
            service,
            confirmations,
            database,
            processed_model,
            dead_letter_model,
            handlers,
            max_retries,
            base_seconds,
            max_seconds,
        )


def _consume_parsed(
    task: Any,
    envelope: dict[str, Any],
    parsed: Envelope,
    service: str,
    confirmations: Confirmations | None,
    database: Database,
    processed_model: type[ProcessedEventMixin],
    dead_letter_model: type[DeadLetterMixin] | None,
    handlers: Mapping[str, Handler],
    max_retries: int,
    base_seconds: float,
    max_seconds: float,
) -> str:
    try:
        outcome = apply_event(database, processed_model, parsed, handlers)
    except Exception as error:
        retries = int(task.request.retries or 0)
        if retries >= max_retries and dead_letter_model is not None:
            record_dead_letter(database, dead_letter_model, envelope, error, retries + 1)
            log.error("event %s (%s) dead-lettered after %d attempts: %s", parsed.id, parsed.type, retries + 1, error)
            _confirm(confirmations, envelope, service)
            return "dead_letter"
        delay = retry_delay(retries, base_seconds, max_seconds)
        log.warning("event %s (%s) failed, retry %d in %.1f s: %s", parsed.id, parsed.type, retries + 1, delay, error)
        raise task.retry(exc=error, countdown=delay, max_retries=None) from error
    if outcome == DUPLICATE:
        log.info("event %s (%s) already processed: skipped", parsed.id, parsed.type)
    _confirm(confirmations, envelope, service)
    return outcome


def _confirm(confirmations: Confirmations | None, envelope: dict[str, Any], service: str) -> None:
    if confirmations is not None and envelope.get("producer") and envelope.get("id"):
        confirmations.confirm(str(envelope["producer"]), service, str(envelope["id"]))
