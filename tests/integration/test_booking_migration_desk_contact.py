"""Migration 0009 relaxes ``ck_requests_contact_reachable`` (a desk request may have neither e-mail nor phone).

On SQLite the constraint can only change by recreating ``requests``; with ``PRAGMA foreign_keys=ON`` (set on every
connection, shared/db.py) the drop of the old table would cascade into every child table. A populated database is
migrated from 0008 and every child row must still be there, pointing at its request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.booking.models import (
    Allocation,
    AuditEntry,
    BookingRequest,
    IdempotencyKey,
    Initiative,
    ItemRequirement,
    RequestItem,
    StatusLink,
)
from shared.db import Database
from shared.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "services" / "booking" / "migrations"
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
CHILDREN = (RequestItem, ItemRequirement, Allocation, AuditEntry, StatusLink, IdempotencyKey)


def _request(number: int, **contact: str | int | None) -> BookingRequest:
    return BookingRequest(
        reference=f"UIT-TEST{number:04d}",
        status="approved",
        initiative_id=1,
        contact_name=f"bewoner {number}",
        language="nl",
        purpose="",
        location_id=1,
        pickup_at=T0 + timedelta(days=number),
        return_at=T0 + timedelta(days=number, hours=5),
        created_at=T0,
        **contact,
    )


def _populate(database: Database, count: int) -> None:
    with database.transaction() as session:
        session.add(Initiative(id=1, name="Buurtfeest", name_key="buurtfeest", created_at=T0))
        for number in range(count):
            request = _request(number, contact_email=f"b{number}@example.org")
            item = RequestItem(asset_id=1, quantity=1, requirements=[ItemRequirement(code="trekhaak", kind="confirm")])
            request.items = [item]
            session.add(request)
            session.flush()
            session.add_all(
                [
                    Allocation(
                        request_id=request.id,
                        item_id=item.id,
                        asset_id=1,
                        quantity=1,
                        blocked_from=request.pickup_at,
                        blocked_until=request.return_at,
                        single_unit=True,
                    ),
                    AuditEntry(request_id=request.id, action="submit", actor_kind="requester", to_status="requested"),
                    StatusLink(request_id=request.id, token_hash=f"{number:064d}", expires_at=T0 + timedelta(days=9)),
                    IdempotencyKey(key_hash=f"k{number:063d}", body_hash="b" * 64, request_id=request.id),
                ]
            )


def _counts(database: Database) -> dict[str, int]:
    with database.session_factory() as session:
        return {
            model.__tablename__: int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
            for model in (BookingRequest, *CHILDREN)
        }


def test_sqlite_upgrade_to_0009_keeps_every_child_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'booking.sqlite'}"
    upgrade(MIGRATIONS, url, "0008")
    database = Database(url)
    _populate(database, 3)
    before = _counts(database)
    assert before == {t: 3 for t in before}
    database.dispose()

    upgrade(MIGRATIONS, url, "0009")

    database = Database(url)
    try:
        assert _counts(database) == before
        with database.session_factory() as session:
            # the children still point at their requests, and the foreign keys are enforced again
            assert session.execute(sa.text("PRAGMA foreign_key_check")).all() == []
            assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            request = session.scalars(sa.select(BookingRequest).order_by(BookingRequest.id)).first()
            assert request is not None and [item.requirements[0].code for item in request.items] == ["trekhaak"]
        _assert_the_new_rule(database)
    finally:
        database.dispose()


def test_postgresql_has_the_relaxed_rule(booking_db: Database) -> None:
    with booking_db.transaction() as session:
        session.add(Initiative(id=1, name="Buurtfeest", name_key="buurtfeest", created_at=T0))
    _assert_the_new_rule(booking_db)


def _assert_the_new_rule(database: Database) -> None:
    """A desk request (filed by staff) may have neither e-mail nor phone; any other request must have one."""
    with database.transaction() as session:
        session.add(_request(50, proxy_by_staff_id=7, proxy_consent="desk"))
    with pytest.raises(IntegrityError, match="contact_reachable"), database.transaction() as session:
        session.add(_request(51))
