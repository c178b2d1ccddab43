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
    # the private link's token is not in the payload (consumers copy payloads) but in the envelope's secret
    assert "status_url" not in submitted and status_url.rsplit("/", 1)[1] not in str(submitted)
    with booking_db.transaction() as session:
        secret = session.scalar(sa.select(OutboxEvent.secret).where(OutboxEvent.type == "booking.request.submitted"))
    assert f"/status/{secret}" == status_url
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


CONTRACT = {
    "request_id",
    "reference",
    "status",
    "initiative",
    "contact",
    "location",
    "items",
    "pickup_at",
    "return_at",
    "actual_pickup_at",
    "actual_return_at",
    "proxy",
    "reason",
    "actor",
}


def test_every_event_carries_the_full_snapshot(feed, booking_client, staff_client_for, booking_db):
    location = feed.location()
    feed.requirement("nummerplaat", kind="license_plate")
    asset = feed.asset(location, requirement_codes=["nummerplaat"])
    staff = staff_client_for([location])
    body = request_body(asset, at(1, 10), at(2, 16))
    body["items"][0]["answers"] = {"nummerplaat": "abc 123"}
    created = booking_client.post("/requests", json=body, headers={"Idempotency-Key": "c1"}).json
    booking_client.patch(created["status_url"] + "/contact", json={"language": "en"})
    staff.post(f"/requests/{created['request_id']}/approve", json={})
    staff.post(f"/requests/{created['request_id']}/reschedule", json={"return_at": at(2, 18)})
    staff.post(f"/requests/{created['request_id']}/cancel", json={"reason": "storm"})
    events = _events(booking_db)
    assert [t.rsplit(".", 1)[1] for t, _ in events] == [
        "submitted",
        "contact_changed",
        "approved",
        "rescheduled",
        "cancelled",
    ]
    for _, payload in events:
        assert set(payload) >= CONTRACT
        assert set(payload["contact"]) == {"name", "email", "phone", "language"}
        assert set(payload["location"]) == {
            "id",
            "name",
            "street",
            "postal_code",
            "city",
            "phone",
            "email",
            "opening_hours",
        }
        [item] = payload["items"]
        assert {"asset_id", "asset_code", "asset_name_nl", "asset_name_en", "category", "quantity"} <= set(item)
        assert item["requirements"][0] == {
            "code": "nummerplaat",
            "label_nl": "nummerplaat",
            "label_en": "nummerplaat",
            "kind": "license_plate",
            "answer": "ABC-123",
            "verified": None,
            "provided_by_item": False,
        }
    assert events[-1][1]["reason"] == "storm"
    assert events[-1][1]["actor"] == {"kind": "staff", "staff_id": 1}
    assert events[1][1]["contact"]["language"] == "en" and events[1][1]["actor"]["kind"] == "requester"
    assert events[3][1]["return_at"] == "2030-03-06T17:00:00+00:00"
