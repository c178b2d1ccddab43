"""The periodic scans, called directly with the clock set: expiry, no-show, overdue, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.booking.domain import privacy, scans
from services.booking.models import Allocation, BookingRequest, OutboxEvent
from shared import clock
from tests.booking_fixtures import at, request_body

pytestmark = pytest.mark.postgres


@pytest.fixture
def setup(feed, booking_client, staff_client_for):
    location = feed.location()
    asset = feed.asset(location)
    return asset, booking_client, staff_client_for([location])


def submit(client, asset, pickup, ret):
    response = client.post("/requests", json=request_body(asset, pickup, ret))
    assert response.status_code == 201, response.json
    return response.json["request_id"]


def _status(booking_db, request_id):
    with booking_db.transaction() as session:
        return session.get(BookingRequest, request_id).status


def _events(booking_db, event_type):
    with booking_db.transaction() as session:
        return list(session.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == event_type)))


def test_undecided_requests_expire_after_the_configured_time(setup, booking_db):
    asset, public, _ = setup
    request_id = submit(public, asset, at(5, 10), at(5, 15))
    with booking_db.transaction() as session:
        assert scans.expire_stale_requests(session, clock.now() + timedelta(hours=71), 72) == []
    with booking_db.transaction() as session:
        assert scans.expire_stale_requests(session, clock.now() + timedelta(hours=72), 72) == [request_id]
    with booking_db.transaction() as session:  # running twice changes nothing
        assert scans.expire_stale_requests(session, clock.now() + timedelta(hours=73), 72) == []
    assert _status(booking_db, request_id) == "expired"
    [event] = _events(booking_db, "booking.request.expired")
    assert event.payload["actor"] == {"kind": "system", "staff_id": None}
    assert event.payload["contact"]["email"] == "an@example.org"


def test_a_request_whose_pickup_time_passed_expires_too(setup, booking_db):
    asset, public, _ = setup
    request_id = submit(public, asset, at(1, 10), at(1, 15))
    with booking_db.transaction() as session:
        assert scans.expire_stale_requests(session, clock.now() + timedelta(days=2), 500) == [request_id]


def test_no_show_releases_the_asset(setup, booking_db):
    asset, public, staff = setup
    request_id = submit(public, asset, at(1, 10), at(1, 15))
    staff.post(f"/requests/{request_id}/approve", json={})
    pickup = clock.now() + timedelta(days=1, hours=2)
    with booking_db.transaction() as session:
        assert scans.release_no_shows(session, pickup + timedelta(hours=23), 24) == []
    with booking_db.transaction() as session:
        assert scans.release_no_shows(session, pickup + timedelta(hours=24), 24) == [request_id]
    assert _status(booking_db, request_id) == "no_show"
    with booking_db.transaction() as session:
        assert not session.scalar(sa.select(Allocation.active).where(Allocation.request_id == request_id))
    # the slot is free again
    again = submit(public, asset, at(1, 10), at(1, 15))
    assert staff.post(f"/requests/{again}/approve", json={}).status_code == 200


def test_overdue_once_then_returned(setup, booking_db):
    asset, public, staff = setup
    request_id = submit(public, asset, at(1, 10), at(1, 15))
    staff.post(f"/requests/{request_id}/approve", json={})
    staff.post(f"/requests/{request_id}/pick-up", json={})
    due = clock.now() + timedelta(days=1, hours=7)
    with booking_db.transaction() as session:
        assert scans.mark_overdue(session, due - timedelta(minutes=1)) == []
    with booking_db.transaction() as session:
        assert scans.mark_overdue(session, due) == [request_id]
    with booking_db.transaction() as session:
        assert scans.mark_overdue(session, due + timedelta(hours=5)) == []
    assert len(_events(booking_db, "booking.request.overdue")) == 1
    clock.set_clock(due + timedelta(hours=6))
    returned = staff.post(f"/requests/{request_id}/return", json={"damage": "kras op de deur"})
    assert returned.json["status"] == "returned"
    assert returned.json["actual_return_at"] is not None


def test_extending_an_overdue_loan_makes_it_run_again(setup, booking_db):
    asset, public, staff = setup
    request_id = submit(public, asset, at(1, 10), at(1, 15))
    staff.post(f"/requests/{request_id}/approve", json={})
    staff.post(f"/requests/{request_id}/pick-up", json={})
    clock.set_clock(clock.now() + timedelta(days=1, hours=8))
    with booking_db.transaction() as session:
        assert scans.mark_overdue(session, clock.now()) == [request_id]
    extended = staff.post(f"/requests/{request_id}/reschedule", json={"return_at": at(2, 12), "reason": "regen"})
    assert extended.status_code == 200, extended.json
    assert extended.json["status"] == "picked_up"
    trail = staff.get(f"/requests/{request_id}/audit").json
    assert (trail[-1]["from_status"], trail[-1]["to_status"], trail[-1]["action"]) == (
        "overdue",
        "picked_up",
        "reschedule",
    )


def test_personal_data_of_closed_requests_is_forgotten(setup, booking_db, feed):
    asset, public, staff = setup
    request_id = submit(public, asset, at(1, 10), at(1, 15))
    created = staff.get(f"/requests/{request_id}").json
    staff.post(f"/requests/{request_id}/reject", json={"reason": "vol"})
    with booking_db.transaction() as session:
        assert privacy.apply_retention(session, clock.now() + timedelta(days=399), 400) == []
    with booking_db.transaction() as session:
        assert privacy.apply_retention(session, clock.now() + timedelta(days=402), 400) == [request_id]
    after = staff.get(f"/requests/{request_id}").json
    assert after["contact"] == {"name": "(gewist)", "email": None, "phone": None, "language": "nl"}
    assert after["reference"] == created["reference"] and after["status"] == "rejected"


def test_a_backlog_is_scanned_in_batches_each_its_own_transaction_until_none_is_left(setup, booking_db, monkeypatch):
    from services.booking import tasks

    asset, public, _ = setup
    ids = [submit(public, asset, at(day, 10), at(day, 15)) for day in range(1, 6)]
    monkeypatch.setattr(scans, "SCAN_BATCH", 2)
    with booking_db.transaction() as session:  # one call takes one batch
        assert scans.expire_stale_requests(session, clock.now() + timedelta(days=10), 72) == ids[:2]
    transactions = []
    monkeypatch.setattr(tasks, "_database", lambda: booking_db)
    original = booking_db.transaction

    def counted():
        transactions.append(1)
        return original()

    monkeypatch.setattr(booking_db, "transaction", counted)
    changed = tasks._run_scan(
        "test", lambda session, now: scans.expire_stale_requests(session, now + timedelta(days=10), 72)
    )
    assert changed == ids[2:]
    assert len(transactions) == 2  # a full batch of 2, then the last 1
    assert {_status(booking_db, request_id) for request_id in ids} == {"expired"}
