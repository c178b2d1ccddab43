"""A message that cannot be built or sent fails alone, visibly, after bounded retries; the rest of the batch goes
out. Against a real SMTP server (aiosmtpd on loopback) that refuses some recipients, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from services.notify.config import NotifyConfig
from services.notify.domain.mail import SmtpSender
from services.notify.models import ScheduledNotification
from shared import clock
from tests.event_factories import booking_envelope, write_booking_events
from tests.support.notify import Pipeline
from tests.support.smtp import SmtpServer

pytestmark = [pytest.mark.postgres]
T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
LATER, GONE = "later@example.org", "gone@example.org"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()

    async def handle_RCPT(server_: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address == LATER:
            return "451 4.2.0 mailbox busy, try later"
        if address == GONE:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    server.recorder.handle_RCPT = handle_RCPT  # type: ignore[attr-defined]
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_pipeline(pipeline: Pipeline, smtp: SmtpServer) -> Pipeline:
    pipeline.config = NotifyConfig(retry_base_seconds=60, send_lease_seconds=120, max_send_attempts=3)
    pipeline.sender = SmtpSender(NotifyConfig(mail_backend="smtp", smtp_port=smtp.port, smtp_timeout=5))
    return pipeline


def rows(pipeline: Pipeline) -> dict[str, ScheduledNotification]:
    with pipeline.notify_db.session_factory() as session:
        found = session.scalars(sa.select(ScheduledNotification).where(ScheduledNotification.kind == "rejected"))
        return {str(row.delivery_key.split(":")[0]): row for row in found}


def test_one_bad_row_fails_alone_and_every_other_row_of_the_batch_goes_out(
    smtp_pipeline: Pipeline, smtp: SmtpServer
) -> None:
    clock.set_clock(T0)
    addresses = ["first@example.org", LATER, GONE, "ané@exämple.org", "an\n@example.org", "last@example.org"]
    with smtp_pipeline.booking_db.transaction() as session:
        write_booking_events(
            session,
            [
                booking_envelope("rejected", occurred_at=T0, request_id=i, email=address, reason="vol")
                for i, address in enumerate(addresses, start=1)
            ],
        )
    with smtp_pipeline.notify_db.transaction() as session:
        # a message whose template does not exist: the render fails for this row only
        session.add(
            ScheduledNotification(
                delivery_key="b1:no_such_kind:x",
                request_id=1,
                location_id=7,
                kind="no_such_kind",
                audience="requester",
                due_at=T0,
                not_before=T0,
                status="scheduled",
                attempts=0,
            )
        )
    smtp_pipeline.relay()
    counts = smtp_pipeline.dispatch().counts
    received = sorted(str(m["To"]) for m in smtp.recorder.messages)
    assert received == ["ané@xn--exmple-cua.org", "first@example.org", "last@example.org"]
    found = rows(smtp_pipeline)
    assert {k: (r.status, r.reason) for k, r in found.items()} == {
        "b1": ("sent", None),
        "b2": ("scheduled", None),  # 451: tried again later
        "b3": ("failed", "refused"),  # 550: for good
        "b4": ("sent", None),  # an international address: its domain IDNA-encoded, its local part over SMTPUTF8
        "b5": ("failed", "bad_address"),  # a line break in the address
        "b6": ("sent", None),
    }
    assert "451" in (found["b2"].last_error or "") and found["b2"].not_before == T0 + timedelta(seconds=60)
    assert "550" in (found["b3"].last_error or "") and "not an address" in (found["b5"].last_error or "")
    with smtp_pipeline.notify_db.session_factory() as session:
        broken = session.scalars(sa.select(ScheduledNotification).where(ScheduledNotification.kind == "no_such_kind"))
        [row] = list(broken)
        assert (row.status, row.reason) == ("failed", "cannot_build") and "no_such_kind" in (row.last_error or "")
        sending = session.scalar(sa.select(sa.func.count()).where(ScheduledNotification.status == "sending"))
    assert sending == 0, "no row is left claimed"
    assert counts["failed"] == 3 and counts["retry"] == 1
    # the busy mailbox stays busy: retried with back-off, then given up, visibly, after the attempts allowed
    for minutes in (2, 5):
        clock.set_clock(T0 + timedelta(minutes=minutes))
        smtp_pipeline.dispatch()
    later = rows(smtp_pipeline)["b2"]
    assert (later.status, later.reason, later.reason_params, later.attempts) == (
        "failed",
        "gave_up",
        {"attempts": 3},
        3,
    )


def test_a_row_whose_workers_keep_dying_mid_send_fails_after_the_attempts_allowed(
    smtp_pipeline: Pipeline,
) -> None:
    clock.set_clock(T0)
    with smtp_pipeline.notify_db.transaction() as session:
        session.add(
            ScheduledNotification(
                delivery_key="b9:rejected:x",
                request_id=9,
                location_id=7,
                kind="rejected",
                audience="requester",
                due_at=T0,
                not_before=T0,
                status="sending",  # claimed three times by workers that died before settling it
                attempts=3,
                lease_until=T0 - timedelta(seconds=1),
            )
        )
    assert smtp_pipeline.dispatch().counts == {"failed": 1}
    [row] = rows(smtp_pipeline).values()
    assert (row.status, row.reason) == ("failed", "gave_up")


@pytest.mark.parametrize(
    "address", ["", "an @example.org", "An <an@example.org>", "a@b@example.org", "an@", "\udcff@example.org"]
)
def test_an_address_that_cannot_go_into_a_mail_is_refused_before_any_transport(address: str) -> None:
    from services.notify.domain.mail import BadAddress, check_address

    with pytest.raises(BadAddress):
        check_address(address)
    assert check_address("élodie@exämple.be") == "élodie@xn--exmple-cua.be"


def _rejections(pipeline: Pipeline, count: int) -> None:
    with pipeline.booking_db.transaction() as session:
        write_booking_events(
            session,
            [
                booking_envelope("rejected", occurred_at=T0, request_id=i, email=f"an{i}@example.org", reason="vol")
                for i in range(1, count + 1)
            ],
        )
    pipeline.relay()


def _unsettled(pipeline: Pipeline) -> int:
    with pipeline.notify_db.session_factory() as session:
        return int(session.scalar(sa.select(sa.func.count()).where(ScheduledNotification.status == "sending")) or 0)


def test_one_dispatch_tick_sends_every_due_mail_over_one_smtp_connection(
    smtp_pipeline: Pipeline, smtp: SmtpServer
) -> None:
    clock.set_clock(T0)
    _rejections(smtp_pipeline, 5)
    assert smtp_pipeline.dispatch().counts == {"sent": 5}
    assert len(smtp.recorder.messages) == 5
    assert len(set(smtp.recorder.peers)) == 1, "one connection for the whole tick"
    # a refused recipient does not cost the connection either (smtplib resets the transaction)
    with smtp_pipeline.booking_db.transaction() as session:
        write_booking_events(
            session,
            [
                booking_envelope("rejected", occurred_at=T0, request_id=10 + i, email=address, reason="vol")
                for i, address in enumerate([GONE, "after@example.org"])
            ],
        )
    smtp_pipeline.relay()
    assert smtp_pipeline.dispatch().counts == {"failed": 1, "sent": 1}
    assert len(set(smtp.recorder.peers)) == 2, "the second tick opened one connection of its own"


def test_a_server_that_drops_the_connection_mid_batch_gets_every_row_settled(
    smtp_pipeline: Pipeline, smtp: SmtpServer
) -> None:
    """The server hangs up after every second message (as one that closes idle or long-used connections does):
    the sender reconnects once and goes on; then the server goes away for good: the rest wait for a retry."""
    clock.set_clock(T0)
    per_connection: dict[Any, int] = {}
    received = smtp.recorder.handle_DATA

    async def handle_DATA(server: Any, session: Any, envelope: Any) -> str:
        answer = await received(server, session, envelope)
        per_connection[session.peer] = per_connection.get(session.peer, 0) + 1
        if per_connection[session.peer] == 2:
            asyncio.get_running_loop().call_soon(server.transport.close)  # after the 250 has gone out
        return answer

    smtp.recorder.handle_DATA = handle_DATA  # type: ignore[method-assign]
    _rejections(smtp_pipeline, 5)
    assert smtp_pipeline.dispatch().counts == {"sent": 5}
    assert len(smtp.recorder.messages) == 5 and len(set(smtp.recorder.ids())) == 5, "each mail once"
    assert len(set(smtp.recorder.peers)) == 3, "2 + 2 + 1 messages: reconnected twice"

    # now the server stops for good after the first message of the next tick
    def stop_after_first(message: Any) -> None:
        smtp.recorder.on_data = None
        threading.Thread(target=smtp.stop).start()

    smtp.recorder.on_data = stop_after_first
    with smtp_pipeline.booking_db.transaction() as session:
        write_booking_events(
            session,
            [
                booking_envelope("rejected", occurred_at=T0, request_id=20 + i, email=f"b{i}@example.org", reason="x")
                for i in range(4)
            ],
        )
    smtp_pipeline.relay()
    counts = smtp_pipeline.dispatch().counts
    assert counts.get("sent", 0) >= 1 and counts.get("retry", 0) >= 1 and sum(counts.values()) == 4, counts
    assert _unsettled(smtp_pipeline) == 0, "no row is left claimed"
    with smtp_pipeline.notify_db.session_factory() as session:
        waiting = session.scalars(
            sa.select(ScheduledNotification).where(ScheduledNotification.status == "scheduled")
        ).all()
    assert len(waiting) == counts["retry"] and all(row.last_error for row in waiting)


def test_the_settle_writes_what_the_send_learned_only_while_the_row_is_still_sending(pipeline: Pipeline) -> None:
    """An anonymisation applied during the send blanked the row: the settle does not write the address back."""
    from services.notify.domain import notifications

    with pipeline.notify_db.transaction() as session:
        for key, status in (("b1:approved:x", "sending"), ("b2:approved:x", "skipped")):
            session.add(
                ScheduledNotification(
                    delivery_key=key,
                    request_id=int(key[1]),
                    location_id=7,
                    kind="approved",
                    audience="requester",
                    due_at=T0,
                    not_before=T0,
                    status=status,
                    attempts=1,
                )
            )
    with pipeline.notify_db.engine.begin() as connection:
        ids = dict(connection.execute(sa.select(ScheduledNotification.delivery_key, ScheduledNotification.id)).all())
        for key in ids:
            notifications.settle_row(
                connection, ids[key], "sent", T0, recipient="an@example.org", language="nl", message_id="<m>"
            )
    with pipeline.notify_db.session_factory() as session:
        found = {r.delivery_key: r for r in session.scalars(sa.select(ScheduledNotification))}
        sent, blanked = found["b1:approved:x"], found["b2:approved:x"]
        assert (sent.status, sent.recipient, sent.message_id, sent.sent_at) == ("sent", "an@example.org", "<m>", T0)
        assert (blanked.status, blanked.recipient, blanked.message_id) == ("sent", None, None)
