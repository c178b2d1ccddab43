"""Fault tests with real processes: kill -9 the worker and the relay, restart Redis, stop the SMTP server.

Each test is bounded by deadlines (no fixed long sleeps) and prints what it measured (``-s`` shows it).
"""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.notify.models import Booking
from shared import clock
from shared.relay import unpublished_count
from tests.event_factories import booking_envelope, location_payload
from tests.support.e2e import Stack, stack  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]


def test_worker_killed_mid_send_the_mail_arrives_after_restart_at_most_once_more(stack: Stack) -> None:  # noqa: F811
    recorder = stack.smtp.recorder
    in_data = threading.Event()
    recorder.delay_seconds = 3  # the SMTP server is slow: the worker is mid-send when we kill it
    recorder.on_data = lambda _message: in_data.set()
    stack.write([booking_envelope("rejected", reason="Al uitgeleend")])
    assert in_data.wait(30), "the worker never started sending"
    stack.processes.kill("worker")  # kill -9
    recorder.delay_seconds = 0
    recorder.on_data = None
    stack.processes.start("worker")
    started = time.monotonic()
    stack.wait(lambda: stack.notifications(kind="rejected")[0].status == "sent", 60, "the resend after restart")
    ids = recorder.ids()
    print(f"\nkill -9 mid-send: delivered {len(ids)}x, settled {time.monotonic() - started:.1f} s after restart")
    assert 1 <= len(ids) <= 2 and len(set(ids)) == 1
    assert stack.notifications(kind="rejected")[0].attempts == 2


def _write_stream(stack: Stack, envelopes: list, batch: int, pause: float) -> threading.Thread:  # noqa: F811
    def run() -> None:
        for start in range(0, len(envelopes), batch):
            stack.write(envelopes[start : start + batch])
            time.sleep(pause)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _lifecycles(bookings: int) -> list:
    """Five state changes per booking (phone-only contacts, a location without email: no mail to wait for)."""
    base = clock.now()
    envelopes = []
    verbs = ("submitted", "approved", "rescheduled", "contact_changed", "cancelled")
    for step, verb in enumerate(verbs):
        for request_id in range(1, bookings + 1):
            envelopes.append(
                booking_envelope(
                    verb,
                    occurred_at=base + timedelta(seconds=step, microseconds=request_id),
                    request_id=request_id,
                    email=None,
                    location=location_payload(email=None),
                    pickup_at=base + timedelta(days=10 + step),
                    status="approved" if verb == "contact_changed" else None,
                )
            )
    for envelope in envelopes:  # the factory's default status for the verbs above
        if envelope.payload["status"] is None:
            envelope.payload["status"] = envelope.type.rsplit(".", 1)[1].replace("rescheduled", "approved")
    return envelopes


def test_relay_killed_repeatedly_while_1000_events_are_written_every_event_applied_once(
    stack: Stack,  # noqa: F811
) -> None:
    envelopes = _lifecycles(200)
    assert len(envelopes) == 1000
    started = time.monotonic()
    writer = _write_stream(stack, envelopes, batch=20, pause=0.05)
    kills = 0
    rng = random.Random(4)
    while writer.is_alive() or (kills < 5):
        time.sleep(rng.uniform(0.2, 0.8))
        stack.processes.kill("relay")
        kills += 1
        stack.processes.start("relay")
    writer.join(timeout=60)
    stack.wait(lambda: unpublished_count(stack.booking_db) == 0, 60, "the relay to publish everything")
    stack.wait(lambda: stack.processed() == 1000, 90, "all 1000 events to be applied")
    elapsed = time.monotonic() - started
    with stack.notify_db.session_factory() as session:
        statuses = session.scalars(sa.select(Booking.status)).all()
    immediate = [
        n for n in stack.notifications() if n.kind in ("request_received", "new_request", "approved", "cancelled")
    ]
    print(f"\nrelay kill -9 x{kills}: 1000 events applied in {elapsed:.1f} s")
    assert len(statuses) == 200 and set(statuses) == {"cancelled"}
    assert len(immediate) == 800 and len({n.delivery_key for n in immediate}) == 800
    # Cancelled: no reminder left (the staff digests of those days stay, and will say there is nobody to call);
    # the immediate messages of the last events are settled by the dispatch tick those events scheduled.
    stack.wait(
        lambda: {n.kind for n in stack.notifications(status="scheduled")} <= {"call_list_digest"},
        15,
        "the dispatch tick after the last events (nothing but digests left to send)",
    )


def test_redis_restarted_while_events_flow_none_is_lost(stack: Stack) -> None:  # noqa: F811
    envelopes = _lifecycles(60)  # 300 events
    started = time.monotonic()
    writer = _write_stream(stack, envelopes, batch=10, pause=0.1)
    stack.wait(lambda: stack.processed() >= 30, 30, "events to flow")
    stack.redis.shutdown()  # redis-cli shutdown nosave
    time.sleep(1.0)  # Redis stays down for a moment while the writer goes on
    stack.redis.start()
    writer.join(timeout=60)
    try:
        stack.wait(lambda: stack.processed() == 300, 120, "all 300 events after the Redis restart")
    except AssertionError as error:
        raise AssertionError(f"{stack.processed()} processed; broker: {stack.broker_state()}\n{error}") from None
    restarts = stack.processes.restarts
    print(f"\nredis restart: 300 events applied in {time.monotonic() - started:.1f} s; supervisor restarts: {restarts}")
    assert unpublished_count(stack.booking_db) == 0


def test_smtp_down_for_a_while_mail_is_delivered_when_it_returns_none_twice(stack: Stack) -> None:  # noqa: F811
    stack.smtp.stop()
    stack.write([booking_envelope("rejected", request_id=i, reason="Volzet") for i in range(1, 21)])
    stack.wait(
        lambda: (
            all(n.attempts >= 2 and n.status == "scheduled" for n in stack.notifications(kind="rejected"))
            and len(stack.notifications(kind="rejected")) == 20
        ),
        60,
        "the sends to fail and wait for a retry",
    )
    assert "ConnectionRefusedError" in (stack.notifications(kind="rejected")[0].last_error or "")
    down_until = time.monotonic()
    stack.smtp.start()
    recorder = stack.smtp.recorder
    stack.smtp.wait_for(lambda: len(recorder.messages) >= 20, 60, "the 20 mails after SMTP returns")
    stack.wait(lambda: len(stack.notifications(kind="rejected", status="sent")) == 20, 30, "all settled as sent")
    print(f"\nSMTP down: 20 mails delivered {time.monotonic() - down_until:.1f} s after it came back")
    assert len(recorder.ids()) == len(set(recorder.ids())) == 20


def test_a_message_lost_inside_the_broker_is_published_again_and_applied_once(stack: Stack) -> None:  # noqa: F811
    import redis

    stack.processes.kill("worker")
    envelopes = [booking_envelope("contact_changed", request_id=i, email=None) for i in range(1, 11)]
    stack.write(envelopes)
    client = redis.Redis(port=stack.redis.port)
    stack.wait(lambda: client.llen("notify") == 10, 30, "ten messages in the notify queue")
    client.rpop("notify", 3)  # three messages vanish, as in kombu's BRPOP-then-crash window
    started = time.monotonic()
    stack.processes.start("worker")
    stack.wait(lambda: stack.processed() == 10, 60, "the three lost events to be published again and applied")
    print(f"\nlost in the broker: 3 of 10 recovered {time.monotonic() - started:.1f} s after the worker came back")
    assert "unconfirmed event(s) of booking again" in stack.processes.log("relay")
    client.close()
