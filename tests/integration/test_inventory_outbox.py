"""An asset change and its outbox event commit together or not at all (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from services.inventory.domain.assets import create_asset
from services.inventory.domain.locations import create_location
from services.inventory.models import Asset, OutboxEvent
from tests.factories import asset_data, location_domain_data


def counts(database) -> tuple[int, int]:
    with database.session_factory() as session:
        assets = session.scalar(sa.select(sa.func.count()).select_from(Asset))
        events = session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent))
    return assets, events


def test_change_and_event_commit_together(inventory_db):
    with inventory_db.transaction() as session:
        location = create_location(session, location_domain_data(), actor=None)
        create_asset(session, asset_data(location.id), actor=None)
    assert counts(inventory_db) == (1, 2)


def test_a_failure_after_the_change_rolls_back_the_event_too(inventory_db):
    with inventory_db.transaction() as session:
        location_id = create_location(session, location_domain_data(), actor=None).id
    before = counts(inventory_db)
    with pytest.raises(RuntimeError), inventory_db.transaction() as session:
        create_asset(session, asset_data(location_id), actor=None)
        raise RuntimeError("the process dies before commit")
    assert counts(inventory_db) == before


@pytest.fixture
def outbox_refuses_asset_events(inventory_db) -> Iterator[None]:
    """Make the database itself refuse the outbox row of an asset creation."""
    with inventory_db.engine.begin() as connection:
        connection.execute(
            sa.text("ALTER TABLE outbox ADD CONSTRAINT test_refuse CHECK (type <> 'inventory.asset.created')")
        )
    yield
    with inventory_db.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE outbox DROP CONSTRAINT test_refuse"))


def test_when_the_event_cannot_be_written_the_change_is_not_written(
    inventory_admin, inventory_db, outbox_refuses_asset_events
):
    location_id = inventory_admin.get("/locations").json[0]["id"]
    before = counts(inventory_db)
    response = inventory_admin.post("/assets", json=asset_data(location_id))
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.get_data(as_text=True)
    assert counts(inventory_db) == before
