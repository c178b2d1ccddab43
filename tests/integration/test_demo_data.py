"""The demo data (services/inventory/demo.py): every centre can receive staff alerts, and loading is idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from services.inventory.demo import LOCATIONS, load_demo_data
from services.inventory.models import Location
from shared.db import Database


def test_every_demo_centre_has_an_address_in_the_demo_domain(inventory_db: Database) -> None:
    with inventory_db.transaction() as session:
        load_demo_data(session)
    with inventory_db.session_factory() as session:
        addresses = {code: email for code, email in session.execute(sa.select(Location.code, Location.email))}
    assert set(addresses) == {data["code"] for data in LOCATIONS}
    assert all(email and email.endswith("@uitleen.demo") for email in addresses.values()), addresses
    assert len(set(addresses.values())) == len(addresses)


def test_a_demo_centre_loaded_without_an_address_gets_one_and_a_second_load_adds_nothing(
    inventory_db: Database,
) -> None:
    with inventory_db.transaction() as session:
        load_demo_data(session)
        session.execute(sa.update(Location).where(Location.code == "bc-dampoort").values(email=None))
    with inventory_db.transaction() as session:
        added = load_demo_data(session)
    with inventory_db.session_factory() as session:
        email = session.scalar(sa.select(Location.email).where(Location.code == "bc-dampoort"))
    assert email == "bc-dampoort@uitleen.demo"
    assert added == {"locations": 0, "requirements": 0, "assets": 0, "staff": 0}
