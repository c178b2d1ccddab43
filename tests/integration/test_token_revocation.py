"""A machine token revoked at inventory is refused by booking and notify too, once its event has arrived."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.booking.handlers import EVENT_HANDLERS as BOOKING_HANDLERS
from services.booking.models import ProcessedEvent as BookingProcessed
from services.booking.models import RevokedToken as BookingRevoked
from services.inventory.models import OutboxEvent
from services.notify.models import ProcessedEvent as NotifyProcessed
from services.notify.models import RevokedToken as NotifyRevoked
from shared import clock
from shared.consumer import APPLIED, DUPLICATE, apply_event
from shared.db import Database
from shared.events import Envelope
from shared.routing import subscribers

pytestmark = pytest.mark.postgres


def deliver(
    inventory_db: Database, booking_db: Database, notify_database: Database, notify_handlers
) -> dict[str, list]:
    """What the relay and the two consumers do: inventory's unpublished events, to whoever subscribes."""
    with inventory_db.transaction() as session:
        rows = list(session.scalars(sa.select(OutboxEvent).where(OutboxEvent.published_at.is_(None))))
        envelopes: list[Envelope] = [row.to_envelope() for row in sorted(rows, key=lambda r: r.occurred_at)]
        for row in rows:
            row.published_at = clock.now()
    consumers = {
        "booking": (booking_db, BookingProcessed, BOOKING_HANDLERS),
        "notify": (notify_database, NotifyProcessed, notify_handlers),
    }
    outcomes: dict[str, list] = {"booking": [], "notify": []}
    for envelope in envelopes:
        for service in subscribers(envelope.type):
            database, processed, handlers = consumers[service]
            outcomes[service].append((envelope, apply_event(database, processed, envelope, handlers)))
    return outcomes


def test_a_revoked_token_is_refused_by_every_service(
    inventory_admin,
    inventory_db,
    booking_db,
    notify_db,
    booking_client,
    notify_client,
    notify_app,
):
    issued = inventory_admin.post("/auth/tokens", json={"name": "agenda"})
    assert issued.status_code == 201, issued.json
    bearer = {"Authorization": f"Bearer {issued.json['token']}"}
    handlers = notify_app.extensions["notify_handlers"]
    deliver(inventory_db, booking_db, notify_db, handlers)
    assert booking_client.get("/requests", headers=bearer).status_code == 200
    assert notify_client.get("/deliveries", headers=bearer).status_code == 200

    assert inventory_admin.delete(f"/auth/tokens/{issued.json['id']}").status_code == 204
    outcomes = deliver(inventory_db, booking_db, notify_db, handlers)

    for service in ("booking", "notify"):
        [(envelope, outcome)] = outcomes[service]
        assert (envelope.type, envelope.version, outcome) == ("inventory.token.revoked", 1, APPLIED)
        assert envelope.payload["token_id"] == issued.json["id"]
    assert booking_client.get("/requests", headers=bearer).status_code == 401
    assert notify_client.get("/deliveries", headers=bearer).status_code == 401
    assert inventory_admin.get("/auth/me", headers=bearer).status_code == 401

    # a redelivered event changes nothing; revoking again emits nothing new
    assert apply_event(booking_db, BookingProcessed, envelope, BOOKING_HANDLERS) == DUPLICATE
    assert inventory_admin.delete(f"/auth/tokens/{issued.json['id']}").status_code == 204
    assert deliver(inventory_db, booking_db, notify_db, handlers) == {"booking": [], "notify": []}
    for database, model in ((booking_db, BookingRevoked), (notify_db, NotifyRevoked)):
        with database.transaction() as session:
            assert session.scalars(sa.select(model.token_id)).all() == [issued.json["id"]]
