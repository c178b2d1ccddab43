from tests.factories import create_asset, create_location, create_requirement


def test_staff_creates_and_public_reads_an_asset(inventory_admin, client):
    location = create_location(inventory_admin)
    create_requirement(inventory_admin)
    asset = create_asset(inventory_admin, location["id"], requirement_codes=["trekhaak"])
    response = client.get(f"/assets/{asset['id']}")
    assert response.status_code == 200
    assert response.json["requirements"][0]["code"] == "trekhaak"
    assert response.headers["ETag"] == '"v1"'
