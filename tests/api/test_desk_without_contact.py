"""Issue 12, point 19: a resident with neither e-mail nor phone can be booked at the desk.

Staff file the request for her (``proxy_by_staff_id`` set); the form tells the staff member, in words meant for
her, that the resident will hear nothing by mail or phone and must come by or quote the reference on the slip.
Notify skips every message to such a requester with a reason staff can read, and puts nothing on the call list.
The public form and the API still need an e-mail or a phone. On the embedded default (SQLite) and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.booking.models import BookingRequest
from services.notify.config import NotifyConfig
from services.notify.domain import call_list
from services.notify.models import ScheduledNotification
from shared import clock
from tests.api.test_embedded_refusals import DESK, FORM, caravan, staff_client
from tests.support.embedded import Embedded
from tests.support.notify import Pipeline, RecordingSender

pytestmark = [pytest.mark.postgres]


def _only_request(suite: Embedded) -> BookingRequest:
    with suite.databases["booking"].session_factory() as session:
        request = session.scalars(sa.select(BookingRequest)).one()
        session.expunge(request)
        return request


def test_the_desk_books_a_resident_without_email_or_phone_and_notify_skips_her_visibly(
    demo_suite: Embedded,
) -> None:
    client = staff_client(demo_suite)
    form_page = client.get(DESK).get_data(as_text=True)
    assert "Geen e-mail en geen telefoon?" in form_page  # the staff member is told what leaving both empty means
    assert "Naam van de bewoner" in form_page and "je initiatief" not in form_page  # spoken to staff, not to her
    assert "Wat organiseert de bewoner?" in form_page and "wat je organiseert" not in form_page

    sent = client.post(DESK, data=caravan(form_page, email="", phone=""))
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    confirmation = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "geen e-mail en geen telefoon: ze krijgt geen bericht" in confirmation
    assert "briefje" in confirmation

    request = _only_request(demo_suite)
    assert (request.contact_email, request.contact_phone, request.proxy_by_staff_id) == (None, None, 1)
    page = client.get(f"/staff/aanvragen/{request.id}").get_data(as_text=True)
    assert "Geen e-mail en geen telefoon: de bewoner krijgt geen bericht" in page
    slip = client.get(f"/staff/aanvragen/{request.id}/briefje").get_data(as_text=True)
    assert request.reference in slip and "Bel het buurtcentrum of kom langs" in slip

    # approve it too: its messages (received, approved) and reminders reach notify
    approved = client.post(f"/staff/aanvragen/{request.id}/goedkeuren", data={"csrf_token": _token(page)})
    assert approved.status_code == 303
    config = NotifyConfig()
    sender = RecordingSender()
    pipeline = Pipeline(demo_suite.databases["booking"], demo_suite.databases["notify"], config, sender)
    pipeline.relay()
    result = pipeline.dispatch()
    assert "error" not in result.counts and "failed" not in result.counts, result.counts
    with demo_suite.databases["notify"].session_factory() as session:
        to_her = session.scalars(
            sa.select(ScheduledNotification).where(
                ScheduledNotification.request_id == request.id, ScheduledNotification.audience == "requester"
            )
        ).all()
        done = {(row.kind, row.status, row.reason) for row in to_her if row.status != "scheduled"}
        assert done == {("request_received", "skipped", "no_contact"), ("approved", "skipped", "no_contact")}
        # nothing for her on any day's call list, not even the pick-up reminder still to come
        pickup_day = clock.to_local(request.pickup_at).date()
        for day in (clock.to_local(clock.now()).date() + timedelta(days=n) for n in range(7)):
            assert call_list.entries(session, None, day, config, clock.now()) == [], day
        assert pickup_day  # the loop covered it (pick-up 2030-03-09, five days after NOW)
    assert [m for m in sender.sent if request.reference in m.subject + m.text and "@" not in m.to] == []

    log = client.get("/notify/berichten?status=skipped").get_data(as_text=True)
    assert "geen e-mail en geen telefoon (aanvraag aan de balie)" in log
    calls = client.get("/notify/bellijst").get_data(as_text=True)
    assert request.reference not in calls


def _token(html: str) -> str:
    from tests.api.test_embedded_refusals import hidden

    return hidden(html, "csrf_token")


def test_the_public_form_and_the_api_still_need_an_email_or_a_phone(demo_suite: Embedded) -> None:
    client = demo_suite.client()
    refused = client.post(FORM, data=caravan(client.get(FORM).get_data(as_text=True), email="", phone=""))
    assert refused.status_code == 422
    assert "e-mailadres of een telefoonnummer" in refused.get_data(as_text=True)
    with demo_suite.databases["booking"].session_factory() as session:
        asset_id = session.scalar(sa.text("SELECT id FROM inv_assets WHERE code = 'caravan-doorgeefbazaar'"))
        assert session.scalar(sa.select(sa.func.count()).select_from(BookingRequest)) == 0
    body = {
        "initiative": "Buurtfeest Dampoort",
        "contact": {"name": "An", "email": None, "phone": None},
        "pickup_at": "2030-03-09T10:30",
        "return_at": "2030-03-11T10:00",
        "items": [{"asset_id": asset_id, "answers": {"trekhaak": True, "extra-nummerplaat": "1-ABC-234"}}],
    }
    answer = client.post("/booking/requests", json=body)
    assert answer.status_code == 422 and answer.json is not None
    assert {e["field"]: e["code"] for e in answer.json["errors"]} == {"contact.email": "contact_missing"}
