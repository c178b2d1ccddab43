"""The hot path's Core writes (``create_request``, ``lifecycle.set_status``) store what the ORM stored: the
request, its items and answers as the answer and the event describe them, the version counted 1, 2, …, and a
status change refused when the row's version is not the one read. (SQLite: tests/integration/test_booking_sqlite.py.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from services.booking.domain.decisions import get_request
from services.booking.domain.lifecycle import set_status
from services.booking.models import BookingRequest, ItemRequirement, OutboxEvent, RequestItem
from tests.booking_fixtures import at, request_body


def test_what_a_submission_stores_is_what_its_answer_and_event_say(feed, booking_client, staff_client_for, booking_db):
    centre = feed.location()
    feed.requirement("trekhaak")
    caravan = feed.asset(centre, requirement_codes=["trekhaak"])
    body = request_body(caravan, at(1, 10), at(1, 15))
    body["items"][0]["answers"] = {"trekhaak": True}
    created = booking_client.post("/requests", json=body)
    assert created.status_code == 201, created.json
    answer = created.json
    with booking_db.session_factory() as session:
        stored = get_request(session, answer["request_id"])
        assert (stored.reference, stored.status, stored.version) == (answer["reference"], "requested", 1)
        assert stored.created_at == stored.updated_at
        assert [(i.id, i.asset_id, i.quantity) for i in stored.items] == [(answer["items"][0]["item_id"], caravan, 1)]
        assert [(r.code, r.kind, r.answer, r.verified) for r in stored.items[0].requirements] == [
            ("trekhaak", "confirm", "yes", None)
        ]
        event = session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.occurred_at.desc())).first()
        assert event is not None and event.type == "booking.request.submitted"
        assert event.payload["request_id"] == stored.id and event.payload["version"] == 1
        assert (
            event.payload["items"][0]["requirements"][0]["label_nl"]
            == answer["items"][0]["requirements"][0]["label_nl"]
        )

    approved = staff_client_for([centre]).post(f"/requests/{answer['request_id']}/approve", json={})
    assert approved.status_code == 200, approved.json
    assert approved.json["version"] == 2 and approved.json["status"] == "approved"
    with booking_db.session_factory() as session:
        row = session.execute(
            sa.select(BookingRequest.status, BookingRequest.version).where(BookingRequest.id == answer["request_id"])
        ).one()
        assert tuple(row) == ("approved", 2)
        assert session.scalar(sa.select(sa.func.count()).select_from(RequestItem)) >= 1
        assert session.scalar(sa.select(sa.func.count()).select_from(ItemRequirement)) >= 1


def test_a_status_change_on_a_version_not_read_is_refused(feed, booking_client, booking_db):
    centre = feed.location()
    request_id = booking_client.post("/requests", json=request_body(feed.asset(centre), at(1, 10), at(1, 15))).json[
        "request_id"
    ]
    with booking_db.session_factory() as session:
        request = get_request(session, request_id, for_update=True)
        table = BookingRequest.__table__  # Core: the loaded object keeps the version it read
        session.execute(sa.update(table).where(table.c.id == request_id).values(version=7))
        with pytest.raises(StaleDataError):
            set_status(session, request, "rejected")
        session.rollback()
    with booking_db.session_factory() as session:
        assert session.get(BookingRequest, request_id).status == "requested"


def test_a_batch_of_deferred_rows_is_written_at_commit(feed, booking_client, booking_db):
    # more rows than a request makes: the per-table multi-row path, not the cached per-shape statement
    from services.booking.models import AuditEntry
    from shared import clock
    from shared.db import _CACHED_DEFERRED_ROWS, insert_at_commit

    request_id = booking_client.post(
        "/requests", json=request_body(feed.asset(feed.location()), at(1, 10), at(1, 15))
    ).json["request_id"]
    rows = 2 * _CACHED_DEFERRED_ROWS
    with booking_db.transaction() as session:
        for i in range(rows):
            row = {"request_id": request_id, "at": clock.now(), "action": "submit", "actor_kind": "system"}
            row |= {"staff_id": None, "from_status": None, "to_status": "requested", "reason": f"batch {i}"}
            insert_at_commit(session, AuditEntry.__table__, row)
    with booking_db.session_factory() as session:
        reasons = session.scalars(sa.select(AuditEntry.reason).where(AuditEntry.reason.like("batch %"))).all()
        assert sorted(reasons) == sorted(f"batch {i}" for i in range(rows))
