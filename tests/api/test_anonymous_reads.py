"""What the public reads of the inventory: nothing of a staff-only asset, and no reasons for maintenance.

A maintenance window's reason is staff's note ("stolen", "waiting for the insurer"), and a staff-only asset
(the city's van, lent only together with a caravan) is not in the public catalogue. Every anonymous GET route
of the inventory app (from its url_map) is walked with the ids of a staff-only asset, its window and the
requirement it provides: none of them may name that asset or a reason. Booking's availability keeps to public
assets as well.
"""

from __future__ import annotations

import re
from datetime import timedelta

from tests.booking_fixtures import NOW
from tests.factories import create_asset, create_location, create_requirement

SECRET_REASON = "wacht op de verzekeraar"


def world(inventory_admin):
    location = create_location(inventory_admin)
    van = create_asset(inventory_admin, location["id"], code="bestelwagen-stad", category="vehicle", public=False)
    requirement = create_requirement(
        inventory_admin, code="bestelwagen", label_nl="Bestelwagen", label_en="Van", provided_by_asset_id=van["id"]
    )
    caravan = create_asset(inventory_admin, location["id"], requirement_codes=["bestelwagen"])
    when = {"starts_at": "2030-04-01T10:00", "ends_at": "2030-04-02T10:00", "reason": SECRET_REASON}
    windows = {}
    for asset in (van, caravan):
        created = inventory_admin.post(f"/assets/{asset['id']}/maintenance-windows", json=when)
        assert created.status_code == 201, created.json
        windows[asset["id"]] = created.json["id"]
    return {"location": location, "van": van, "caravan": caravan, "requirement": requirement, "windows": windows}


def test_the_public_sees_a_public_assets_windows_without_reasons_and_none_of_a_staff_only_asset(
    inventory_admin, client
):
    w = world(inventory_admin)
    public = client.get(f"/assets/{w['caravan']['id']}/maintenance-windows")
    assert public.status_code == 200
    assert [(x["id"], x["reason"]) for x in public.json] == [(w["windows"][w["caravan"]["id"]], None)]
    assert client.get(f"/assets/{w['van']['id']}/maintenance-windows").status_code == 404
    staff = inventory_admin.get(f"/assets/{w['van']['id']}/maintenance-windows")
    assert [x["reason"] for x in staff.json] == [SECRET_REASON]


def test_no_anonymous_read_of_the_inventory_names_a_staff_only_asset_or_a_reason(
    inventory_app, inventory_admin, client
):
    w = world(inventory_admin)
    van = w["van"]
    values = {
        "asset_id": van["id"],
        "location_id": w["location"]["id"],
        "requirement_id": w["requirement"]["id"],
        "window_id": w["windows"][van["id"]],
    }
    leaks = []
    for rule in inventory_app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or "<path:" in rule.rule:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), "x")), rule.rule)
        for query in ("", "?status=all", f"?location_id={w['location']['id']}", "?q=bestelwagen"):
            text = client.get(path + query).get_data(as_text=True)
            if SECRET_REASON in text or "bestelwagen-stad" in text or f'"provided_by_asset_id": {van["id"]}' in text:
                leaks.append(path + query)
    assert not leaks, leaks
    # staff still see it all
    assert inventory_admin.get(f"/requirements/{w['requirement']['id']}").json["provided_by_asset_id"] == van["id"]


def test_bookings_availability_keeps_staff_only_assets_from_the_public(feed, booking_client, staff_client_for):
    location = feed.location()
    van = feed.asset(location, code="bestelwagen-stad", category="vehicle", public=False)
    feed.maintenance(van, NOW + timedelta(days=1), NOW + timedelta(days=2))
    span = "from=2030-03-05T00:00&to=2030-03-08T00:00"
    assert booking_client.get(f"/availability?asset_id={van}&{span}").status_code == 404
    assert booking_client.get(f"/availability?location_id={location}&{span}").json == []
    assert "onderhoud" not in booking_client.get(f"/availability?location_id={location}&{span}").get_data(as_text=True)
    staff = staff_client_for([location]).get(f"/availability?asset_id={van}&{span}")
    assert staff.status_code == 200 and staff.json[0]["asset_id"] == van
