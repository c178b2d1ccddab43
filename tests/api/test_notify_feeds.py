"""Calendar feeds behind secret addresses: made, renewed and revoked by staff on the pages; fetched without any
cookie by a calendar app; loans as two appointments with alarms, named in words, no other centre's requesters;
and the .ics of a captured mail is a download."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import icalendar
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from services.notify.domain.mail import CaptureSender
from services.notify.models import Asset, CalendarFeed
from shared import clock
from tests.event_factories import booking_envelope, location_payload, write_booking_events
from tests.support.forms import csrf_token
from tests.support.notify import SECRET, Pipeline, staff_headers

pytestmark = [pytest.mark.postgres]
T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
PICKUP = datetime(2027, 6, 12, 8, 0, tzinfo=UTC)
FEED = re.compile(r'id="new-feed" class="link-box" readonly value="([^"]+)"')


def world(pipeline: Pipeline) -> None:
    clock.set_clock(T0)
    other_centre = location_payload(id=8, name="Buurtcentrum Muide", email="bc.muide@example.org")
    with pipeline.booking_db.transaction() as session:
        write_booking_events(
            session,
            [
                booking_envelope("approved", occurred_at=T0, pickup_at=PICKUP),
                # the same caravan lent out through another centre: its requester is not ours to show
                booking_envelope(
                    "approved",
                    occurred_at=T0,
                    request_id=2,
                    pickup_at=PICKUP + timedelta(days=5),
                    location=other_centre,
                    initiative={"id": 4, "name": "Straatfeest Muide"},
                ),
            ],
        )
    pipeline.relay()
    with pipeline.notify_db.transaction() as session:
        session.add(
            Asset(
                id=11,
                code="caravan",
                category="caravan",
                location_id=7,
                snapshot={"name_nl": "Caravan doorgeefbazaar", "name_en": "Pass-on bazaar caravan", "status": "active"},
                last_event_at=T0,
            )
        )


def make(client: FlaskClient, scope: str, target_id: int, locations: tuple[int, ...] = (7,)) -> str:
    token = csrf_token(client, SECRET)
    answer = client.post(
        "/agenda",
        data={"scope": scope, "target_id": str(target_id), "csrf_token": token},
        headers=staff_headers(locations=locations),
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    found = FEED.search(answer.get_data(as_text=True))
    assert found, answer.get_data(as_text=True)[:2000]
    assert "webcal://" in answer.get_data(as_text=True)
    return unescape(found.group(1))


def fetch(app_client: FlaskClient, url: str) -> tuple[int, str]:
    path = url.split("/notify", 1)[1]
    app_client.delete_cookie("uitleen_session")
    answer = app_client.get(path)  # no cookie, no header: what a calendar app sends
    return answer.status_code, answer.get_data(as_text=True)


def test_a_secret_feed_is_read_without_a_cookie_and_a_revoked_one_is_gone(
    pipeline: Pipeline,
    notify_client: FlaskClient,
    notify_app,
) -> None:
    world(pipeline)
    url = make(notify_client, "asset", 11)
    assert url.startswith("http://127.0.0.1:8000/notify/feeds/") and url.endswith(".ics")
    stranger = notify_app.test_client()
    status, text = fetch(stranger, url)
    assert status == 200
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == [
        "Caravan doorgeefbazaar: ophalen (UL-00002, via Buurtcentrum Muide)",
        "Caravan doorgeefbazaar: ophalen door Buurtfeest Dampoort (UL-00001)",
        "Caravan doorgeefbazaar: terugbrengen (UL-00002, via Buurtcentrum Muide)",
        "Caravan doorgeefbazaar: terugbrengen door Buurtfeest Dampoort (UL-00001)",
    ]
    assert all(e.walk("VALARM") for e in events), "every appointment has an alarm"
    assert "Straatfeest Muide" not in text and "An Peeters" not in text and "0470" not in text
    pickup = next(e for e in events if str(e["UID"]) == "booking-1-pickup@uitleen.stad.gent")
    assert pickup.decoded("DTSTART") == PICKUP
    # the database keeps only a hash of the address
    with pipeline.notify_db.session_factory() as session:
        [feed] = session.scalars(sa.select(CalendarFeed))
    assert url.rsplit("/", 1)[1].removesuffix(".ics") not in feed.token_hash
    # renewed: the old address stops at once; revoked: the new one too
    renewed = make(notify_client, "asset", 11)
    assert fetch(stranger, url)[0] == 404 and fetch(stranger, renewed)[0] == 200
    with pipeline.notify_db.session_factory() as session:
        live = session.scalars(sa.select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None))).one()
    answer = notify_client.post(
        f"/agenda/{live.id}/intrekken", data={"csrf_token": csrf_token(notify_client, SECRET)}, headers=staff_headers()
    )
    assert answer.status_code == 303
    assert fetch(stranger, renewed)[0] == 404
    assert fetch(stranger, "/notify/feeds/geraden-0123456789abcdefghijklmnopqrstuvwxyzABC.ics")[0] == 404


def test_a_centres_feed_holds_its_own_loans_in_english_if_made_so(
    pipeline: Pipeline,
    notify_client: FlaskClient,
    notify_app,
) -> None:
    world(pipeline)
    token = csrf_token(notify_client, SECRET)
    answer = notify_client.post(
        "/agenda?lang=en", data={"scope": "location", "target_id": "7", "csrf_token": token}, headers=staff_headers()
    )
    url = unescape(FEED.search(answer.get_data(as_text=True)).group(1))  # type: ignore[union-attr]
    status, text = fetch(notify_app.test_client(), url)
    calendar = icalendar.Calendar.from_ical(text)
    assert status == 200 and str(calendar["X-WR-CALNAME"]) == "Uitleen: Buurtcentrum Dampoort"
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == [
        "Pass-on bazaar caravan: pick-up by Buurtfeest Dampoort (UL-00001)",
        "Pass-on bazaar caravan: return by Buurtfeest Dampoort (UL-00001)",
    ]


def test_staff_make_feeds_only_for_their_own_centres(pipeline: Pipeline, notify_client: FlaskClient) -> None:
    world(pipeline)
    page = notify_client.get("/agenda", headers=staff_headers(locations=(8,))).get_data(as_text=True)
    assert "Buurtcentrum Muide" in page and "Caravan doorgeefbazaar" not in page
    token = csrf_token(notify_client, SECRET)
    answer = notify_client.post(
        "/agenda",
        data={"scope": "asset", "target_id": "11", "csrf_token": token},
        headers=staff_headers(locations=(8,)),
    )
    assert answer.status_code == 303
    with pipeline.notify_db.session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)) == 0


def test_the_ics_of_a_captured_mail_is_a_download(
    pipeline: Pipeline,
    capture_sender: CaptureSender,
    notify_client: FlaskClient,
) -> None:
    pipeline.sender = capture_sender
    clock.set_clock(T0)
    with pipeline.booking_db.transaction() as session:
        write_booking_events(session, [booking_envelope("approved", occurred_at=T0, pickup_at=PICKUP)])
    pipeline.relay()
    pipeline.dispatch()
    page = notify_client.get("/outbox-mail", headers=staff_headers()).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+\.ics)" download', page)
    assert link, page[:1500]
    answer = notify_client.get(link.group(1).removeprefix("/notify"), headers=staff_headers())
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    assert "attachment" in answer.headers["Content-Disposition"]
    [event] = icalendar.Calendar.from_ical(answer.get_data(as_text=True)).walk("VEVENT")
    assert event.decoded("DTSTART") == PICKUP
    assert (
        notify_client.get(link.group(1).removeprefix("/notify"), headers=staff_headers(locations=(8,))).status_code
        == 404
    )
    assert notify_client.get(link.group(1).removeprefix("/notify")).status_code == 404


def test_a_feeds_secret_address_is_never_logged() -> None:
    from shared.logging import loggable_path

    assert loggable_path("/notify/feeds/AbC-123_xyz.ics") == "/notify/feeds/<redacted>"
    assert loggable_path("/feeds/AbC-123_xyz.ics") == "/feeds/<redacted>"
    assert loggable_path("/notify/agenda/3/intrekken") == "/notify/agenda/3/intrekken"
