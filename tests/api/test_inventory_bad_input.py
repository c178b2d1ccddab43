"""Bad input of every kind the inventory API takes gets a 4xx problem naming the field, and writes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.inventory.models import Asset, Location, OutboxEvent
from tests.factories import asset_data, create_asset, create_location, create_requirement, location_data


def count_rows(database, model) -> int:
    with database.session_factory() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["type"].startswith("https://")
    named = {error["field"] for error in body.get("errors", [])}
    for field in fields:
        assert field in named, f"{field} not named in {body}"
    return body


@pytest.fixture
def location(inventory_admin):
    return create_location(inventory_admin)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": "six"}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"name_nl": 12}, "name_nl"),
        ({"category": "spaceship"}, "category"),
        ({"code": "Not A Code!"}, "code"),
        ({"public": "maybe"}, "public"),
        ({"lead_time_hours": -1}, "lead_time_hours"),
        ({"max_loan_hours": 0}, "max_loan_hours"),
        ({"unexpected": True}, "unexpected"),
        ({"requirement_codes": "trekhaak"}, "requirement_codes"),
    ],
)
def test_wrong_asset_fields_are_named_and_nothing_is_written(inventory_admin, inventory_db, location, overrides, field):
    before = (count_rows(inventory_db, Asset), count_rows(inventory_db, OutboxEvent))
    response = inventory_admin.post("/assets", json=asset_data(location["id"], **overrides))
    body = assert_problem(response, 422, field)
    assert body["errors"][0]["pointer"].startswith("#/")
    assert (count_rows(inventory_db, Asset), count_rows(inventory_db, OutboxEvent)) == before


def test_missing_required_fields_are_all_listed(inventory_admin, location):
    response = inventory_admin.post("/assets", json={"location_id": location["id"]})
    assert_problem(response, 422, "code", "name_nl", "name_en", "category")


def test_unknown_requirement_code_names_its_position(inventory_admin, inventory_db, location):
    create_requirement(inventory_admin)
    before = count_rows(inventory_db, OutboxEvent)
    response = inventory_admin.post(
        "/assets", json=asset_data(location["id"], requirement_codes=["trekhaak", "vliegbrevet"])
    )
    body = assert_problem(response, 422, "requirement_codes.1")
    assert "vliegbrevet" in body["errors"][0]["detail"]
    assert count_rows(inventory_db, Asset) == 0
    assert count_rows(inventory_db, OutboxEvent) == before


def test_unknown_location_is_named(inventory_admin):
    assert_problem(inventory_admin.post("/assets", json=asset_data(999)), 422, "location_id")


def test_max_loan_below_min_loan_is_refused(inventory_admin, location):
    response = inventory_admin.post("/assets", json=asset_data(location["id"], min_loan_hours=10, max_loan_hours=5))
    assert_problem(response, 422, "max_loan_hours")


def test_opening_hours_that_end_before_they_start(inventory_admin, inventory_db):
    hours = [{"weekday": 0, "opens": "09:00", "closes": "12:00"}, {"weekday": 1, "opens": "17:00", "closes": "09:00"}]
    before = (count_rows(inventory_db, Location), count_rows(inventory_db, OutboxEvent))
    response = inventory_admin.post("/locations", json=location_data(opening_hours=hours))
    assert_problem(response, 422, "opening_hours.1.closes")
    assert (count_rows(inventory_db, Location), count_rows(inventory_db, OutboxEvent)) == before


def test_overlapping_opening_hours_on_one_day(inventory_admin):
    hours = [{"weekday": 2, "opens": "09:00", "closes": "12:00"}, {"weekday": 2, "opens": "11:00", "closes": "15:00"}]
    assert_problem(
        inventory_admin.post("/locations", json=location_data(opening_hours=hours)), 422, "opening_hours.1.opens"
    )


def test_malformed_opening_hours(inventory_admin):
    hours = [{"weekday": 7, "opens": "9 uur", "closes": "25:00"}]
    assert_problem(
        inventory_admin.post("/locations", json=location_data(opening_hours=hours)),
        422,
        "opening_hours.0.weekday",
        "opening_hours.0.opens",
        "opening_hours.0.closes",
    )


def test_broken_json_is_a_400_problem(inventory_admin, inventory_db):
    response = inventory_admin.post("/assets", data='{"code": "x",', content_type="application/json")
    body = assert_problem(response, 400)
    assert "JSON" in body["detail"]
    assert count_rows(inventory_db, Asset) == 0


def test_a_10_mb_body_is_refused_with_413(inventory_admin, location):
    huge = asset_data(location["id"], description_nl="x" * (10 * 1024 * 1024))
    body = assert_problem(inventory_admin.post("/assets", json=huge), 413)
    assert "larger" in body["detail"]


def test_stale_if_match_is_412_and_changes_nothing(inventory_admin, inventory_db, location):
    asset = create_asset(inventory_admin, location["id"])
    first = inventory_admin.patch(f"/assets/{asset['id']}", json={"quantity": 2}, headers={"If-Match": '"v1"'})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"v2"'
    outbox_before = count_rows(inventory_db, OutboxEvent)
    stale = inventory_admin.patch(f"/assets/{asset['id']}", json={"quantity": 5}, headers={"If-Match": '"v1"'})
    body = assert_problem(stale, 412)
    assert body["current_version"] == 2
    assert inventory_admin.get(f"/assets/{asset['id']}").json["quantity"] == 2
    assert count_rows(inventory_db, OutboxEvent) == outbox_before


def test_update_without_if_match_is_428(inventory_admin, location):
    asset = create_asset(inventory_admin, location["id"])
    assert_problem(inventory_admin.patch(f"/assets/{asset['id']}", json={"quantity": 2}), 428)


def test_garbled_if_match_names_the_header(inventory_admin, location):
    asset = create_asset(inventory_admin, location["id"])
    response = inventory_admin.patch(f"/assets/{asset['id']}", json={"quantity": 2}, headers={"If-Match": "yesterday"})
    assert_problem(response, 422, "If-Match")


def test_bad_maintenance_window(inventory_admin, location):
    asset = create_asset(inventory_admin, location["id"])
    url = f"/assets/{asset['id']}/maintenance-windows"
    assert_problem(
        inventory_admin.post(url, json={"starts_at": "morgen", "ends_at": "2026-13-01T10:00", "reason": ""}),
        422,
        "starts_at",
        "ends_at",
        "reason",
    )
    backwards = {"starts_at": "2027-01-10T10:00", "ends_at": "2027-01-09T10:00", "reason": "herstelling"}
    assert_problem(inventory_admin.post(url, json=backwards), 422, "ends_at")
    in_dst_gap = {"starts_at": "2027-03-28T02:30", "ends_at": "2027-03-29T10:00", "reason": "keuring"}
    body = assert_problem(inventory_admin.post(url, json=in_dst_gap), 422, "starts_at")
    assert body["errors"][0]["code"] == "time_nonexistent" and "does not exist" in body["errors"][0]["detail"]


def test_bad_query_parameters_are_named(client):
    body = assert_problem(client.get("/assets?category=spaceship&page_size=-1"), 422, "category")
    assert all(error["in"] == "query" for error in body["errors"])


def test_unknown_ids_are_404_problems(client):
    assert_problem(client.get("/assets/424242"), 404)
    assert_problem(client.get("/locations/424242"), 404)
    assert_problem(client.get("/no-such-route"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.put("/assets")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]
