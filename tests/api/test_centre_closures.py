"""Issue 12, point 19: a centre closed for some days (the Christmas break, a staff day) showed "vrij" and took
requests. Staff now plan closures on the centre's page in inventory's beheer; the location event carries them to
booking's copy (applied through booking's consumer handlers, as production does), and the one reading of the
timetable (``opening_spans``) closes those days for submission, the form, the dates-first search, the month grid
and the earliest pick-up. On the embedded default (SQLite) and on PostgreSQL."""

from __future__ import annotations

import re

import sqlalchemy as sa
from werkzeug.test import Client

from services.booking.models import InvLocation
from tests.api.test_booking_rules_off_the_happy_path import _caravan_form, offered
from tests.api.test_inventory_centre_pages import centre, hidden, logged_in
from tests.booking_fixtures import request_body
from tests.support.embedded import Embedded

CARAVAN = "caravan-doorgeefbazaar"  # at Dampoort, 72 h lead time; Dampoort opens weekdays and Saturday morning


def plan_closure(client: Client, location_id: int, first: str, last: str, reason: str) -> tuple[int, str]:
    page = client.get("/inventory/beheer/centra").get_data(as_text=True)  # the token, even for another centre
    form = {
        "csrf_token": hidden(page, "csrf_token"),
        "closure_starts_on": first,
        "closure_ends_on": last,
        "closure_reason": reason,
    }
    answer = client.post(f"/inventory/beheer/centra/{location_id}/sluitingen", data=form)
    return answer.status_code, answer.get_data(as_text=True)


def month_states(client: Client, month: str) -> dict[int, str]:
    html = client.get(f"/lenen/{CARAVAN}?maand={month}").get_data(as_text=True)
    found = re.findall(r'<td class="day-([a-z_]+)"><span class="num">(\d+)</span>', html)
    return {int(day): state for state, day in found}


def caravan_id(demo_suite: Embedded) -> int:
    with demo_suite.databases["booking"].session_factory() as session:
        return int(session.scalar(sa.text(f"SELECT id FROM inv_assets WHERE code = '{CARAVAN}'")))


def test_a_closure_planned_on_the_centre_page_closes_those_days_everywhere(demo_suite: Embedded) -> None:
    staff = logged_in(demo_suite, "dampoort@uitleen.demo")
    dampoort = centre(demo_suite, "bc-dampoort")
    status, _page = plan_closure(staff, dampoort.id, "2030-03-12", "2030-03-14", "personeelsdag")
    assert status == 303
    assert centre(demo_suite, "bc-dampoort").version == dampoort.version + 1  # a changed location, a new snapshot
    demo_suite.feed.relay()  # inventory's location event through booking's consumer handlers
    with demo_suite.databases["booking"].session_factory() as session:
        copy = session.get(InvLocation, dampoort.id)
        assert copy is not None
        assert [(c["starts_on"], c["ends_on"], c["reason"]) for c in copy.closures] == [
            ("2030-03-12", "2030-03-14", "personeelsdag")
        ]
    api = demo_suite.client().get(f"/inventory/locations/{dampoort.id}").json
    assert [(c["starts_on"], c["ends_on"], c["reason"]) for c in api["closures"]] == [
        ("2030-03-12", "2030-03-14", "personeelsdag")
    ]
    listed = staff.get(f"/inventory/beheer/centra/{dampoort.id}").get_data(as_text=True)
    assert "personeelsdag" in listed and "dinsdag 12 maart 2030" in listed

    public = demo_suite.client()
    # the API refuses it with a code naming the reason and the days
    refused = public.post(
        "/booking/requests", json=request_body(caravan_id(demo_suite), "2030-03-13T10:00", "2030-03-15T10:00")
    )
    assert refused.status_code == 422
    assert [
        (e["field"], e["code"], e["params"]["reason"], e["params"]["last_day"])
        for e in refused.json["errors"]
        if e["field"] == "pickup_at"
    ] == [("pickup_at", "closed_for_closure", "personeelsdag", "2030-03-14")]
    # the form says it in Dutch beside the date, the input kept
    html = public.get(f"/lenen/{CARAVAN}/aanvraag").get_data(as_text=True)
    form = {**_caravan_form(html, "Straatfeest"), "pickup_date": "2030-03-13", "return_date": "2030-03-15"}
    page = public.post(f"/lenen/{CARAVAN}/aanvraag", data=form).get_data(as_text=True)
    beside = re.search(r'<p class="field-error" id="pickup_date-fout">(.*?)</p>', page, re.S)
    assert beside, page[:2000]
    assert "is gesloten van dinsdag 12 maart 2030 tot en met donderdag 14 maart 2030 (personeelsdag)" in beside.group(1)
    assert 'value="Straatfeest"' in page
    # the dates-first search and the month grid read the same rule
    assert CARAVAN not in offered(public, "2030-03-13")
    assert CARAVAN in offered(public, "2030-03-15")
    states = month_states(public, "2030-03")
    assert [states[d] for d in (12, 13, 14)] == ["closed"] * 3 and states[15] != "closed", states


