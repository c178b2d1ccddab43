"""Bad input of every field gets a problem response naming it; never a 500."""

from __future__ import annotations

import pytest

from tests.booking_fixtures import at, request_body


@pytest.fixture
def asset(feed):
    location = feed.location()
    feed.requirement("trekhaak")
    feed.requirement("nummerplaat", kind="license_plate")
    return feed.asset(
        location,
        requirement_codes=["nummerplaat", "trekhaak"],
        quantity=1,
        lead_time_hours=24,
        min_loan_hours=2,
        max_loan_hours=72,
    )


def good(asset_id: int, **overrides):
    body = request_body(asset_id, at(2, 10), at(3, 10))
    body["items"][0]["answers"] = {"trekhaak": True, "nummerplaat": "1abc234"}
    body.update(overrides)
    return body


def fields_of(response) -> set[str]:
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.data
    return {e["field"] for e in response.json["errors"]}


def test_a_good_request_is_accepted_and_the_plate_normalised(booking_client, asset):
    response = booking_client.post("/requests", json=good(asset))
    assert response.status_code == 201, response.json
    answers = {r["code"]: r["answer"] for r in response.json["items"][0]["requirements"]}
    assert answers == {"nummerplaat": "1-ABC-234", "trekhaak": "yes"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"initiative": ""}, "initiative"),
        ({"initiative": 5}, "initiative"),
        ({"contact": {"name": "", "email": "a@b.be"}}, "contact.name"),
        ({"contact": {"name": "A", "email": "not-an-email"}}, "contact.email"),
        ({"contact": {"name": "A", "phone": "12"}}, "contact.phone"),
        ({"contact": {"name": "A", "email": "a@b.be", "language": "fr"}}, "contact.language"),
        ({"contact": {"name": "A", "email": None, "phone": None}}, "contact.email"),
        ({"contact": {"name": "A", "email": "a@b.be", "shoe_size": 44}}, "contact.shoe_size"),
        ({"purpose": "x" * 2001}, "purpose"),
        ({"pickup_at": "morgen"}, "pickup_at"),
        ({"pickup_at": "2030-03-31T02:30"}, "pickup_at"),
        ({"return_at": None}, "return_at"),
        ({"return_at": at(2, 9)}, "return_at"),
        ({"return_at": at(2, 11)}, "return_at"),
        ({"return_at": at(6, 10)}, "return_at"),
        ({"pickup_at": at(0, 10)}, "pickup_at"),
        ({"pickup_at": at(2, 6)}, "pickup_at"),
        ({"items": []}, "items"),
        ({"items": "caravan"}, "items"),
        ({"items": [{"asset_id": "x"}]}, "items.0.asset_id"),
        ({"items": [{"asset_id": 999, "quantity": 1}]}, "items.0.asset_id"),
        ({"proxy": {"consent": "telepathy"}}, "proxy.consent"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_each_bad_field_is_named(booking_client, asset, change, field):
    response = booking_client.post("/requests", json=good(asset, **change))
    assert response.status_code == 422, response.json
    assert field in fields_of(response)


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"quantity": 2}, "items.0.quantity"),
        ({"quantity": 0}, "items.0.quantity"),
        ({"answers": {"trekhaak": False, "nummerplaat": "1abc234"}}, "items.0.answers.trekhaak"),
        ({"answers": {"trekhaak": True}}, "items.0.answers.nummerplaat"),
        ({"answers": {"trekhaak": True, "nummerplaat": "caravan"}}, "items.0.answers.nummerplaat"),
        ({"answers": {"trekhaak": True, "nummerplaat": "1abc234", "rijbewijs": "B"}}, "items.0.answers.rijbewijs"),
        ({"answers": {"trekhaak": True, "nummerplaat": ["1abc234"]}}, "items.0.answers.nummerplaat"),
    ],
)
def test_each_bad_item_field_is_named(booking_client, asset, item, field):
    body = good(asset)
    body["items"][0].update(item)
    response = booking_client.post("/requests", json=body)
    assert response.status_code == 422, response.json
    assert field in fields_of(response)


def test_a_retired_or_staff_only_asset_is_refused(booking_client, feed, inventory_db):
    from services.inventory.domain.assets import retire_asset

    location = feed.location()
    hidden = feed.asset(location, code="busje", public=False)
    retired = feed.asset(location, code="oud")
    with inventory_db.transaction() as session:
        retire_asset(session, retired, None, actor=None)
    feed.relay()
    for asset_id in (hidden, retired):
        response = booking_client.post("/requests", json=request_body(asset_id, at(2, 10), at(3, 10)))
        assert response.status_code == 422
        assert fields_of(response) == {"items.0.asset_id"}


def test_not_json_and_wrong_types_are_problems_not_500s(booking_client, asset):
    response = booking_client.post("/requests", data="{", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.headers["Content-Type"].startswith("application/problem+json")
    response = booking_client.post("/requests", json=[1, 2])
    assert response.status_code == 422


def test_query_parameters_are_checked(staff_client_for, feed):
    location = feed.location()
    staff = staff_client_for([location])
    assert "status" in fields_of(staff.get("/requests?status=lost"))
    assert "from" in fields_of(staff.get("/requests?from=gisteren"))
    response = staff.get("/availability?from=2030-03-05T00:00&to=2030-03-06T00:00")
    assert "asset_id" in fields_of(response)
