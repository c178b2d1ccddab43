"""``/staff/statistiek.csv`` names assets and centres as staff typed them; none becomes a spreadsheet formula."""

from __future__ import annotations

import csv
import io

from shared.auth import SESSION_COOKIE
from shared.config import load_settings
from shared.spreadsheet import FORMULA_STARTS
from tests.booking_fixtures import at, request_body, staff_cookie

NAMES = ['=HYPERLINK("http://evil.example","klik")', "+32 naaimachine", "-1 caravan", "@SUM(A1:A9)"]


def test_staff_edited_names_reach_the_csv_as_text(feed, booking_client, staff_client_for, environ, databases):
    from services.booking.web import create_pages_app

    location = feed.location(name="=cmd|' /C calc'!A0")
    staff = staff_client_for([location])
    for index, name in enumerate(NAMES):
        asset = feed.asset(location, code=f"ding-{index}", name_nl=name)
        created = booking_client.post("/requests", json=request_body(asset, at(index + 1, 10), at(index + 1, 15)))
        assert created.status_code == 201, created.json
        approved = staff.post(f"/requests/{created.json['request_id']}/approve", json={})
        assert approved.status_code == 200, approved.json
    pages = create_pages_app(load_settings("booking", environ), databases["booking"]).test_client()
    pages.set_cookie(SESSION_COOKIE, staff_cookie([location]))
    response = pages.get("/staff/statistiek.csv?jaar=2030")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    keys = {
        row[2]
        for row in rows[1:]
        if row[1] in ("uitleningen per materiaal", "uitleningen per buurtcentrum", "bezetting")
    }
    assert keys == {"'" + name for name in NAMES} | {"'=cmd|' /C calc'!A0"}
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
