"""An asset change and its outbox event commit together or not at all (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from services.inventory import application
from services.inventory.domain.assets import create_asset
from services.inventory.domain.locations import create_location
from services.inventory.models import Asset, OutboxEvent
from shared.errors import InvalidInput, PreconditionFailed
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


def test_each_application_call_commits_its_change_with_its_event_or_neither(inventory_db):
    """The application layer owns the transaction: a call's change and event are committed when it returns
    (another connection sees them), and a refused call — even one that had already flushed a change — leaves
    neither behind and no transaction open."""
    with inventory_db.session_factory() as session:
        location = application.create_location(session, location_domain_data(), actor=None)
        assert not session.in_transaction()
        assert counts(inventory_db) == (0, 1)
        asset = application.create_asset(session, asset_data(location.id), actor=None)
        assert counts(inventory_db) == (1, 2)
        with pytest.raises(PreconditionFailed):
            application.update_asset(session, asset.id, {"name_nl": "Oud"}, asset.version + 1, actor=None)
        assert not session.in_transaction()
        # the new name is set (and flushed by the look-up) before the unknown requirement is refused
        with pytest.raises(InvalidInput):
            application.update_asset(
                session, asset.id, {"name_nl": "Nieuw", "requirement_codes": ["nope"]}, asset.version, actor=None
            )
        assert not session.in_transaction()
        assert counts(inventory_db) == (1, 2)
        assert session.get(Asset, asset.id).name_nl == "Caravan doorgeefbazaar"
        session.rollback()
        retired = application.retire_asset(session, asset.id, asset.version, actor=None)
        assert retired.status == "retired"
    assert counts(inventory_db) == (1, 3)


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
