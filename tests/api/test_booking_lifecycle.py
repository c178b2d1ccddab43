"""The booking API end to end through the Flask test client: submit, decide, hand over, take back."""

from __future__ import annotations

import sqlalchemy as sa

from services.booking.models import OutboxEvent
from tests.booking_fixtures import at, request_body


def _events(booking_db):
    with booking_db.transaction() as session:
        return [(e.type, e.payload) for e in session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.occurred_at))]


def test_submit_approve_pick_up_return(feed, booking_client, staff_client_for, booking_db):
    location = feed.location()
    asset = feed.asset(location, turnaround_after_hours=24)
    staff = staff_client_for([location])

    created = booking_client.post("/requests", json=request_body(asset, at(1, 10), at(2, 16)))
    assert created.status_code == 201, created.json
    assert created.json["status"] == "requested"
    status_url = created.json["status_url"]
    request_id = created.json["request_id"]

    page = booking_client.get(status_url)
    assert page.status_code == 200
    assert page.json["reference"] == created.json["reference"]

    approved = staff.post(f"/requests/{request_id}/approve", json={})
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    picked = staff.post(f"/requests/{request_id}/pick-up", json={"checks": {}, "notes": "ok"})
    assert picked.json["status"] == "picked_up"
    assert picked.json["actual_pickup_at"] is not None
    returned = staff.post(f"/requests/{request_id}/return", json={"condition": "proper", "damage": None})
    assert returned.json["status"] == "returned"

    types = [t for t, _ in _events(booking_db)]
    assert types == [
        "booking.request.submitted",
        "booking.request.approved",
        "booking.request.picked_up",
        "booking.request.returned",
    ]
    submitted = _events(booking_db)[0][1]
    assert submitted["status_url"] == status_url
    assert submitted["contact"] == {"name": "An Peeters", "email": "an@example.org", "phone": None, "language": "nl"}
    assert submitted["location"]["name"] == "Buurtcentrum 1"
    assert submitted["items"][0]["asset_code"] == "caravan"
    assert submitted["actor"] == {"kind": "requester", "staff_id": None}

    audit = staff.get(f"/requests/{request_id}/audit").json
    assert [(a["from_status"], a["to_status"]) for a in audit] == [
        (None, "requested"),
        ("requested", "approved"),
        ("approved", "picked_up"),
        ("picked_up", "returned"),
    ]
