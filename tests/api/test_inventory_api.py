"""The inventory API as its users meet it: catalogue, changes with ETags, retire, maintenance, events."""

from __future__ import annotations

import sqlalchemy as sa

from services.inventory.models import OutboxEvent
from tests.factories import asset_data, create_asset, create_location, create_requirement


def outbox_types(database) -> list[str]:
    with database.session_factory() as session:
        return list(session.scalars(sa.select(OutboxEvent.type).order_by(OutboxEvent.occurred_at)))


def outbox_payloads(database, event_type: str) -> list[dict]:
    with database.session_factory() as session:
        rows = session.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == event_type))
        return [row.payload for row in rows]


def test_catalogue_filters_by_category_location_requirement_and_text(inventory_admin, client):
    dampoort = create_location(inventory_admin)
    nieuw_gent = create_location(inventory_admin, code="bc-nieuw-gent", name="BC Nieuw Gent")
    create_requirement(inventory_admin)
    create_asset(inventory_admin, dampoort["id"], requirement_codes=["trekhaak"])
    create_asset(
        inventory_admin,
        nieuw_gent["id"],
        code="naaimachines",
        name_nl="Naaimachine",
        name_en="Sewing machine",
        category="sewing_machine",
        quantity=6,
        description_nl="Voor kleine textielherstellingen",
    )

    def codes(query: str) -> list[str]:
        response = client.get(f"/assets{query}")
        assert response.status_code == 200
        return [asset["code"] for asset in response.json]

    assert codes("") == ["caravan", "naaimachines"]
    assert codes("?category=sewing_machine") == ["naaimachines"]
    assert codes(f"?location_id={dampoort['id']}") == ["caravan"]
    assert codes("?requirement=trekhaak") == ["caravan"]
    assert codes("?q=textiel") == ["naaimachines"]
    assert codes("?q=100%25") == []


def test_pagination_reports_totals(inventory_admin, client):
    location = create_location(inventory_admin)
    for index in range(5):
        create_asset(inventory_admin, location["id"], code=f"kit-{index}", name_nl=f"Kit {index}", category="tool")
    response = client.get("/assets?page=2&page_size=2")
    assert [a["code"] for a in response.json] == ["kit-2", "kit-3"]
    pagination = response.headers["X-Pagination"]
    assert '"total": 5' in pagination and '"total_pages": 3' in pagination


def test_staff_only_assets_are_hidden_from_the_public(inventory_admin, client):
    location = create_location(inventory_admin)
    hidden = create_asset(inventory_admin, location["id"], code="stadsbus", public=False, category="vehicle")
    assert client.get("/assets").json == []
    assert client.get(f"/assets/{hidden['id']}").status_code == 404
    assert [a["code"] for a in inventory_admin.get("/assets").json] == ["stadsbus"]


