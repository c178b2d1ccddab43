"""The event contract, held from both ends: the real producers' payloads against the contract modules
(services/booking/contract.py, services/inventory/contract.py), the consumers' handlers against those payloads, and
the test factories (tests/event_factories.py) against the producers.

Every booking event is made by the real API (a request's whole life, plus the scans and the erasure), every
inventory event by inventory's own domain functions. A field a producer adds without the contract, a field the
contract names but the producer leaves out, a consumer that cannot take a real payload, or a factory whose events
differ in shape from the real ones: each fails here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import marshmallow as ma
import pytest
import sqlalchemy as sa

from services.booking import contract as booking_contract
from services.inventory import contract as inventory_contract
from shared import clock
from shared.auth import Principal
from shared.db import Database
from shared.events import Envelope
from tests.booking_fixtures import NOW, InventoryFeed, at, request_body
from tests.event_factories import booking_envelope

pytestmark = pytest.mark.postgres


def strict(schema: type[ma.Schema]) -> ma.Schema:
    """The contract's schema refusing unknown fields at every level (consumers are lenient; producers may not be)."""

    def tighten(instance: ma.Schema) -> ma.Schema:
        instance.unknown = ma.RAISE
        for field in instance.fields.values():
            inner = getattr(field, "inner", None) or field
            if isinstance(inner, ma.fields.Nested) and isinstance(inner.schema, ma.Schema):
                tighten(inner.schema)
        return instance

    return tighten(schema())