def test_the_earliest_pick_up_skips_the_closed_days(demo_suite: Embedded) -> None:
    """NOW is Monday 4 March 2030 08:00; the caravan's 72 h make Thursday 09:00 (the opening) the earliest.
    Closed Thursday and Friday, the first possible pick-up is Saturday's opening, 10:00."""
    staff = logged_in(demo_suite, "dampoort@uitleen.demo")
    form_url = f"/lenen/{CARAVAN}/aanvraag"
    before = demo_suite.client().get(form_url).get_data(as_text=True)
    assert "ten vroegste ophalen op donderdag 7 maart 2030 om 09:00" in before, re.findall(r"ten vroegste[^<]*", before)
    assert plan_closure(staff, centre(demo_suite, "bc-dampoort").id, "2030-03-07", "2030-03-08", "verhuis")[0] == 303
    demo_suite.feed.relay()
    after = demo_suite.client().get(form_url).get_data(as_text=True)
    assert "ten vroegste ophalen op zaterdag 9 maart 2030 om 10:00" in after, re.findall(r"ten vroegste[^<]*", after)


def test_a_wrong_closure_is_said_beside_its_field_with_the_input_kept(demo_suite: Embedded) -> None:
    staff = logged_in(demo_suite, "dampoort@uitleen.demo")
    dampoort = centre(demo_suite, "bc-dampoort")
    status, page = plan_closure(staff, dampoort.id, "2030-12-24", "2030-12-20", "kerstvakantie")
    assert status == 422
    assert 'id="closure_ends_on-fout">De laatste dag mag niet voor de eerste dag liggen.' in page
    assert 'value="2030-12-24"' in page and 'value="kerstvakantie"' in page
    status, page = plan_closure(staff, dampoort.id, "2030-12-24", "2031-01-02", "kerst\r\nBcc: x@example.org")
    assert status == 422 and 'id="closure_reason-fout">Eén regel' in page
    status, page = plan_closure(staff, dampoort.id, "2030-12-24", "2031-01-02", "   ")
    assert status == 422 and 'id="closure_reason-fout">Zeg kort waarom' in page
    status, page = plan_closure(staff, dampoort.id, "24/12/2030", "2031-01-02", "kerst")
    assert status == 422 and 'id="closure_starts_on-fout">Kies een dag' in page and 'value="24/12/2030"' in page
    assert centre(demo_suite, "bc-dampoort").version == dampoort.version  # nothing was changed
    other = logged_in(demo_suite, "bloemekenswijk@uitleen.demo")
    assert plan_closure(other, dampoort.id, "2030-12-24", "2031-01-02", "kerst")[0] == 403


def test_a_removed_closure_opens_the_days_again(demo_suite: Embedded) -> None:
    staff = logged_in(demo_suite, "dampoort@uitleen.demo")
    dampoort = centre(demo_suite, "bc-dampoort")
    assert plan_closure(staff, dampoort.id, "2030-03-12", "2030-03-12", "personeelsdag")[0] == 303
    demo_suite.feed.relay()
    assert month_states(demo_suite.client(), "2030-03")[12] == "closed"
    page = staff.get(f"/inventory/beheer/centra/{dampoort.id}").get_data(as_text=True)
    action = re.search(r'action="(/inventory/beheer/centra/\d+/sluitingen/\d+/verwijderen)"', page)
    assert action, "each closure has a remove button"
    removed = staff.post(action.group(1), data={"csrf_token": hidden(page, "csrf_token")})
    assert removed.status_code == 303
    assert "Sluiting verwijderd." in staff.get(removed.headers["Location"]).get_data(as_text=True)
    demo_suite.feed.relay()
    assert month_states(demo_suite.client(), "2030-03")[12] != "closed"
