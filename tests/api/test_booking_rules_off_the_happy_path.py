"""Rules a new user's walk found protecting nothing, each tested on PostgreSQL and on the embedded default (SQLite).

- The dates-first search offered what a submission refuses (everything "vrij" on a Sunday, a closed centre's
  items on Saturday, the caravan tomorrow despite its 72 h lead time, past dates), and dropped the chosen dates on
  the way to the form: it now asks the submission's own rule (``domain/requests.py::dates_problems``).
- "Rijbewijs B" accepted "AM", and a hand-over with no checklist box ticked succeeded (the audit said ``false``).
- A request for dates already lent out got "Bedankt!" with no word; the form now says so beside the dates and
  offers to file it anyway, as a wish.
- The private link stayed readable in the pages' session cookie after its 15 minutes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.test import Client

from services.booking.models import BookingRequest
from shared.auth import SESSION_COOKIE, Principal, sign_session
from tests.booking_fixtures import SECRET, at, request_body
from tests.support.embedded import Embedded

# 2030-03-04 is a Monday (NOW); the demo centres open weekdays, some on Saturday morning, none on Sunday.
SUNDAY, SATURDAY, TUESDAY, FRIDAY = "2030-03-10", "2030-03-09", "2030-03-05", "2030-03-08"


def offered(client: Client, day: str, start: str = "10:00", end: str = "13:00") -> set[str]:
    html = client.get(f"/?van_datum={day}&van_uur={start}&tot_datum={day}&tot_uur={end}").get_data(as_text=True)
    return set(re.findall(r'href="/lenen/([a-z0-9-]+)/aanvraag\?', html))


def test_the_dates_first_search_offers_only_what_a_request_could_get(demo_suite: Embedded) -> None:
    client = demo_suite.client()
    assert offered(client, SUNDAY) == set()  # no centre opens on Sunday
    saturday = offered(client, SATURDAY)
    assert "naaimachines-nieuw-gent" not in saturday  # Nieuw Gent does not open on Saturday
    assert "caravan-doorgeefbazaar" in saturday  # Dampoort does, and Saturday is past the caravan's 72 h
    assert "caravan-doorgeefbazaar" not in offered(client, TUESDAY)  # tomorrow: inside its lead time
    assert "naaimachines-nieuw-gent" in offered(client, TUESDAY)  # 24 h ahead is enough for a sewing machine
    assert offered(client, "2030-03-01") == set()  # the past


def test_the_chosen_dates_travel_to_the_form(demo_suite: Embedded) -> None:
    client = demo_suite.client()
    html = client.get(f"/?van_datum={FRIDAY}&van_uur=10:00&tot_datum={FRIDAY}&tot_uur=13:00").get_data(as_text=True)
    link = re.search(r'href="(/lenen/naaimachines-nieuw-gent/aanvraag\?[^"]+)"', html)
    assert link, "the result links to the form with the dates"
    form = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f'value="{FRIDAY}"' in form and 'value="10:00"' in form and 'value="13:00"' in form


def _staff(demo_suite: Embedded) -> Client:
    client = demo_suite.client()
    admin = Principal(staff_id=1, name="Beheerder", role="admin", location_ids=frozenset())
    client.set_cookie(SESSION_COOKIE, sign_session(SECRET, admin))
    return client


def _van_body(demo_suite: Embedded, category: str) -> dict[str, Any]:
    import sqlalchemy as sa

    with demo_suite.databases["booking"].session_factory() as session:
        van = session.scalar(sa.text("SELECT id FROM inv_assets WHERE code = 'bestelwagen-stad'"))
    body = request_body(int(van), at(3, 10), at(3, 16))
    body["items"][0]["answers"] = {"rijbewijs-b": category}
    return body


@pytest.mark.parametrize("category", ["AM", "A1", "A2", "A"])
def test_a_licence_that_does_not_cover_b_is_refused_naming_the_question(demo_suite: Embedded, category: str) -> None:
    response = demo_suite.client().post("/booking/requests", json=_van_body(demo_suite, category))
    assert response.status_code == 422
    [problem] = response.json["errors"]
    assert problem["field"] == "items.0.answers.rijbewijs-b" and problem["code"] == "driver_category_insufficient"


@pytest.mark.parametrize("category", ["B", "be", "C1", "D"])
def test_a_licence_covering_b_is_accepted(demo_suite: Embedded, category: str) -> None:
    response = demo_suite.client().post("/booking/requests", json=_van_body(demo_suite, category))
    assert response.status_code == 201, response.json


def test_a_hand_over_needs_every_check_or_a_reason_and_the_audit_keeps_which(demo_suite: Embedded) -> None:
    staff = _staff(demo_suite)
    headers = {"X-Requested-With": "test"}
    created = demo_suite.client().post("/booking/requests", json=_van_body(demo_suite, "B"))
    request_id = created.json["request_id"]
    assert staff.post(f"/booking/requests/{request_id}/approve", json={}, headers=headers).status_code == 200
    refused = staff.post(f"/booking/requests/{request_id}/pick-up", json={"checks": {}}, headers=headers)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["code"] == "checks_not_done"
    assert refused.json["errors"][0]["params"] == {"requirements": ["rijbewijs-b"]}
    anyway = staff.post(
        f"/booking/requests/{request_id}/pick-up",
        json={"checks": {}, "override_reason": "rijbewijs morgen na te zien"},
        headers=headers,
    )
    assert anyway.status_code == 200, anyway.json
    audit = staff.get(f"/booking/requests/{request_id}/audit").json
    hand_over = next(entry for entry in audit if entry["action"] == "pick_up")
    assert hand_over["details"]["checks"] == {"rijbewijs-b": False}
    assert hand_over["details"]["not_done_because"] == "rijbewijs morgen na te zien"


def test_the_private_link_leaves_the_browser_with_its_15_minutes(demo_suite: Embedded) -> None:
    client = demo_suite.client()
    html = client.get("/lenen/naaimachines-nieuw-gent/aanvraag").get_data(as_text=True)
    form = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),  # type: ignore[union-attr]
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1),  # type: ignore[union-attr]
        "initiative": "Naaicafé",
        "contact_name": "An",
        "email": "an@example.org",
        "pickup_date": FRIDAY,
        "pickup_time": "10:00",
        "return_date": FRIDAY,
        "return_time": "12:00",
        "consent": "yes",
    }
    sent = client.post("/lenen/naaimachines-nieuw-gent/aanvraag", data=form)
    assert sent.status_code == 303
    cookies = sent.headers.getlist("Set-Cookie")
    confirmation = next(c for c in cookies if c.startswith("uitleen_bevestiging="))
    assert "Max-Age=900" in confirmation and "Path=/aanvraag/ontvangen" in confirmation and "HttpOnly" in confirmation
    # the session cookie of the pages never holds the link
    page = client.get("/aanvraag/ontvangen").get_data(as_text=True)
    token = re.search(r"/status/([A-Za-z0-9_-]{40,})", page)
    assert token
    for cookie in cookies:
        if cookie.startswith("uitleen_pages="):
            assert token.group(1) not in cookie


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def _caravan_form(html: str, initiative: str) -> dict[str, str]:
    return {
        "csrf_token": _hidden(html, "csrf_token"),
        "idempotency_key": _hidden(html, "idempotency_key"),
        "initiative": initiative,
        "contact_name": "An Peeters",
        "email": "an@example.org",
        "language": "nl",
        "pickup_date": SATURDAY,
        "pickup_time": "10:30",
        "return_date": "2030-03-11",
        "return_time": "10:00",
        "answer-trekhaak": "yes",
        "answer-extra-nummerplaat": "1-abc-234",
        "consent": "yes",
    }


CARAVAN_FORM = "/lenen/caravan-doorgeefbazaar/aanvraag"


def test_a_taken_date_is_said_before_sending_and_may_still_be_filed_as_a_wish(demo_suite: Embedded) -> None:
    """It said "Bedankt!" for dates already lent out; now the form says so beside the dates, keeps the input
    and offers to file it anyway, as a wish (the API files it unless told ``file_if_taken: false``)."""
    first = demo_suite.client()
    sent = first.post(CARAVAN_FORM, data=_caravan_form(first.get(CARAVAN_FORM).get_data(as_text=True), "Eerste"))
    assert sent.status_code == 303
    with demo_suite.databases["booking"].session_factory() as session:
        request_id = session.scalar(sa.select(BookingRequest.id))
    staff = _staff(demo_suite)
    assert (
        staff.post(f"/booking/requests/{request_id}/approve", json={}, headers={"X-Requested-With": "t"}).status_code
        == 200
    )

    second = demo_suite.client()
    form = _caravan_form(second.get(CARAVAN_FORM).get_data(as_text=True), "Tweede")
    refused = second.post(CARAVAN_FORM, data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    beside = re.search(r'<p class="field-error" id="pickup_date-fout">(.*?)</p>', html, re.S)
    assert beside and "Op die dagen is het al uitgeleend." in beside.group(1)
    assert "Eerste" not in html  # who has it is none of the second requester's business
    assert 'value="Tweede"' in html and 'name="file_if_taken"' in html
    with demo_suite.databases["booking"].session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BookingRequest)) == 1
    wish = {**form, "csrf_token": _hidden(html, "csrf_token"), "file_if_taken": "yes"}
    assert second.post(CARAVAN_FORM, data=wish).status_code == 303
    with demo_suite.databases["booking"].session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BookingRequest)) == 2

    # the API: refused only when asked to, with the code and which kind of thing is in the way
    asset_id = int(refused_asset_id(demo_suite))
    body = request_body(asset_id, at(5, 10, 30), at(7, 10))
    body["items"][0]["answers"] = {"trekhaak": True, "extra-nummerplaat": "1-ABC-234"}
    api = demo_suite.client()
    no = api.post("/booking/requests", json={**body, "file_if_taken": False})
    assert no.status_code == 422, no.json
    assert [(e["field"], e["code"], e["params"]) for e in no.json["errors"]] == [
        ("pickup_at", "dates_taken", {"on_loan": True, "maintenance": False})
    ]
    assert api.post("/booking/requests", json=body).status_code == 201


def refused_asset_id(demo_suite: Embedded) -> int:
    with demo_suite.databases["booking"].session_factory() as session:
        return int(session.scalar(sa.text("SELECT id FROM inv_assets WHERE code = 'caravan-doorgeefbazaar'")))


def test_a_public_holiday_is_closed_everywhere_in_the_form_the_api_the_search_and_the_month(
    demo_suite: Embedded,
) -> None:
    """Christmas 2030 is a Wednesday, when the centres open: it showed "vrij" and could be asked for."""
    client = demo_suite.client()
    assert offered(client, "2030-12-25") == set()
    assert "naaimachines-nieuw-gent" in offered(client, "2030-12-24")
    month = client.get("/lenen/naaimachines-nieuw-gent?maand=2030-12").get_data(as_text=True)
    states = {
        int(day): state for state, day in re.findall(r'<td class="day-([a-z_]+)"><span class="num">(\d+)</span>', month)
    }
    assert states[25] == "closed" and states[24] != "closed", states
    with demo_suite.databases["booking"].session_factory() as session:
        machines = int(session.scalar(sa.text("SELECT id FROM inv_assets WHERE code = 'naaimachines-nieuw-gent'")))
    body = request_body(machines, "2030-12-25T10:00", "2030-12-27T10:00")
    refused = client.post("/booking/requests", json=body)
    assert refused.status_code == 422
    assert [(e["field"], e["code"], e["params"]["holiday"]) for e in refused.json["errors"]] == [
        ("pickup_at", "closed_on_holiday", "christmas")
    ]
    form_url = "/lenen/naaimachines-nieuw-gent/aanvraag"
    html = client.get(form_url).get_data(as_text=True)
    form = {
        **_caravan_form(html, "Kerstmarkt"),
        "pickup_date": "2030-12-25",
        "pickup_time": "10:00",
        "return_date": "2030-12-27",
    }
    page = client.post(form_url, data=form)
    beside = re.search(r'<p class="field-error" id="pickup_date-fout">(.*?)</p>', page.get_data(as_text=True), re.S)
    assert page.status_code == 422 and beside and "Op Kerstmis (een feestdag) is" in beside.group(0)


def test_the_forms_earliest_pick_up_is_the_rules_full_hour_not_the_minute(demo_suite: Embedded) -> None:
    """Issue 12, point 19: the form said "ten vroegste ophalen op … om 08:05" (now plus the lead time, to the
    minute) where the rule itself allows the next full hour."""
    from datetime import timedelta

    from shared import clock
    from tests.booking_fixtures import NOW

    clock.set_clock(NOW + timedelta(minutes=5))
    html = demo_suite.client().get("/lenen/naaimachines-nieuw-gent/aanvraag").get_data(as_text=True)
    assert "ten vroegste ophalen op dinsdag 5 maart 2030 om 09:00" in html, re.findall(r"ten vroegste[^<]*", html)
