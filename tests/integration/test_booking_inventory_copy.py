"""Booking's copy of the inventory, fed by inventory's real events: upserts, stale versions, tombstones."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.booking.domain.inventory_copy import apply_inventory_event
from services.booking.handlers import EVENT_HANDLERS
from services.booking.models import InvAsset, InvLocation, InvMaintenanceWindow, InvRequirement
from shared import clock
from shared.events import Envelope

pytestmark = pytest.mark.postgres

INVENTORY_TYPES = {
    "inventory.location.created",
    "inventory.location.updated",
    "inventory.requirement.created",
    "inventory.requirement.updated",
    "inventory.asset.created",
    "inventory.asset.updated",
    "inventory.asset.retired",
    "inventory.maintenance_window.added",
    "inventory.maintenance_window.removed",
    "inventory.token.revoked",
    "inventory.staff.changed",
}


def test_every_inventory_event_type_has_a_handler():
    # booking also takes notify's call outcomes (tests/api/test_call_outcomes_on_request_page.py); every other
    # handler is for an inventory event, and every inventory event has one
    assert {t for t in EVENT_HANDLERS if t.startswith("inventory.")} == INVENTORY_TYPES
    assert set(EVENT_HANDLERS) - INVENTORY_TYPES == {"notify.call.recorded"}


def test_real_inventory_events_build_the_copy(feed, booking_db):
    location = feed.location()
    feed.requirement("trekhaak")
    asset = feed.asset(location, requirement_codes=["trekhaak"], quantity=2, turnaround_after_hours=24)
    with booking_db.transaction() as session:
        copy = session.get(InvAsset, asset)
        assert copy is not None
        assert (copy.quantity, copy.turnaround_after_hours, copy.requirement_codes) == (2, 24, ["trekhaak"])
        assert session.get(InvLocation, location).opening_hours[0] == {
            "weekday": 0,
            "opens": "08:00",
            "closes": "20:00",
        }
        assert session.query(InvRequirement).one().code == "trekhaak"


def test_updates_apply_and_stale_or_redelivered_events_do_not(feed, booking_db, inventory_db):
    from services.inventory.domain.assets import retire_asset, update_asset

    location = feed.location()
    asset = feed.asset(location)
    with inventory_db.transaction() as session:
        update_asset(session, asset, {"quantity": 4}, None, actor=None)
    with inventory_db.transaction() as session:
        retire_asset(session, asset, None, actor=None)
    envelopes = feed.relay()
    assert [e.type for e in envelopes] == ["inventory.asset.updated", "inventory.asset.retired"]
    with booking_db.transaction() as session:
        for envelope in envelopes:  # redelivered, and the older one after the newer
            apply_inventory_event(session, envelope)
        apply_inventory_event(session, envelopes[0])
    with booking_db.transaction() as session:
        copy = session.get(InvAsset, asset)
        assert copy is not None
        assert (copy.quantity, copy.status, copy.version) == (4, "retired", 3)


def _window_event(kind: str, window_id: int) -> Envelope:
    start = clock.now() + timedelta(days=1)
    payload = {
        "id": window_id,
        "asset_id": 1,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=5)).isoformat(),
        "reason": "keuring",
    }
    return Envelope(type=f"inventory.maintenance_window.{kind}", payload=payload, producer="inventory", id=uuid.uuid4())


def test_a_removed_window_stays_removed_even_if_added_arrives_late(booking_db, fixed_clock):
    with booking_db.transaction() as session:
        apply_inventory_event(session, _window_event("removed", 5))
        apply_inventory_event(session, _window_event("added", 5))
        apply_inventory_event(session, _window_event("added", 6))
        apply_inventory_event(session, _window_event("added", 6))
    with booking_db.transaction() as session:
        assert session.get(InvMaintenanceWindow, 5).removed_at is not None
        assert session.get(InvMaintenanceWindow, 6).removed_at is None


def test_unknown_event_types_are_ignored(booking_db):
    envelope = Envelope(type="inventory.staff.created", payload={}, producer="inventory")
    with booking_db.transaction() as session:
        apply_inventory_event(session, envelope)
