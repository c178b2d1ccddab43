"""The idempotent consumer and the dead-letter store, on real PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notify.models import Booking, DeadLetter, ProcessedEvent
from shared.consumer import APPLIED, DUPLICATE, IGNORED, apply_event, consume, record_dead_letter, replay_dead_letter
from shared.db import Database
from shared.events import Envelope
from tests.event_factories import booking_envelope

pytestmark = [pytest.mark.postgres]


def counting_handlers(counter: list[int]) -> dict[str, Any]:
    def handler(session: Session, envelope: Envelope) -> None:
        counter.append(1)
        session.execute(sa.text("SELECT pg_sleep(0.05)")) if session.bind.dialect.name == "postgresql" else None  # type: ignore[union-attr]

    return {"booking.request.submitted": handler}


def test_a_redelivered_event_is_skipped(notify_db: Database) -> None:
    counter: list[int] = []
    envelope = booking_envelope("submitted")
    assert apply_event(notify_db, ProcessedEvent, envelope, counting_handlers(counter)) == APPLIED
    assert apply_event(notify_db, ProcessedEvent, envelope, counting_handlers(counter)) == DUPLICATE
    assert counter == [1]


def test_concurrent_redeliveries_apply_once(notify_db: Database) -> None:
    counter: list[int] = []
    envelope = booking_envelope("submitted")
    outcomes: list[str] = []
    handlers = counting_handlers(counter)

    def run() -> None:
        outcomes.append(apply_event(notify_db, ProcessedEvent, envelope, handlers))

    threads = [threading.Thread(target=run) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == [APPLIED] + [DUPLICATE] * 4
    with notify_db.session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ProcessedEvent)) == 1


def test_a_failing_handler_commits_nothing(notify_db: Database) -> None:
    def failing(session: Session, envelope: Envelope) -> None:
        session.add(Booking(request_id=1))
        raise RuntimeError("boom")

    envelope = booking_envelope("submitted")
    with pytest.raises(RuntimeError):
        apply_event(notify_db, ProcessedEvent, envelope, {envelope.type: failing})
    with notify_db.session_factory() as session:
        assert session.get(ProcessedEvent, envelope.id) is None
    assert apply_event(notify_db, ProcessedEvent, envelope, {}) == IGNORED


class FakeTask:
    """Stands in for a bound Celery task: counts retries like Celery does."""

    class Request:
        retries = 0

    def __init__(self, retries: int) -> None:
        self.request = self.Request()
        self.request.retries = retries
        self.retried_with: float | None = None

    def retry(self, exc: BaseException, countdown: float, max_retries: Any) -> Exception:
        self.retried_with = countdown
        return RuntimeError("retry")


def test_retries_with_back_off_then_dead_letter_then_replay(notify_db: Database) -> None:
    envelope = booking_envelope("submitted")
    broken = {envelope.type: lambda s, e: (_ for _ in ()).throw(ValueError("template missing"))}
    task = FakeTask(retries=2)
    with pytest.raises(RuntimeError, match="retry"):
        consume(
            task,
            envelope.to_dict(),
            "notify",
            None,
            notify_db,
            ProcessedEvent,
            DeadLetter,
            broken,
            max_retries=3,
            base_seconds=5,
        )
    assert task.retried_with == 20
    outcome = consume(
        FakeTask(retries=3),
        envelope.to_dict(),
        "notify",
        None,
        notify_db,
        ProcessedEvent,
        DeadLetter,
        broken,
        3,
        base_seconds=5,
    )
    assert outcome == "dead_letter"
    with notify_db.session_factory() as session:
        letter = session.scalars(sa.select(DeadLetter)).one()
        assert "template missing" in letter.error and letter.attempts == 4
    applied: list[int] = []
    with pytest.raises(ValueError):
        replay_dead_letter(notify_db, ProcessedEvent, DeadLetter, letter.id, broken)
    fixed = {envelope.type: lambda s, e: applied.append(1)}
    assert replay_dead_letter(notify_db, ProcessedEvent, DeadLetter, letter.id, fixed) == APPLIED
    assert replay_dead_letter(notify_db, ProcessedEvent, DeadLetter, letter.id, fixed) == DUPLICATE
    assert applied == [1]


def test_a_malformed_envelope_goes_straight_to_the_dead_letters(notify_db: Database) -> None:
    outcome = consume(
        FakeTask(0), {"id": "not-a-uuid"}, "notify", None, notify_db, ProcessedEvent, DeadLetter, {}, 3, 5
    )
    assert outcome == "dead_letter"
    assert record_dead_letter(notify_db, DeadLetter, {"id": "nope"}, ValueError("x"), 1) > 0
