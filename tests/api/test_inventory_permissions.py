"""Staff change their own community centre's inventory; admins everything; the public nothing."""

from __future__ import annotations

from tests.factories import asset_data, create_asset, create_location


def test_staff_manage_assets_of_their_own_centre(staff_client, staff_account):
    own = staff_client.post("/assets", json=asset_data(staff_account["location_id"]))
    assert own.status_code == 201
    window = staff_client.post(
        f"/assets/{own.json['id']}/maintenance-windows",
        json={"starts_at": "2027-01-04T09:00", "ends_at": "2027-01-05T09:00", "reason": "Nazicht"},
    )
    assert window.status_code == 201
    assert staff_client.post(f"/assets/{own.json['id']}/retire", headers={"If-Match": '"v1"'}).status_code == 200


def test_staff_of_another_centre_are_refused(inventory_admin, staff_client):
    elsewhere = create_location(inventory_admin, code="bc-elders", name="BC Elders")
    refused = staff_client.post("/assets", json=asset_data(elsewhere["id"]))
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    asset = create_asset(inventory_admin, elsewhere["id"])
    assert (
        staff_client.patch(f"/assets/{asset['id']}", json={"quantity": 2}, headers={"If-Match": '"v1"'}).status_code
        == 403
    )
    assert staff_client.post(f"/assets/{asset['id']}/retire", headers={"If-Match": '"v1"'}).status_code == 403
    assert (
        staff_client.post(
            f"/assets/{asset['id']}/maintenance-windows",
            json={"starts_at": "2027-01-04T09:00", "ends_at": "2027-01-05T09:00", "reason": "x"},
        ).status_code
        == 403
    )
    assert (
        staff_client.patch(
            f"/locations/{elsewhere['id']}", json={"phone": "1"}, headers={"If-Match": '"v1"'}
        ).status_code
        == 403
    )


def test_moving_an_asset_to_a_centre_you_do_not_work_at_is_refused(staff_client, inventory_admin, staff_account):
    elsewhere = create_location(inventory_admin, code="bc-elders", name="BC Elders")
    asset = staff_client.post("/assets", json=asset_data(staff_account["location_id"])).json
    moved = staff_client.patch(
        f"/assets/{asset['id']}", json={"location_id": elsewhere["id"]}, headers={"If-Match": '"v1"'}
    )
    assert moved.status_code == 403


def test_only_admins_add_locations_and_requirements(staff_client, inventory_admin):
    assert (
        staff_client.post(
            "/locations", json={"code": "bc-x", "name": "x", "street": "x", "postal_code": "9000"}
        ).status_code
        == 403
    )
    assert (
        staff_client.post(
            "/requirements", json={"code": "trekhaak", "kind": "confirm", "label_nl": "T", "label_en": "T"}
        ).status_code
        == 403
    )
    assert (
        inventory_admin.post(
            "/requirements", json={"code": "trekhaak", "kind": "confirm", "label_nl": "T", "label_en": "T"}
        ).status_code
        == 201
    )
