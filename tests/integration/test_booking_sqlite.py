"""The embedded mode: booking's migrations, the conflict check and GDPR erasure on SQLite (writers serialised)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from services.booking.app import create_app
from services.booking.handlers import EVENT_HANDLERS
from shared.config import load_settings
from shared.db import Database
from shared.events import Envelope
from shared.migrations import upgrade
from tests.booking_fixtures import at, request_body, staff_cookie

ROOT = Path(__file__).resolve().parents[2]


def _event(kind: str, payload: dict) -> Envelope:
    return Envelope(type=f"inventory.{kind}", payload=payload, producer="inventory", id=uuid.uuid4())


def test_booking_runs_on_sqlite(tmp_path, fixed_clock, environ):
    url = f"sqlite:///{tmp_path / 'booking.sqlite'}"
    upgrade(ROOT / "services" / "booking" / "migrations", url)
    database = Database(url)
    with database.transaction() as session:
        for kind, payload in [
            (
                "location.created",
                {
                    "id": 1,
                    "code": "bc",
                    "name": "BC",
                    "street": "s",
                    "postal_code": "9000",
                    "city": "Gent",
                    "phone": None,
                    "email": None,
                    "opening_hours": [],
                    "version": 1,
                },
            ),
            (
                "asset.created",
                {
                    "id": 1,
                    "code": "c",
                    "name_nl": "c",
                    "name_en": "c",
                    "category": "caravan",
                    "location_id": 1,
                    "quantity": 1,
                    "turnaround_before_hours": 0,
                    "turnaround_after_hours": 0,
                    "lead_time_hours": 0,
                    "min_loan_hours": 1,
                    "max_loan_hours": None,
                    "public": True,
                    "status": "active",
                    "requirement_codes": [],
                    "version": 1,
                },
            ),
        ]:
            EVENT_HANDLERS[f"inventory.{kind}"](session, _event(kind, payload))
    app = create_app(load_settings("booking", {**environ, "BOOKING_DATABASE_URL": url}), database)
    client = app.test_client()
    ids = []
    for key in ("a", "b"):
        response = client.post(
            "/requests", json=request_body(1, at(1, 10), at(1, 15)), headers={"Idempotency-Key": key}
        )
        assert response.status_code == 201, response.json
        ids.append(response.json["request_id"])
    client.set_cookie("uitleen_staff", staff_cookie([1]))
    assert client.post(f"/requests/{ids[0]}/approve", json={}).status_code == 200
    refused = client.post(f"/requests/{ids[1]}/approve", json={})
    assert refused.status_code == 409
    assert refused.json["conflicts"][0]["request_id"] == ids[0]

    # GDPR on SQLite too (the embedded default): erasure, export and the retention scan
    assert client.post(f"/requests/{ids[1]}/reject", json={"reason": "bezet"}).status_code == 200
    client.set_cookie("uitleen_staff", staff_cookie([], role="admin"))
    assert client.post("/privacy/erase", json={"email": "an@example.org"}).status_code == 409  # ids[0] is running
    assert client.post("/privacy/erase", json={"request_id": ids[1]}).json == {"anonymised": [ids[1]]}
    export = client.post("/privacy/export", json={"email": "AN@example.org"}).json
    assert [r["request_id"] for r in export["requests"]] == [ids[0]]
    with database.transaction() as session:
        from services.booking.domain import privacy
        from shared import clock

        assert privacy.apply_retention(session, clock.now() + timedelta(days=400), 365) == []
    database.dispose()
