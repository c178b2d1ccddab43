"""Issue 12, point 15: lowering an asset's quantity below the loans already approved was accepted without a word.
Booking still applies the change (the asset really has fewer units), records it and flags it on the staff
dashboard and on the requests concerned: the asset, how many units are missing, when, and the loans. The flag
goes once staff resolved it. Fed through booking's consumer handlers; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from werkzeug.test import Client

from services.booking.models import QuantityShortfall
from shared.auth import SESSION_COOKIE, Principal, sign_session
from tests.booking_fixtures import SECRET, request_body
from tests.support.embedded import Embedded

SEWING = "naaimachines-nieuw-gent"  # 6 units at Nieuw Gent, open weekdays 9-12 and 13-17
HEADERS = {"X-Requested-With": "test"}


def staff(demo_suite: Embedded, role: str = "admin", centres: frozenset[int] = frozenset()) -> Client:
    client = demo_suite.client()
    who = Principal(staff_id=1, name="Beheerder", role=role, location_ids=centres)
    client.set_cookie(SESSION_COOKIE, sign_session(SECRET, who))
    return client


def sewing(demo_suite: Embedded) -> tuple[int, int]:
    with demo_suite.databases["booking"].session_factory() as session:
        row = session.execute(sa.text(f"SELECT id, location_id FROM inv_assets WHERE code = '{SEWING}'")).one()
        return int(row[0]), int(row[1])


def approved(demo_suite: Embedded, admin: Client, quantity: int, pickup: str, ret: str, name: str) -> dict[str, Any]:
    asset_id, _ = sewing(demo_suite)
    body = request_body(asset_id, pickup, ret, quantity=quantity, initiative=name)
    created = demo_suite.client().post("/booking/requests", json=body)
    assert created.status_code == 201, created.json
    answer = admin.post(f"/booking/requests/{created.json['request_id']}/approve", json={}, headers=HEADERS)
    assert answer.status_code == 200, answer.json
    return created.json


def set_quantity(demo_suite: Embedded, quantity: int) -> None:
    """Inventory's own change, its event applied through booking's consumer handlers."""
    from services.inventory.domain.assets import update_asset
    from services.inventory.models import Asset

    with demo_suite.databases["inventory"].transaction() as session:
        asset = session.scalar(sa.select(Asset).where(Asset.code == SEWING))
        assert asset is not None
        update_asset(session, asset.id, {"quantity": quantity}, None, None)
    demo_suite.feed.relay()


def notice(html: str) -> str:
    found = re.search(r'<div class="card notice" role="status" id="te-weinig">(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", found.group(1)) if found else ""


def test_a_quantity_below_the_approved_loans_is_flagged_with_the_asset_the_shortfall_and_the_dates(
    demo_suite: Embedded,
) -> None:
    admin = staff(demo_suite)
    first = approved(demo_suite, admin, 3, "2030-03-12T10:00", "2030-03-12T16:00", "Repair Café")
    second = approved(demo_suite, admin, 2, "2030-03-12T09:00", "2030-03-13T11:00", "Naaiclub")
    later = approved(demo_suite, admin, 1, "2030-03-19T10:00", "2030-03-19T16:00", "Later")
    assert notice(admin.get("/staff").get_data(as_text=True)) == ""
    set_quantity(demo_suite, 3)  # 5 promised on 12 March from 10:00 to 16:00
    with demo_suite.databases["booking"].session_factory() as session:
        [record] = session.scalars(sa.select(QuantityShortfall)).all()
        assert (record.quantity, record.promised) == (3, 5)
        assert sorted(record.request_ids) == sorted([first["request_id"], second["request_id"]])
    flag = notice(admin.get("/staff").get_data(as_text=True))
    assert "Naaimachine (naaiatelier Nieuw Gent): 5 beloofd, maar 3 in voorraad (2 te weinig)" in flag, flag
    assert "van dinsdag 12 maart 2030 om 10:00 tot dinsdag 12 maart 2030 om 16:00" in flag, flag
    assert first["reference"] in flag and second["reference"] in flag and later["reference"] not in flag
    english = admin.get("/staff?lang=en").get_data(as_text=True)
    assert "5 promised, but 3 in stock (2 short)" in notice(english)
    # the request pages concerned say it too; the later loan's does not
    page = admin.get(f"/staff/aanvragen/{first['request_id']}").get_data(as_text=True)
    assert "Te weinig stuks" in page and "2 te weinig" in page
    assert "Te weinig stuks" not in admin.get(f"/staff/aanvragen/{later['request_id']}").get_data(as_text=True)
    # another centre's staff do not see it
    _asset, nieuw_gent = sewing(demo_suite)
    elsewhere = staff(demo_suite, "staff", frozenset({nieuw_gent + 1000}))
    assert notice(elsewhere.get("/staff").get_data(as_text=True)) == ""
    # staff act: cancelling one loan resolves it, and the flag goes
    cancel = admin.post(
        f"/booking/requests/{second['request_id']}/cancel", json={"reason": "te weinig machines"}, headers=HEADERS
    )
    assert cancel.status_code == 200, cancel.json
    assert notice(admin.get("/staff").get_data(as_text=True)) == ""


def test_a_quantity_that_still_covers_the_loans_is_not_flagged(demo_suite: Embedded) -> None:
    admin = staff(demo_suite)
    approved(demo_suite, admin, 2, "2030-03-12T10:00", "2030-03-12T16:00", "Repair Café")
    approved(demo_suite, admin, 2, "2030-03-14T10:00", "2030-03-14T16:00", "Naaiclub")  # another day
    set_quantity(demo_suite, 2)
    with demo_suite.databases["booking"].session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(QuantityShortfall)) == 0
    assert notice(admin.get("/staff").get_data(as_text=True)) == ""


def test_the_dashboard_reads_the_flags_in_as_many_statements_however_many_loans_they_name(
    demo_suite: Embedded,
) -> None:
    admin = staff(demo_suite)
    asset_id, _ = sewing(demo_suite)

    def waiting(name: str) -> None:
        body = request_body(asset_id, "2030-03-12T13:00", "2030-03-12T15:00", initiative=name)
        assert demo_suite.client().post("/booking/requests", json=body).status_code == 201

    def statements() -> int:
        counted = {"n": 0}

        def one(*_: Any) -> None:
            counted["n"] += 1

        engine = demo_suite.databases["booking"].engine
        admin.get("/staff")
        sa.event.listen(engine, "before_cursor_execute", one)
        try:
            assert admin.get("/staff").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", one)
        return counted["n"]

    approved(demo_suite, admin, 4, "2030-03-12T10:00", "2030-03-12T16:00", "Eerste")
    approved(demo_suite, admin, 2, "2030-03-12T10:00", "2030-03-12T16:00", "Tweede")
    waiting("Wacht 1")
    set_quantity(demo_suite, 5)
    assert notice(admin.get("/staff").get_data(as_text=True)).count("UIT-") == 2
    few = statements()
    set_quantity(demo_suite, 8)  # room again for two more loans, then lowered below all four
    approved(demo_suite, admin, 1, "2030-03-12T10:00", "2030-03-12T16:00", "Derde")
    approved(demo_suite, admin, 1, "2030-03-12T10:00", "2030-03-12T16:00", "Vierde")
    waiting("Wacht 2")
    waiting("Wacht 3")
    set_quantity(demo_suite, 5)
    assert notice(admin.get("/staff").get_data(as_text=True)).count("UIT-") == 4
    many = statements()
    assert many == few, (few, many)