def shape(value: Any) -> Any:
    """The keys of a payload, all the way down (lists by their first element): what a consumer can rely on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def outbox(database: Database, model: Any) -> list[Envelope]:
    with database.session_factory() as session:
        rows = session.scalars(sa.select(model).order_by(model.occurred_at))
        return [row.to_envelope() for row in rows]


def declared(schema: type[ma.Schema]) -> set[str]:
    return {field.data_key or name for name, field in schema().fields.items()}


@pytest.fixture
def booking_events(feed: InventoryFeed, booking_client, staff_client_for, booking_db: Database) -> list[Envelope]:
    """Every kind of booking event, made by the real service."""
    from services.booking.domain import privacy, scans
    from services.booking.domain.lifecycle import SYSTEM
    from services.booking.models import OutboxEvent
    from shared.privacy import Subject

    location = feed.location(email="bc@example.org")
    feed.requirement("nummerplaat", kind="license_plate")
    asset = feed.asset(location, requirement_codes=["nummerplaat"], quantity=2)
    staff = staff_client_for([location])
    answers = {"items": [{"asset_id": asset, "answers": {"nummerplaat": "1-abc-234"}}]}

    def submit(day: int, **extra: Any) -> tuple[int, str]:
        body = request_body(asset, at(day, 10), at(day, 15), **{**answers, **extra})
        created = booking_client.post("/requests", json=body)
        assert created.status_code == 201, created.json
        return created.json["request_id"], created.json["status_url"]

    def ok(response: Any) -> None:
        assert response.status_code == 200, response.json

    first, link = submit(1)
    ok(booking_client.patch(f"{link}/contact", json={"language": "en"}))
    ok(staff.post(f"/requests/{first}/approve", json={}))
    ok(staff.post(f"/requests/{first}/reschedule", json={"return_at": at(1, 17)}))
    ok(staff.post(f"/requests/{first}/pick-up", json={"checks": {"nummerplaat": True}}))
    ok(staff.post(f"/requests/{first}/return", json={"condition": "ok"}))
    rejected, _ = submit(2)
    ok(staff.post(f"/requests/{rejected}/reject", json={"reason": "vol"}))
    _withdrawn, withdraw_link = submit(3)
    ok(booking_client.post(f"{withdraw_link}/withdraw", json={}))
    cancelled, _ = submit(4)
    ok(staff.post(f"/requests/{cancelled}/approve", json={}))
    ok(staff.post(f"/requests/{cancelled}/cancel", json={"reason": "storm"}))
    late, _ = submit(5, proxy={"consent": "phone"})
    ok(staff.post(f"/requests/{late}/approve", json={}))
    ok(staff.post(f"/requests/{late}/pick-up", json={"checks": {"nummerplaat": True}}))
    submit(6)  # will expire
    never, _ = submit(7)
    ok(staff.post(f"/requests/{never}/approve", json={}))
    clock.set_clock(NOW + timedelta(days=9))
    with booking_db.transaction() as session:
        assert scans.expire_stale_requests(session, clock.now(), 72)
        assert scans.release_no_shows(session, clock.now(), 24)
        assert scans.mark_overdue(session, clock.now())
    with booking_db.transaction() as session:
        privacy.erase_person(session, Subject("request_id", str(rejected)), SYSTEM, clock.now(), "test")
    events = outbox(booking_db, OutboxEvent)
    made = {e.type for e in events}
    assert made == set(booking_contract.EVENTS), f"not made: {set(booking_contract.EVENTS) - made}"
    return events


def test_every_booking_payload_is_exactly_what_the_contract_names(booking_events: list[Envelope]) -> None:
    for envelope in booking_events:
        version, schema = booking_contract.EVENTS[envelope.type]
        assert envelope.version == version, envelope.type
        strict(schema).load(envelope.payload)  # nothing unknown, nothing required missing, every type right
        assert set(envelope.payload) == declared(schema), envelope.type  # and nothing the contract names is left out
        assert "status_url" not in envelope.payload
    # every change of a request has its own version (consumers order by it; the frozen clock cannot tell them apart)
    seen: dict[int, list[int]] = {}
    for envelope in booking_events:
        seen.setdefault(envelope.payload["request_id"], []).append(envelope.payload["version"])
    assert all(len(set(versions)) == len(versions) for versions in seen.values()), seen


def test_the_link_token_travels_only_in_the_secret_of_the_events_whose_mails_carry_it(
    booking_events: list[Envelope],
) -> None:
    with_secret = {e.type.rsplit(".", 1)[1] for e in booking_events if e.secret}
    assert with_secret <= {"submitted", "approved", "rescheduled"}
    for envelope in booking_events:
        if envelope.secret:
            assert envelope.secret not in str(envelope.payload)


def test_notify_takes_every_real_booking_event(booking_events: list[Envelope], databases: dict[str, Database]) -> None:
    from services.notify.config import NotifyConfig
    from services.notify.domain.copies import event_handlers
    from services.notify.models import Booking, ScheduledNotification

    handlers = event_handlers(NotifyConfig())
    assert set(booking_contract.EVENTS) <= set(handlers), "notify must handle every event booking makes"
    with databases["notify"].transaction() as session:
        for envelope in booking_events:
            handlers[envelope.type](session, envelope)
    with databases["notify"].session_factory() as session:
        copies = list(session.scalars(sa.select(Booking)))
        assert copies and all("status_url" not in b.snapshot for b in copies)
        received = session.scalars(
            sa.select(ScheduledNotification).where(ScheduledNotification.kind == "request_received")
        ).all()
        erased = {e.payload["request_id"] for e in booking_events if e.type == booking_contract.CONTACT_ANONYMISED}
        # each confirmation mail holds its link until it is sent (the erased person's no longer)
        assert received and all(bool(row.secret) == (row.request_id not in erased) for row in received)


def test_the_factories_make_events_of_the_real_shape(booking_events: list[Envelope]) -> None:
    real = {}
    for envelope in booking_events:
        real.setdefault(envelope.type, envelope)
    for event in booking_contract.RequestEvent:
        made = booking_envelope(event.value)
        payload = {k: v for k, v in made.payload.items() if k != "some_future_field"}
        _, schema = booking_contract.EVENTS[event.type]
        strict(schema).load(payload)
        assert shape(payload) == shape(real[event.type].payload), event.type
        assert bool(made.secret) == bool(real[event.type].secret), event.type


def test_every_inventory_payload_is_what_the_contract_names_and_booking_and_notify_take_it(
    databases: dict[str, Database], fixed_clock: Any
) -> None:
    from services.booking.handlers import EVENT_HANDLERS as BOOKING_HANDLERS
    from services.booking.models import InvLocation
    from services.inventory.domain import assets, credentials, locations, maintenance, requirements, staff
    from services.inventory.models import OutboxEvent
    from services.notify.config import NotifyConfig
    from services.notify.domain.copies import event_handlers

    inventory = databases["inventory"]
    with inventory.transaction() as session:
        place = locations.create_location(
            session, {"code": "bc", "name": "BC", "street": "s 1", "postal_code": "9000", "opening_hours": []}, None
        )
        locations.update_location(session, place.id, {"phone": "09 266 00 02"}, place.version, None)
        closure = locations.add_closure(session, place.id, date(2030, 12, 24), date(2031, 1, 2), "kerstvakantie", None)
        locations.add_closure(session, place.id, date(2030, 5, 6), date(2030, 5, 6), "personeelsdag", None)
        locations.remove_closure(session, place.id, closure.id, None)
        need = requirements.create_requirement(
            session, {"code": "trekhaak", "kind": "confirm", "label_nl": "t", "label_en": "t"}, None
        )
        requirements.update_requirement(session, need.id, {"label_en": "tow hitch"}, need.version, None)
        thing = assets.create_asset(
            session,
            {
                "code": "c",
                "name_nl": "c",
                "name_en": "c",
                "category": "caravan",
                "location_id": place.id,
                "quantity": 1,
                "requirement_codes": ["trekhaak"],
            },
            None,
        )
        assets.update_asset(session, thing.id, {"quantity": 2}, thing.version, None)
        window = maintenance.add_maintenance_window(
            session, thing.id, clock.now() + timedelta(days=1), clock.now() + timedelta(days=2), "keuring", None
        )
        maintenance.remove_maintenance_window(session, thing.id, window.id, None)
        assets.retire_asset(session, thing.id, None, None)
        account = staff.create_staff(session, "s@example.org", "S", "correct horse battery staple", "staff", [])
        record, _token = credentials.issue_root_token(session, account.id, "test", "s" * 40, 30)
        owner = credentials.principal_for(account, record)
        credentials.revoke_api_token(session, owner, record.id)
        admin = Principal(staff_id=999, name="A", role="admin", location_ids=frozenset())
        staff.change_staff(session, account.id, {"role": "admin"}, admin)
    events = outbox(inventory, OutboxEvent)
    assert {e.type for e in events} == set(inventory_contract.EVENTS)
    notify_handlers = event_handlers(NotifyConfig())
    for envelope in events:
        version, schema = inventory_contract.EVENTS[envelope.type]
        assert envelope.version == version
        strict(schema).load(envelope.payload)
        assert set(envelope.payload) == declared(schema), envelope.type
    with databases["booking"].transaction() as session:
        for envelope in events:
            BOOKING_HANDLERS[envelope.type](session, envelope)
        copy = session.get(InvLocation, place.id)
        assert copy is not None and [(c["starts_on"], c["reason"]) for c in copy.closures] == [
            ("2030-05-06", "personeelsdag")
        ]
    with databases["notify"].transaction() as session:
        for envelope in events:
            if envelope.type in notify_handlers:
                notify_handlers[envelope.type](session, envelope)


def test_the_documented_example_is_a_payload_the_contract_accepts() -> None:
    import json
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
    examples = re.findall(r"<!-- contract-example: ([a-z_.]+) -->\s*```json\n(.*?)```", docs, re.S)
    assert examples, "docs/events.md lost its checked example"
    for event_type, text in examples:
        payload = json.loads(text)
        _, schema = booking_contract.EVENTS[event_type]
        strict(schema).load(payload)
        assert set(payload) == declared(schema)
