"""Factories for test data: valid defaults, override what the test is about."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask.testing import FlaskClient


def location_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "bc-dampoort",
        "name": "Buurtcentrum Dampoort",
        "street": "Dampoortstraat 2",
        "postal_code": "9000",
        "phone": "09 266 00 02",
        "opening_hours": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)],
    }
    data.update(overrides)
    return data


def location_domain_data(**overrides: Any) -> dict[str, Any]:
    """Location data as the domain takes it (after the schema): opening hours as time objects."""
    data = location_data(**overrides)
    data["opening_hours"] = [
        {"weekday": h["weekday"], "opens": time.fromisoformat(h["opens"]), "closes": time.fromisoformat(h["closes"])}
        for h in data["opening_hours"]
    ]
    return data


def requirement_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "trekhaak",
        "kind": "confirm",
        "label_nl": "Wagen met trekhaak",
        "label_en": "Car with a tow hitch",
    }
    data.update(overrides)
    return data


def asset_data(location_id: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "caravan",
        "name_nl": "Caravan doorgeefbazaar",
        "name_en": "Pass-on bazaar caravan",
        "category": "caravan",
        "location_id": location_id,
        "quantity": 1,
        "turnaround_after_hours": 24,
        "lead_time_hours": 72,
        "min_loan_hours": 3,
        "max_loan_hours": 336,
    }
    data.update(overrides)
    return data


def create_location(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/locations", json=location_data(**overrides))
    assert response.status_code == 201, response.json
    return dict(response.json)


def create_requirement(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/requirements", json=requirement_data(**overrides))
    assert response.status_code == 201, response.json
    return dict(response.json)


def create_asset(client: FlaskClient, location_id: int, **overrides: Any) -> dict[str, Any]:
    response = client.post("/assets", json=asset_data(location_id, **overrides))
    assert response.status_code == 201, response.json
    return dict(response.json)