def test_update_bumps_the_version_and_emits_the_new_snapshot(inventory_admin, inventory_db):
    location = create_location(inventory_admin)
    create_requirement(inventory_admin)
    create_requirement(
        inventory_admin,
        code="extra-nummerplaat",
        kind="license_plate",
        label_nl="Extra nummerplaat",
        label_en="Extra plate",
    )
    asset = create_asset(inventory_admin, location["id"], requirement_codes=["trekhaak"])
    response = inventory_admin.patch(
        f"/assets/{asset['id']}",
        json={"requirement_codes": ["trekhaak", "extra-nummerplaat"]},
        headers={"If-Match": '"v1"'},
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == '"v2"'
    assert [r["code"] for r in response.json["requirements"]] == ["extra-nummerplaat", "trekhaak"]
    updated = outbox_payloads(inventory_db, "inventory.asset.updated")
    assert updated[-1]["requirement_codes"] == ["extra-nummerplaat", "trekhaak"]
    assert updated[-1]["version"] == 2


def test_retire_is_final(inventory_admin, client, inventory_db):
    location = create_location(inventory_admin)
    asset = create_asset(inventory_admin, location["id"])
    response = inventory_admin.post(f"/assets/{asset['id']}/retire", headers={"If-Match": '"v1"'})
    assert response.status_code == 200
    assert response.json["status"] == "retired"
    assert client.get("/assets").json == []
    assert [a["code"] for a in inventory_admin.get("/assets?status=retired").json] == ["caravan"]
    again = inventory_admin.patch(f"/assets/{asset['id']}", json={"quantity": 3}, headers={"If-Match": '"v2"'})
    assert again.status_code == 409
    assert "inventory.asset.retired" in outbox_types(inventory_db)


def test_maintenance_windows_are_kept_and_announced(inventory_admin, client, inventory_db):
    location = create_location(inventory_admin)
    asset = create_asset(inventory_admin, location["id"])
    url = f"/assets/{asset['id']}/maintenance-windows"
    created = inventory_admin.post(
        url, json={"starts_at": "2027-03-01T08:00", "ends_at": "2027-03-03T17:00", "reason": "Banden vervangen"}
    )
    assert created.status_code == 201
    # Brussels wall-clock time in March is UTC+1.
    assert created.json["starts_at"] == "2027-03-01T07:00:00+00:00"
    assert [w["reason"] for w in inventory_admin.get(url).json] == ["Banden vervangen"]
    removed = inventory_admin.delete(f"{url}/{created.json['id']}")
    assert removed.status_code == 204
    assert client.get(url).json == []
    assert outbox_types(inventory_db)[-2:] == [
        "inventory.maintenance_window.added",
        "inventory.maintenance_window.removed",
    ]


def test_location_opening_hours_change_is_versioned(inventory_admin, client, inventory_db):
    location = create_location(inventory_admin)
    response = inventory_admin.patch(
        f"/locations/{location['id']}",
        json={"opening_hours": [{"weekday": 5, "opens": "10:00", "closes": "13:00"}]},
        headers={"If-Match": '"v1"'},
    )
    assert response.status_code == 200, response.json
    assert response.headers["ETag"] == '"v2"'
    assert client.get(f"/locations/{location['id']}").json["opening_hours"] == [
        {"weekday": 5, "opens": "10:00", "closes": "13:00"}
    ]
    assert outbox_payloads(inventory_db, "inventory.location.updated")[-1]["opening_hours"][0]["weekday"] == 5


def test_requirement_can_name_the_asset_that_provides_it(inventory_admin, client):
    location = create_location(inventory_admin)
    van = create_asset(inventory_admin, location["id"], code="bestelwagen", category="vehicle")
    requirement = create_requirement(
        inventory_admin, code="bestelwagen", label_nl="Bestelwagen", label_en="Van", provided_by_asset_id=van["id"]
    )
    assert client.get(f"/requirements/{requirement['id']}").json["provided_by_asset_id"] == van["id"]


def test_every_write_emits_one_event_in_the_envelope_shape(inventory_admin, inventory_db):
    location = create_location(inventory_admin)
    create_requirement(inventory_admin)
    create_asset(inventory_admin, location["id"])
    with inventory_db.session_factory() as session:
        rows = list(session.scalars(sa.select(OutboxEvent)))
    # inventory_admin's own location + the three writes above
    assert [r.type for r in sorted(rows, key=lambda r: r.occurred_at)] == [
        "inventory.location.created",
        "inventory.location.created",
        "inventory.requirement.created",
        "inventory.asset.created",
    ]
    envelope = rows[-1].to_envelope().to_dict()
    assert set(envelope) == {"id", "type", "version", "occurred_at", "producer", "correlation_id", "payload"}
    assert envelope["producer"] == "inventory" and envelope["version"] == 1
    assert all(r.published_at is None for r in rows)


def test_writes_need_staff(client, inventory_admin):
    location = create_location(inventory_admin)
    response = client.post("/assets", json=asset_data(location["id"]))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert client.post("/locations", json={}).status_code == 401
    assert client.post("/requirements", json={}).status_code == 401
