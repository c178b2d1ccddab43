"""End to end with real processes: booking's outbox → relay → Redis → celery worker → SMTP (aiosmtpd).

The booking HTTP API is built in parallel; until it is merged, the test writes booking's outbox rows exactly as
the booking service does, so everything downstream of the outbox is the production path.
"""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from email.message import EmailMessage

import pytest

from services.notify.config import ReminderPolicy
from services.notify.domain.schedule import day_before_reminder
from shared import clock
from tests.event_factories import booking_envelope
from tests.support.e2e import Stack, stack  # noqa: F401
from tests.support.notify import staff_headers

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(180)]

SEWING = {
    "asset_id": 21,
    "asset_code": "naaimachine-1",
    "asset_name_nl": "Naaimachine",
    "asset_name_en": "Sewing machine",
    "category": "sewing_machine",
    "quantity": 1,
    "requirements": [],
}


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_requester_and_staff_mails_arrive_and_the_pickup_reminder_when_due(stack: Stack) -> None:  # noqa: F811
    now = clock.now().replace(microsecond=0)
    pickup = (now + timedelta(days=4)).replace(hour=12, minute=0)
    recorder = stack.smtp.recorder
    stack.write([booking_envelope("submitted", occurred_at=now, pickup_at=pickup, items=[SEWING])])
    stack.smtp.wait_for(lambda: len(recorder.messages) >= 2, 30, "the two mails of a new request")
    [received] = recorder.by_subject("We ontvingen je aanvraag UL-00001")
    assert received["To"] == "buren@example.org"
    assert "/status/geheim-1" in text_of(received)
    [staff] = recorder.by_subject("Nieuwe aanvraag UL-00001")
    assert staff["To"] == "bc.dampoort@example.org"

    stack.write(
        [booking_envelope("approved", occurred_at=now + timedelta(seconds=1), pickup_at=pickup, items=[SEWING])]
    )
    stack.smtp.wait_for(lambda: recorder.by_subject("Goedgekeurd"), 30, "the approval")
    [approved] = recorder.by_subject("Goedgekeurd: je aanvraag UL-00001")
    body = text_of(approved)
    assert "Dampoortstraat 2, 9000 Gent" in body and "maandag 09:00–17:00" in body
    attachments = [p for p in approved.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert attachments and "BEGIN:VEVENT" in attachments[0].get_content()

    # The delivery log over HTTP, from gunicorn.
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.processes.web_port}/notify/deliveries?status=sent", headers=staff_headers()
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200

    # Time moves (for every process) to the reminder's hour: the reminder arrives, once, even with two beats.
    stack.processes.start("beat2")
    due = day_before_reminder(pickup, ReminderPolicy(1, 10))
    assert recorder.by_subject("Herinnering") == []
    stack.set_clock(due + timedelta(seconds=30))
    stack.smtp.wait_for(lambda: recorder.by_subject("Herinnering: ophalen"), 30, "the pick-up reminder")
    stack.set_clock(due + timedelta(minutes=30))
    stack.wait(lambda: stack.notifications(kind="pickup_reminder")[0].status == "sent", 10, "reminder settled")
    [reminder] = recorder.by_subject("Herinnering: ophalen")
    assert reminder["To"] == "buren@example.org" and "Naaimachine" in text_of(reminder)
    assert len(recorder.ids()) == len(set(recorder.ids())) == 4
