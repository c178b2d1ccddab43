from tests.factories import create_asset, create_location, create_requirement


def test_staff_creates_and_public_reads_an_asset(admin_client, client):
    location = create_location(admin_client)
    create_requirement(admin_client)
    asset = create_asset(admin_client, location["id"], requirement_codes=["trekhaak"])
    response = client.get(f"/assets/{asset['id']}")
    assert response.status_code == 200
    assert response.json["requirements"][0]["code"] == "trekhaak"
    assert response.headers["ETag"] == '"v1"'
