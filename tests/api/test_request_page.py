"""One page per request for staff (/staff/aanvragen/<id>), reschedule from it, and the initiative's page.

Issue 12, points 15 and 17: the audit trail, the hand-over checks, the condition and damage notes and the contact
history existed only as JSON, and a reschedule could only be done through the API. Here the page shows each of
them, worded from the catalogue in Dutch and English; another centre's staff get a 404 and none of the
requester's data; a reschedule from the page emits the event notify mails with a new .ics, and a refused one
(a Sunday, a clash) says why beside the fields with the input kept.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from services.booking.models import BookingRequest, OutboxEvent
from shared.db import Database
from tests.api.test_pages import (  # noqa: F401
    FORM,
    approved_caravan,
    caravan_form,
    caravan_location,
    demo,
    hidden,
    pages,
    staff_pages,
)

pytestmark = pytest.mark.postgres
SECRETS = ("An Peeters", "an@example.org")


def page_of(client: FlaskClient, request_id: int) -> str:
    response = client.get(f"/staff/aanvragen/{request_id}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def submit_another(pages: FlaskClient, database: Database, **dates: str) -> int:  # noqa: F811
    """Another caravan request (of another initiative); returns its id."""
    form = caravan_form(pages.get(FORM).get_data(as_text=True), initiative="Repair Café", **dates)
    assert pages.post(FORM, data=form).status_code == 303
    with database.session_factory() as session:
        return int(session.scalar(sa.select(sa.func.max(BookingRequest.id))))


def test_the_page_shows_the_answers_checks_return_notes_and_audit_trail(
    pages: FlaskClient,  # noqa: F811
    environ: dict[str, str],
    databases: dict[str, Database],
) -> None:
    database = databases["booking"]
    _status, request_id, staff = approved_caravan(pages, environ, database)
    token = hidden(staff.get("/staff/uitlenen").get_data(as_text=True), "csrf_token")
    handed = {"csrf_token": token, "check-trekhaak": "yes", "check-extra-nummerplaat": "yes", "notes": "band zacht"}
    assert staff.post(f"/staff/aanvragen/{request_id}/meegeven", data=handed).status_code == 303
    back = {"csrf_token": token, "condition": "netjes gepoetst", "damage": "deurklink los"}
    assert staff.post(f"/staff/aanvragen/{request_id}/terugnemen", data=back).status_code == 303

    html = page_of(staff, request_id)
    assert "Teruggebracht" in html and "Caravan doorgeefbazaar" in html and "Buurtfeest Dampoort" in html
    assert "An Peeters" in html and 'href="mailto:an@example.org"' in html
    assert "Wagen met trekhaak" in html and "1-ABC-234" in html and "ruilmarkt" in html
    assert "Opmerkingen: band zacht" in html  # the hand-over's notes
    assert "Wagen met trekhaak: nagekeken" in html  # the hand-over's checks, in the audit trail
    assert "deurklink los" in html and "netjes gepoetst" in html  # the condition and damage noted at return
    trail = re.search(r'<ol class="history">(.*?)</ol>', html, re.S)
    assert trail
    steps = re.findall(r"<strong>([^<]+)</strong>", trail.group(1))
    assert steps == ["Aanvraag verstuurd", "Goedgekeurd", "Opgehaald", "Teruggebracht"]
    assert "door de aanvrager" in trail.group(1) and "door jou" in trail.group(1)
    assert "(Goedgekeurd → Opgehaald)" in trail.group(1)
    # the initiative's contact history at this centre, and its page
    assert 'href="/staff/initiatieven/' in html
    staff.get(f"/taal/en?terug=/staff/aanvragen/{request_id}")
    english = page_of(staff, request_id)
    assert "What happened" in english and "Pass-on bazaar caravan" in english
    assert "Notes: band zacht" in english and "Damage" in english and "by the requester" in english


def test_a_contact_change_shows_in_the_history_by_what_changed(
    pages: FlaskClient,  # noqa: F811
    environ: dict[str, str],
    databases: dict[str, Database],
) -> None:
    status, request_id, staff = approved_caravan(pages, environ, databases["booking"])
    token = hidden(pages.get(status).get_data(as_text=True), "csrf_token")
    contact = {"csrf_token": token, "contact_name": "An Peeters", "email": "an@example.org", "phone": "0470 12 34 56"}
    assert pages.post(f"{status}/contact", data=contact).status_code == 303
    html = page_of(staff, request_id)
    trail = re.search(r'<ol class="history">(.*?)</ol>', html, re.S)
    assert trail and "Contactgegevens aangepast</strong> door de aanvrager" in trail.group(1)
    assert "Gewijzigd: telefoonnummer" in trail.group(1) and "0470 12 34 56" not in trail.group(1)
    assert "0470 12 34 56" in html  # the contact as it is now


def test_another_centre_gets_a_404_and_none_of_the_requesters_data(
    pages: FlaskClient,  # noqa: F811
    environ: dict[str, str],
    databases: dict[str, Database],
) -> None:
    database = databases["booking"]
    _status, request_id, staff = approved_caravan(pages, environ, database)
    with database.session_factory() as session:
        initiative_id = session.scalar(sa.select(BookingRequest.initiative_id).where(BookingRequest.id == request_id))
    assert staff.get(f"/staff/initiatieven/{initiative_id}").status_code == 200
    elsewhere = staff_pages(environ, database, [999])
    token = hidden(elsewhere.get("/staff/uitlenen").get_data(as_text=True), "csrf_token")
    for answer in (
        elsewhere.get(f"/staff/aanvragen/{request_id}"),
        elsewhere.get(f"/staff/aanvragen/{request_id}/briefje"),
        elsewhere.get(f"/staff/initiatieven/{initiative_id}"),
        elsewhere.post(
            f"/staff/aanvragen/{request_id}/verplaatsen",
            data={"csrf_token": token, "return_date": "2030-03-12", "return_time": "10:00"},
        ),
        elsewhere.get("/staff/aanvragen/99999"),
    ):
        assert answer.status_code == 404
        body = answer.get_data(as_text=True)
        assert not [secret for secret in SECRETS if secret in body]
    with database.session_factory() as session:  # the refused reschedule changed nothing
        booking = session.get(BookingRequest, request_id)
        assert booking is not None and booking.return_at.isoformat().startswith("2030-03-11T09:00")


def test_competing_requests_link_to_each_others_pages(
    pages: FlaskClient,  # noqa: F811
    environ: dict[str, str],
    databases: dict[str, Database],
) -> None:
    database = databases["booking"]
    first = submit_another(pages, database)
    second = submit_another(pages, database, pickup_date="2030-03-09", return_date="2030-03-12")
    staff = staff_pages(environ, database, [caravan_location(database)])
    board = staff.get("/staff").get_data(as_text=True)
    assert f'href="/staff/aanvragen/{second}"' in board and f'href="/staff/aanvragen/{first}"' in board
    assert "#aanvraag-" not in re.sub(r'id="aanvraag-\d+"', "", board)  # no competing link stays on the dashboard
    assert f'href="/staff/aanvragen/{second}"' in page_of(staff, first)
    assert f'href="/staff/aanvragen/{first}"' in page_of(staff, second)
    assert "Nieuwe tijden bewaren" not in page_of(staff, first)  # a pending request is decided, not moved
    pending = {"csrf_token": hidden(board, "csrf_token"), "return_date": "2030-03-12", "return_time": "10:00"}
    refused = staff.post(f"/staff/aanvragen/{first}/verplaatsen", data=pending)
    assert refused.status_code == 409 and "Dat kan niet meer" in refused.get_data(as_text=True)
    loans = staff.get("/staff/uitlenen").get_data(as_text=True)
    token = hidden(loans, "csrf_token")
    staff.post(f"/staff/aanvragen/{first}/goedkeuren", data={"csrf_token": token})
    assert f'href="/staff/aanvragen/{first}"' in staff.get("/staff/uitlenen").get_data(as_text=True)
    week = staff.get("/staff/kalender?vanaf=2030-03-09").get_data(as_text=True)
    assert f'href="/staff/aanvragen/{first}"' in week


def test_a_reschedule_from_the_page_moves_the_loan_and_tells_the_requester(
    pages: FlaskClient,  # noqa: F811
    environ: dict[str, str],
    databases: dict[str, Database],
) -> None:
    database = databases["booking"]
    _status, request_id, staff = approved_caravan(pages, environ, database)
    html = page_of(staff, request_id)
    assert 'id="pickup_date" name="pickup_date" value="2030-03-09"' in html  # the form starts at today's dates
    assert 'id="return_time" name="return_time" value="10:00"' in html
    moved = {
        "csrf_token": hidden(html, "csrf_token"),
        "pickup_date": "2030-03-16",
        "pickup_time": "10:30",
        "return_date": "2030-03-18",
        "return_time": "10:00",
        "reason": "regen voorspeld",
    }
    done = staff.post(f"/staff/aanvragen/{request_id}/verplaatsen", data=moved)
    assert done.status_code == 303 and done.headers["Location"] == f"/staff/aanvragen/{request_id}"
    after = page_of(staff, request_id)
    assert "is verplaatst: ophalen zaterdag 16 maart 2030 om 10:30" in after
    assert "Datum gewijzigd" in after and "regen voorspeld" in after
    assert "Was: ophalen zaterdag 9 maart 2030 om 10:30, terugbrengen maandag 11 maart 2030 om 10:00." in after
    with database.session_factory() as session:
        event = session.scalar(sa.select(OutboxEvent).where(OutboxEvent.type == "booking.request.rescheduled"))
        assert event is not None
        envelope = event.to_envelope()
    # what notify needs for the mail with the moved appointment: the new times, a higher version, a fresh link
    assert envelope.payload["pickup_at"].startswith("2030-03-16T09:30")
    assert envelope.payload["request_id"] == request_id
    assert envelope.secret


@pytest.mark.parametrize(
    ("changes", "field", "words", "status"),
    [
        ({"return_date": "2030-03-10"}, "return_date", "gesloten", 422),  # a Sunday
        ({"return_date": "2030-03-08", "return_time": "10:00"}, "return_date", "na het ophalen", 422),
        ({"return_date": "2030-03-14", "return_time": "11:00"}, None, "niet vrij", 409),  # the other loan's days
    ],
    ids=["a Sunday", "return before pick-up", "a clash with another loan"],
)
def test_a_refused_reschedule_says_why_and_keeps_the_input(
    pages: FlaskClient,  # noqa: F811
    environ: dict[str, str],
    databases: dict[str, Database],
    changes: dict[str, str],
    field: str | None,
    words: str,
    status: int,
) -> None:
    database = databases["booking"]
    _status, request_id, staff = approved_caravan(pages, environ, database)
    other = submit_another(pages, database, pickup_date="2030-03-14", pickup_time="10:00", return_date="2030-03-15")
    token = hidden(staff.get("/staff").get_data(as_text=True), "csrf_token")
    assert staff.post(f"/staff/aanvragen/{other}/goedkeuren", data={"csrf_token": token}).status_code == 303
    form = {"csrf_token": token, "pickup_date": "2030-03-09", "pickup_time": "10:30", "return_time": "10:00"}
    form.update({"return_date": "2030-03-12", "reason": "verlengd", **changes})
    refused = staff.post(f"/staff/aanvragen/{request_id}/verplaatsen", data=form)
    assert refused.status_code == status
    html = refused.get_data(as_text=True)
    if field is not None:
        beside = re.search(rf'<p class="field-error" id="{field}-fout">(.*?)</p>', html, re.S)
        assert beside and words in beside.group(1)
    else:
        summary = re.search(r'<div class="error-summary"(.*?)</div>', html, re.S)
        assert summary and words in summary.group(1)
    assert f'name="return_date" value="{form["return_date"]}"' in html and 'value="verlengd"' in html
    with database.session_factory() as session:
        booking = session.get(BookingRequest, request_id)
        assert booking is not None and booking.return_at.isoformat().startswith("2030-03-11T09:00")


def test_the_initiative_page_lists_its_requests_and_contacts_at_ones_centres(
    pages: FlaskClient,  # noqa: F811
    environ: dict[str, str],
    databases: dict[str, Database],
) -> None:
    database = databases["booking"]
    _status, request_id, staff = approved_caravan(pages, environ, database)
    with database.session_factory() as session:
        initiative_id = session.scalar(sa.select(BookingRequest.initiative_id).where(BookingRequest.id == request_id))
    html = staff.get(f"/staff/initiatieven/{initiative_id}").get_data(as_text=True)
    assert "<h1>Buurtfeest Dampoort</h1>" in html
    assert f'href="/staff/aanvragen/{request_id}"' in html and "Goedgekeurd" in html
    assert "An Peeters" in html and "an@example.org" in html
    assert staff.get("/staff/initiatieven/99999").status_code == 404


def test_the_slip_gives_the_reference_dates_centre_and_what_to_bring(
    pages: FlaskClient,  # noqa: F811
    environ: dict[str, str],
    databases: dict[str, Database],
) -> None:
    """Issue 12, point 9: a resident without e-mail never sees the private link; staff print or read out a slip
    with the reference she can quote."""
    database = databases["booking"]
    _status, request_id, staff = approved_caravan(pages, environ, database)
    with database.session_factory() as session:
        reference = session.scalar(sa.select(BookingRequest.reference).where(BookingRequest.id == request_id))
    assert f'href="/staff/aanvragen/{request_id}/briefje"' in page_of(staff, request_id)
    slip = staff.get(f"/staff/aanvragen/{request_id}/briefje")
    assert slip.status_code == 200
    html = slip.get_data(as_text=True)
    assert f'<strong class="ref">{reference}</strong>' in html
    assert "Noem dit nummer als je belt of langskomt." in html
    assert "Buurtcentrum Dampoort" in html and "Breng mee bij het ophalen" in html
    assert "Wagen met trekhaak" in html
    assert "/status/" not in html  # the private link is not printed
