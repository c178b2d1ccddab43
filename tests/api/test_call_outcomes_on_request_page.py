"""What staff note on notify's call list ("gebeld" / "niet bereikt") shows on booking's request page.

Notify owns the call list; each call it records is also written, in the same transaction, as the event
``notify.call.recorded`` (services/notify/contract.py) to notify's outbox. The relay routes it to booking
(shared/routing.py), whose handler keeps a copy per call (``contact_calls``): the request's page reads booking's
own table, never notify's. Redelivery adds nothing; erasing the request's contact blanks the notes at both ends.
On the embedded default (SQLite) and PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from services.booking import models as booking_models
from services.booking.domain.lifecycle import SYSTEM
from services.booking.domain.privacy import anonymise_request
from services.booking.handlers import EVENT_HANDLERS
from services.booking.models import BookingRequest, ContactCall
from services.notify import contract as notify_contract
from services.notify.config import NotifyConfig
from services.notify.models import OutboxEvent as NotifyOutbox
from services.notify.models import ScheduledNotification
from shared import clock
from shared.consumer import apply_event
from shared.events import Envelope
from shared.relay import relay_once
from tests.api.test_embedded_refusals import DESK, caravan, hidden, staff_client
from tests.integration.test_event_contract import declared, strict
from tests.support.embedded import Embedded
from tests.support.notify import Pipeline, RecordingSender

pytestmark = [pytest.mark.postgres]


def _relay_notify_to_booking(suite: Embedded) -> list[dict[str, Any]]:
    """notify's outbox → relay (routing table) → booking's consumer, in this process."""
    published: list[dict[str, Any]] = []

    def publish(service: str, envelope: dict[str, Any]) -> None:
        assert service == "booking", service
        published.append(envelope)
        apply_event(
            suite.databases["booking"], booking_models.ProcessedEvent, Envelope.from_dict(envelope), EVENT_HANDLERS
        )

    while relay_once(suite.databases["notify"], publish):
        pass
    return published


def test_a_call_noted_on_the_call_list_shows_on_the_request_page(demo_suite: Embedded) -> None:
    client = staff_client(demo_suite)
    # a resident with a phone and no e-mail, booked at the desk: her messages are on the call list
    sent = client.post(DESK, data=caravan(client.get(DESK).get_data(as_text=True), email="", phone="0470 12 34 56"))
    assert sent.status_code == 303
    with demo_suite.databases["booking"].session_factory() as session:
        request = session.scalars(sa.select(BookingRequest)).one()
        request_id, reference = request.id, request.reference
    page = client.get(f"/staff/aanvragen/{request_id}").get_data(as_text=True)
    assert "Nog niemand noteerde een telefoontje op de bellijst." in page

    pipeline = Pipeline(
        demo_suite.databases["booking"], demo_suite.databases["notify"], NotifyConfig(), RecordingSender()
    )
    pipeline.relay()
    pipeline.dispatch()
    with demo_suite.databases["notify"].session_factory() as session:
        row = session.scalars(
            sa.select(ScheduledNotification).where(
                ScheduledNotification.request_id == request_id, ScheduledNotification.kind == "request_received"
            )
        ).one()
        assert row.status == "call_list"
        notification_id = row.id

    calls = client.get("/notify/bellijst").get_data(as_text=True)
    assert reference in calls
    token = hidden(calls, "csrf_token")
    for outcome, note in (("unreached", "voicemail"), ("reached", "komt zaterdag langs")):
        noted = client.post(
            f"/notify/bellijst/{notification_id}", data={"csrf_token": token, "outcome": outcome, "note": note}
        )
        assert noted.status_code == 303
        clock.set_clock(clock.now() + timedelta(minutes=10))

    envelopes = _relay_notify_to_booking(demo_suite)
    assert [e["type"] for e in envelopes] == [notify_contract.CALL_RECORDED] * 2
    version, schema = notify_contract.EVENTS[notify_contract.CALL_RECORDED]
    for envelope in envelopes:  # the producer sends exactly what its contract names
        assert envelope["version"] == version and envelope["producer"] == "notify"
        strict(schema).load(envelope["payload"])
        assert set(envelope["payload"]) == declared(schema)

    page = client.get(f"/staff/aanvragen/{request_id}").get_data(as_text=True)
    section = re.search(r'<section class="card" aria-labelledby="gebeld">(.*?)</section>', page, re.S)
    assert section, "no call section on the request page"
    lines = re.findall(r"<li>(.*?)</li>", section.group(1), re.S)
    assert len(lines) == 2
    assert "niet bereikt" in lines[0] and "voicemail" in lines[0] and "aanvraag ontvangen" in lines[0]
    assert "gebeld" in lines[1] and "komt zaterdag langs" in lines[1] and "Beheerder" in lines[1]

    # a redelivery (the relay republishes what was not confirmed) adds nothing
    for envelope in envelopes:
        apply_event(
            demo_suite.databases["booking"],
            booking_models.ProcessedEvent,
            Envelope.from_dict({**envelope, "id": str(uuid.uuid4())}),
            EVENT_HANDLERS,
        )
    with demo_suite.databases["booking"].session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ContactCall)) == 2

    # English page: the same calls in English words
    english = client.get(f"/staff/aanvragen/{request_id}?lang=en").get_data(as_text=True)
    assert "Phone calls (call list)" in english and "not reached" in english

    # erasing the contact blanks what staff wrote, at booking and in notify's outbox copies
    with demo_suite.databases["booking"].transaction() as session:
        booking_request = session.get(BookingRequest, request_id)
        assert booking_request is not None
        anonymise_request(session, booking_request, clock.now(), SYSTEM, "test")
    pipeline.relay()  # booking.contact.anonymised reaches notify
    with demo_suite.databases["booking"].session_factory() as session:
        assert [c.note for c in session.scalars(sa.select(ContactCall))] == [None, None]
    with demo_suite.databases["notify"].session_factory() as session:
        kept = session.scalars(sa.select(NotifyOutbox).where(NotifyOutbox.type == notify_contract.CALL_RECORDED))
        assert [e.payload["note"] for e in kept] == [None, None]


def test_a_call_about_a_request_booking_does_not_have_is_ignored(demo_suite: Embedded) -> None:
    _version, payload = notify_contract.payload_of(
        notify_contract.CALL_RECORDED,
        {
            "call_id": 1,
            "request_id": 999,
            "reference": "UIT-NOPE",
            "location_id": 1,
            "kind": "approved",
            "outcome": "reached",
            "note": None,
            "staff_id": 1,
            "staff_name": "Beheerder",
            "recorded_at": clock.now(),
        },
    )
    envelope = Envelope(type=notify_contract.CALL_RECORDED, payload=payload, producer="notify")
    apply_event(demo_suite.databases["booking"], booking_models.ProcessedEvent, envelope, EVENT_HANDLERS)
    with demo_suite.databases["booking"].session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ContactCall)) == 0
