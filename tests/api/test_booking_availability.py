"""Availability per day or hour, and "for these dates, what can I borrow, and where?"."""

from __future__ import annotations

from tests.booking_fixtures import at, request_body


def test_free_units_per_brussels_day_count_buffers(feed, booking_client, staff_client_for):
    location = feed.location()
    asset = feed.asset(location, code="naaimachine", category="sewing_machine", quantity=3, turnaround_after_hours=12)
    staff = staff_client_for([location])
    created = booking_client.post("/requests", json=request_body(asset, at(1, 10), at(1, 18), 2)).json
    staff.post(f"/requests/{created['request_id']}/approve", json={})
    response = booking_client.get(f"/availability?asset_id={asset}&from={at(0, 0)}&to={at(3, 0)}")
    assert response.status_code == 200, response.json
    [row] = response.json
    assert [s["free"] for s in row["slots"]] == [3, 1, 1]  # day 2 still in the 12 h after-buffer until 06:00
    assert row["slots"][0]["start"] == "2030-03-03T23:00:00+00:00"
    hourly = booking_client.get(f"/availability?asset_id={asset}&from={at(2, 5)}&to={at(2, 8)}&slot=hour").json
    assert [s["free"] for s in hourly[0]["slots"]] == [1, 3, 3]


def test_days_across_the_dst_switch_are_calendar_days(feed, booking_client):
    asset = feed.asset(feed.location())
    response = booking_client.get(f"/availability?asset_id={asset}&from=2030-03-30T00:00&to=2030-04-01T00:00")
    starts = [s["start"] for s in response.json[0]["slots"]]
    assert starts == ["2030-03-29T23:00:00+00:00", "2030-03-30T23:00:00+00:00"]  # 31 March has 23 hours


def test_location_availability_hides_staff_only_assets_from_the_public(feed, booking_client, staff_client_for):
    location = feed.location()
    feed.asset(location, code="caravan")
    feed.asset(location, code="busje", public=False)
    url = f"/availability?location_id={location}&from={at(1, 0)}&to={at(2, 0)}"
    assert [a["asset_code"] for a in booking_client.get(url).json] == ["caravan"]
    assert len(staff_client_for([location]).get(url).json) == 2


def test_what_can_i_borrow_for_these_dates_and_where(feed, booking_client, staff_client_for):
    dampoort = feed.location(name="Buurtcentrum Dampoort")
    bloemekenswijk = feed.location(name="Buurtcentrum Bloemekenswijk")
    caravan = feed.asset(dampoort, code="caravan")
    feed.asset(bloemekenswijk, code="give-box", category="give_box")
    feed.asset(bloemekenswijk, code="busje", public=False)
    created = booking_client.post("/requests", json=request_body(caravan, at(1, 10), at(1, 18))).json
    staff_client_for([dampoort]).post(f"/requests/{created['request_id']}/approve", json={})
    response = booking_client.get(f"/search?pickup_at={at(1, 12)}&return_at={at(1, 16)}")
    assert response.status_code == 200, response.json
    assert [(r["name"], [a["code"] for a in r["assets"]]) for r in response.json] == [
        ("Buurtcentrum Bloemekenswijk", ["give-box"])
    ]
    later = booking_client.get(f"/search?pickup_at={at(2, 12)}&return_at={at(2, 16)}&category=caravan").json
    assert [a["code"] for r in later for a in r["assets"]] == ["caravan"]
    bad = booking_client.get(f"/search?pickup_at={at(2, 12)}&return_at={at(2, 11)}")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "return_at"


def test_openapi_lists_the_booking_api(booking_client):
    spec = booking_client.get("/openapi.json").json
    for path in ("/requests", "/requests/{request_id}/approve", "/status/{token}", "/availability", "/search"):
        assert path in spec["paths"], path
    assert spec["servers"] == [{"url": "/booking"}]


def test_maintenance_makes_a_day_unavailable_and_unknown_assets_are_404(feed, booking_client):
    from datetime import datetime, timedelta

    from shared import clock

    asset = feed.asset(feed.location(), quantity=2)
    day2 = datetime.fromisoformat(at(2, 9)).replace(tzinfo=clock.BRUSSELS)
    feed.maintenance(asset, day2, day2 + timedelta(hours=2))
    slots = booking_client.get(f"/availability?asset_id={asset}&from={at(1, 0)}&to={at(4, 0)}").json[0]["slots"]
    assert [s["free"] for s in slots] == [2, 0, 2]
    missing = booking_client.get(f"/availability?asset_id=999&from={at(1, 0)}&to={at(2, 0)}")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")
