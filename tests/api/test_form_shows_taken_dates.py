"""Issue 12, point 11: the request form shows, before anything is sent, when the asset is already taken.

Beside the date fields: every period of the coming months in which the asset is lent out (all its units, the
turnaround included) or under maintenance, merged, never whose loan it is; and a link to the month calendar.
The periods are read in the form's two availability statements whatever the months hold (the statement count
of the form is held by tests/integration/test_page_statements.py). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from services.booking.models import BookingRequest
from shared.clock import BRUSSELS
from tests.api.test_embedded_refusals import DESK, FORM, caravan, hidden, staff_client
from tests.support.embedded import Embedded

pytestmark = [pytest.mark.postgres]
SEWING_FORM = "/lenen/naaimachines-bloemekenswijk/aanvraag"


def _taken(html: str) -> list[str]:
    block = re.search(r'<div class="card-inset taken" id="bezet">(.*?)</div>', html, re.S)
    assert block, "no availability beside the dates"
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def _approve_desk_request(suite: Embedded, url: str, **changes: str) -> str:
    client = staff_client(suite)
    form = caravan(client.get(url).get_data(as_text=True), **changes)
    assert client.post(url, data=form).status_code == 303
    with suite.databases["booking"].session_factory() as session:
        request = session.scalars(sa.select(BookingRequest).order_by(BookingRequest.id.desc())).first()
        assert request is not None
        request_id, reference = request.id, request.reference
    page = client.get(f"/staff/aanvragen/{request_id}").get_data(as_text=True)
    client.post(f"/staff/aanvragen/{request_id}/goedkeuren", data={"csrf_token": hidden(page, "csrf_token")})
    with suite.databases["booking"].session_factory() as session:
        assert session.get(BookingRequest, request_id).status == "approved"  # type: ignore[union-attr]
    return reference


def test_the_form_lists_the_loans_and_maintenance_in_the_way_before_sending(demo_suite: Embedded) -> None:
    client = demo_suite.client()
    first = client.get(FORM).get_data(as_text=True)
    assert _taken(first) == [] and "Niets bezet in de komende 92 dagen." in first

    reference = _approve_desk_request(
        demo_suite, DESK, initiative="Zomerbar Oostakker"
    )  # Saturday 9 March 10:30 to Monday 11 March 10:00
    with demo_suite.databases["booking"].session_factory() as session:
        asset_id = session.scalar(sa.text("SELECT id FROM inv_assets WHERE code = 'caravan-doorgeefbazaar'"))
    demo_suite.feed.maintenance(
        asset_id, datetime(2030, 4, 1, 8, tzinfo=BRUSSELS), datetime(2030, 4, 3, 17, tzinfo=BRUSSELS)
    )

    page = client.get(FORM).get_data(as_text=True)
    taken = _taken(page)
    assert len(taken) == 2, taken
    # the loan with the caravan's day of turnaround after it (nobody can fetch it before it is checked)
    assert taken[0] == "van zaterdag 9 maart 2030 om 10:30 tot dinsdag 12 maart 2030 om 10:00: uitgeleend"
    assert "1 april 2030 om 08:00" in taken[1] and "3 april 2030 om 17:00" in taken[1]
    assert taken[1].endswith("onderhoud")
    assert reference not in page and "Zomerbar Oostakker" not in page  # when, never whose
    assert 'href="/lenen/caravan-doorgeefbazaar#kalender-titel"' in page

    english = _taken(client.get(FORM + "?lang=en").get_data(as_text=True))
    assert english[0].endswith("lent out") and english[1].endswith("maintenance")

    # the desk form shows the same, for the staff member filling it in
    assert _taken(staff_client(demo_suite).get(DESK).get_data(as_text=True)) == taken


def test_a_pooled_asset_is_taken_only_when_every_unit_is_out(demo_suite: Embedded) -> None:
    sewing_desk = "/staff/balie/naaimachines-bloemekenswijk"
    day = {"pickup_date": "2030-03-07", "pickup_time": "10:00", "return_date": "2030-03-07", "return_time": "16:00"}
    no_questions = {"answer-trekhaak": "", "answer-extra-nummerplaat": ""}
    _approve_desk_request(demo_suite, sewing_desk, quantity="1", **day, **no_questions)
    assert _taken(demo_suite.client().get(SEWING_FORM).get_data(as_text=True)) == []  # three of four still free
    _approve_desk_request(demo_suite, sewing_desk, quantity="3", initiative="Naaicafé", **day, **no_questions)
    taken = _taken(demo_suite.client().get(SEWING_FORM).get_data(as_text=True))
    assert len(taken) == 1 and "7 maart 2030" in taken[0] and taken[0].endswith("uitgeleend")
