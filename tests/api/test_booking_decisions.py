"""Deciding on requests: roles, centres, reasons, preconditions, buffers, conflicts, reschedules."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.booking.models import Allocation, BookingRequest, OutboxEvent
from shared import clock
from tests.booking_fixtures import at, request_body


@pytest.fixture
def centre(feed):
    return feed.location()


@pytest.fixture
def staff(staff_client_for, centre):
    return staff_client_for([centre])


def submit(client, asset, pickup, ret, **kwargs):
    response = client.post("/requests", json=request_body(asset, pickup, ret, **kwargs))
    assert response.status_code == 201, response.json
    return response.json["request_id"]


def test_staff_of_another_centre_may_not_decide_but_an_admin_may(
    feed, booking_client, staff_client_for, admin_client, centre
):
    other = feed.location()
    asset = feed.asset(centre)
    request_id = submit(booking_client, asset, at(1, 10), at(1, 15))
    response = staff_client_for([other]).post(f"/requests/{request_id}/approve", json={})
    assert response.status_code == 403
    assert booking_client.post(f"/requests/{request_id}/approve", json={}).status_code == 401
    assert admin_client.post(f"/requests/{request_id}/approve", json={}).status_code == 200


def test_impossible_transition_is_409_naming_the_current_state(feed, booking_client, staff, centre):
    asset = feed.asset(centre)
    request_id = submit(booking_client, asset, at(1, 10), at(1, 15))
    response = staff.post(f"/requests/{request_id}/pick-up", json={})
    assert response.status_code == 409
    assert response.json["current_status"] == "requested"
    assert "requested" in response.json["detail"]
    assert staff.post(f"/requests/{request_id}/return", json={}).json["current_status"] == "requested"


def test_reject_and_cancel_need_a_reason(feed, booking_client, staff, centre):
    asset = feed.asset(centre)
    first = submit(booking_client, asset, at(1, 10), at(1, 15))
    response = staff.post(f"/requests/{first}/reject", json={})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "reason"
    assert staff.post(f"/requests/{first}/reject", json={"reason": "caravan in herstelling"}).status_code == 200
    second = submit(booking_client, asset, at(2, 10), at(2, 15))
    staff.post(f"/requests/{second}/approve", json={})
    assert staff.post(f"/requests/{second}/cancel", json={}).status_code == 422
    cancelled = staff.post(f"/requests/{second}/cancel", json={"reason": "storm"})
    assert cancelled.json["status"] == "cancelled"
    audit = staff.get(f"/requests/{second}/audit").json
    assert audit[-1]["reason"] == "storm" and audit[-1]["staff_id"] == 1


def test_precondition_gate_and_verification(feed, booking_client, staff, centre):
    feed.requirement("trekhaak")
    asset = feed.asset(centre, requirement_codes=["trekhaak"])
    body = request_body(asset, at(1, 10), at(1, 15))
    body["items"][0]["answers"] = {"trekhaak": True}
    created = booking_client.post("/requests", json=body).json
    item_id = created["items"][0]["item_id"]
    url = f"/requests/{created['request_id']}/items/{item_id}/requirements/trekhaak"
    assert staff.put(url, json={"verified": False}).status_code == 200
    refused = staff.post(f"/requests/{created['request_id']}/approve", json={})
    assert refused.status_code == 409
    assert refused.json["unmet"][0]["code"] == "trekhaak"
    assert staff.put(url, json={"verified": True}).json["items"][0]["requirements"][0]["verified"] is True
    assert staff.post(f"/requests/{created['request_id']}/approve", json={}).status_code == 200


def test_a_requirement_is_met_by_borrowing_the_asset_that_provides_it(feed, booking_client, centre):
    van = feed.asset(centre, code="busje", category="vehicle")
    feed.requirement("camionette", provided_by=van)
    give_box = feed.asset(centre, code="give-box", category="give_box", requirement_codes=["camionette"])
    alone = booking_client.post("/requests", json=request_body(give_box, at(1, 10), at(1, 15)))
    assert alone.status_code == 422
    body = request_body(give_box, at(1, 10), at(1, 15))
    body["items"].append({"asset_id": van, "quantity": 1})
    together = booking_client.post("/requests", json=body)
    assert together.status_code == 201, together.json


def test_staff_file_a_request_for_a_walk_in_without_email(feed, staff, centre, booking_db):
    asset = feed.asset(centre, lead_time_hours=72)
    body = request_body(asset, at(1, 10), at(1, 15), contact={"name": "Mevrouw J.", "phone": "09 123 45 67"})
    assert staff.post("/requests", json=body).json["errors"][0]["field"] == "proxy.consent"
    body["proxy"] = {"consent": "desk"}
    created = staff.post("/requests", json=body)
    assert created.status_code == 201, created.json
    assert created.json["proxy"] == {"by_staff_id": 1, "consent": "desk"}
    assert created.json["contact"]["email"] is None
    with booking_db.transaction() as session:
        event = session.scalars(sa.select(OutboxEvent)).one()
        assert event.payload["actor"] == {"kind": "staff", "staff_id": 1}


def test_buffers_apply_and_can_be_overridden_only_with_a_reason(feed, booking_client, staff, centre):
    asset = feed.asset(centre, turnaround_after_hours=24)
    first = submit(booking_client, asset, at(1, 10), at(1, 15))
    second = submit(booking_client, asset, at(2, 10), at(2, 15))  # inside the 24 h after the first
    assert staff.post(f"/requests/{first}/approve", json={}).status_code == 200
    conflict = staff.post(f"/requests/{second}/approve", json={})
    assert conflict.status_code == 409
    assert conflict.json["conflicts"][0]["request_id"] == first
    assert staff.post(f"/requests/{second}/approve", json={"override_buffers": True}).status_code == 422
    # without its own buffers the second still collides with the first's after-buffer: overriding is per loan
    assert staff.post(f"/requests/{second}/approve", json={"override_buffers": True, "reason": "x"}).status_code == 409
    third = submit(booking_client, asset, at(3, 10), at(3, 15))
    fourth = submit(booking_client, asset, at(3, 16), at(3, 19))
    assert (
        staff.post(
            f"/requests/{fourth}/approve", json={"override_buffers": True, "reason": "zelfde vereniging"}
        ).status_code
        == 200
    )
    assert staff.post(f"/requests/{third}/approve", json={}).status_code == 409
    audit = staff.get(f"/requests/{fourth}/audit").json
    assert audit[-1]["details"] == {"buffers_overridden": True}


def test_reschedule_is_checked_like_a_new_booking(feed, booking_client, staff, centre):
    asset = feed.asset(centre)
    first = submit(booking_client, asset, at(1, 10), at(1, 15))
    second = submit(booking_client, asset, at(2, 10), at(2, 15))
    for request_id in (first, second):
        assert staff.post(f"/requests/{request_id}/approve", json={}).status_code == 200
    too_long = staff.post(f"/requests/{first}/reschedule", json={"return_at": at(2, 12)})
    assert too_long.status_code == 409
    assert too_long.json["conflicts"][0]["request_id"] == second
    longer = staff.post(f"/requests/{first}/reschedule", json={"return_at": at(2, 9)})
    assert longer.status_code == 200, longer.json
    assert longer.json["return_at"].startswith("2030-03-06T08:00")


def test_reschedule_keeps_to_the_submissions_date_rule(feed, booking_client, staff_client_for):
    """A reschedule is judged by the rule a submission is (issue 12, 15): a return on a closed day or after hours,
    or longer than the asset lends, is refused by field; a pick-up left as it was is not judged again."""
    from datetime import time

    weekdays = [{"weekday": d, "opens": time(8), "closes": time(20)} for d in range(5)]
    centre = feed.location(opening_hours=weekdays)
    staff = staff_client_for([centre])
    asset = feed.asset(centre, max_loan_hours=100)
    request_id = submit(booking_client, asset, at(1, 10), at(1, 15))  # Tuesday
    assert staff.post(f"/requests/{request_id}/approve", json={}).status_code == 200
    for return_at, code in (
        (at(5, 12), "outside_opening_hours"),  # Saturday: closed
        (at(2, 21), "outside_opening_hours"),  # after hours
        (at(7, 10), "loan_too_long"),  # the Monday after: 6 days
    ):
        refused = staff.post(f"/requests/{request_id}/reschedule", json={"return_at": return_at})
        assert refused.status_code == 422, (return_at, refused.json)
        assert {(e["field"], e["code"]) for e in refused.json["errors"]} == {("return_at", code)}
    clock.set_clock(datetime.fromisoformat(at(1, 12)).replace(tzinfo=clock.BRUSSELS))  # the pick-up time has passed
    moved = staff.post(f"/requests/{request_id}/reschedule", json={"return_at": at(2, 10)})
    assert moved.status_code == 200, moved.json
    assert (
        staff.post(f"/requests/{request_id}/reschedule", json={"pickup_at": at(0, 9), "return_at": at(2, 10)}).json[
            "errors"
        ][0]["code"]
        == "pickup_in_past"
    )


def test_maintenance_blocks_approval_and_flags_loans_it_arrives_over(feed, booking_client, staff, centre):
    asset = feed.asset(centre)
    approved = submit(booking_client, asset, at(1, 10), at(1, 15))
    staff.post(f"/requests/{approved}/approve", json={})
    day2 = datetime.fromisoformat(at(2, 0)).replace(tzinfo=clock.BRUSSELS)
    feed.maintenance(asset, day2, day2 + timedelta(days=1))
    pending = submit(booking_client, asset, at(2, 10), at(2, 15))
    refused = staff.post(f"/requests/{pending}/approve", json={})
    assert refused.status_code == 409
    assert refused.json["conflicts"][0]["kind"] == "maintenance"
    day1 = datetime.fromisoformat(at(1, 12)).replace(tzinfo=clock.BRUSSELS)
    feed.maintenance(asset, day1, day1 + timedelta(hours=1))
    assert staff.get(f"/requests/{approved}").json["maintenance_hit"] is True


def test_staff_see_what_competes_with_a_pending_request(feed, booking_client, staff, centre):
    asset = feed.asset(centre)
    booked = submit(booking_client, asset, at(1, 10), at(1, 15))
    staff.post(f"/requests/{booked}/approve", json={})
    rival = submit(booking_client, asset, at(1, 12), at(1, 18))
    pending = submit(booking_client, asset, at(1, 14), at(1, 19), initiative="buurtfeest dampoort ")
    view = staff.get(f"/requests/{pending}").json
    assert [b["request_id"] for b in view["competition"]["conflicting_bookings"]] == [booked]
    assert [r["request_id"] for r in view["competition"]["competing_requests"]] == [rival]
    # the same initiative, typed differently, is recognised: its history is shown
    assert {h["request_id"] for h in view["initiative_history"]} == {booked, rival}
    assert [c["name"] for c in view["initiative_contacts"]] == ["An Peeters"]
    assert view["age_hours"] == 0


def test_staff_list_filters(feed, booking_client, staff, centre):
    asset = feed.asset(centre)
    other = feed.asset(centre, code="naaimachine", category="sewing_machine")
    a = submit(booking_client, asset, at(1, 10), at(1, 15), initiative="Repair Café Muide")
    b = submit(booking_client, other, at(3, 10), at(3, 15))
    staff.post(f"/requests/{a}/approve", json={})
    ids = lambda url: [r["request_id"] for r in staff.get(url).json]  # noqa: E731
    assert ids("/requests") == [a, b]
    assert ids("/requests?status=approved") == [a]
    assert ids(f"/requests?asset_id={other}") == [b]
    assert ids("/requests?q=repair") == [a]
    assert ids(f"/requests?from={at(2, 0)}&to={at(4, 0)}") == [b]
    assert booking_client.get("/requests").status_code == 401


def test_the_exclusion_constraint_holds_even_for_code_that_skips_the_lock(
    feed, booking_client, staff, centre, booking_db
):
    asset = feed.asset(centre)
    first = submit(booking_client, asset, at(1, 10), at(1, 15))
    second = submit(booking_client, asset, at(1, 12), at(1, 18))
    staff.post(f"/requests/{first}/approve", json={})
    with pytest.raises(IntegrityError, match="ex_allocations_single_unit_overlap"), booking_db.transaction() as session:
        item_id = session.get(BookingRequest, second).items[0].id
        start = datetime.fromisoformat(at(1, 12)).replace(tzinfo=clock.BRUSSELS)
        session.add(
            Allocation(
                request_id=second,
                item_id=item_id,
                asset_id=asset,
                quantity=1,
                blocked_from=start,
                blocked_until=start + timedelta(hours=6),
                single_unit=True,
                active=True,
            )
        )
        session.flush()
