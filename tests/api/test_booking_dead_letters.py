"""Inventory events that booking gave up on are listed for admins and can be replayed."""

from __future__ import annotations

import uuid

from services.booking.models import DeadLetter, InvLocation
from shared import clock
from shared.consumer import record_dead_letter
from shared.events import Envelope


def test_a_dead_letter_is_listed_for_admins_and_replayed(booking_db, admin_client, staff_client_for):
    envelope = Envelope(
        type="inventory.location.created",
        producer="inventory",
        payload={
            "id": 41,
            "code": "bc-muide",
            "name": "Buurtcentrum Muide",
            "street": "Muidepoort 7",
            "postal_code": "9000",
            "city": "Gent",
            "phone": None,
            "email": None,
            "opening_hours": [],
            "version": 1,
        },
    )
    with booking_db.transaction() as session:
        session.add(
            DeadLetter(
                event_id=envelope.id,
                type=envelope.type,
                envelope=envelope.to_dict(),
                error="OperationalError: the database was restarting",
                attempts=9,
                failed_at=clock.now(),
            )
        )
    assert staff_client_for([41]).get("/dead-letters").status_code == 403
    listed = admin_client.get("/dead-letters")
    assert listed.status_code == 200
    assert listed.json[0]["event_id"] == str(envelope.id)
    replayed = admin_client.post(f"/dead-letters/{listed.json[0]['id']}/replay")
    assert replayed.status_code == 200, replayed.json
    assert replayed.json["dead_letter"]["replayed_at"] is not None
    with booking_db.session_factory() as session:
        assert session.get(InvLocation, 41).name == "Buurtcentrum Muide"
    assert admin_client.post("/dead-letters/424242/replay").status_code == 404
    assert uuid.UUID(listed.json[0]["event_id"])


def test_a_dead_letter_whose_handler_fails_again_with_a_key_error_is_a_conflict_not_missing(booking_db, admin_client):
    # Found by the authorisation matrix: a malformed payload makes the handler raise KeyError, a LookupError,
    # which the replay took for "no such dead letter" (404) instead of "failed again" (409).
    envelope = Envelope(type="inventory.location.created", producer="inventory", payload={"id": 42})
    letter_id = record_dead_letter(booking_db, DeadLetter, envelope.to_dict(), KeyError("code"), 9)
    replay = admin_client.post(f"/dead-letters/{letter_id}/replay")
    assert replay.status_code == 409, replay.json
    assert replay.json["detail"] == "The event failed again: KeyError."
    with booking_db.session_factory() as session:
        letter = session.get(DeadLetter, letter_id)
        assert letter is not None and letter.attempts == 10 and letter.replayed_at is None
