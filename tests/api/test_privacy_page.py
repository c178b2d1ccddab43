"""The privacy notice at /privacy: Dutch first, English through the switch, the configured retention in it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shared.config import load_settings
from shared.db import Database

pytestmark = pytest.mark.postgres


def notice(environ: dict[str, str], database: Database, language: str, **extra: str) -> str:
    from services.booking.web import create_pages_app

    app = create_pages_app(load_settings("booking", {**environ, **extra}), database)
    app.testing = True
    client = app.test_client()
    response = client.get(f"/privacy?lang={language}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_notice_says_what_is_kept_how_long_and_whom_to_ask(environ, databases) -> None:
    page = notice(environ, databases["booking"], "nl", BOOKING_RETENTION_DAYS="200", BOOKING_STATUS_LINK_DAYS="90")
    for heading in ("Welke gegevens bewaren we?", "Wie ziet je gegevens?", "Hoe lang bewaren we ze?", "Je rechten"):
        assert heading in page
    assert "200 dagen nadat je uitlening voorbij is" in page and "werkt 90 dagen" in page
    assert "privacy@stad.gent" in page and "Gegevensbeschermingsautoriteit" in page


def test_the_notice_is_translated_to_english(environ, databases) -> None:
    page = notice(environ, databases["booking"], "en")
    assert '<html lang="en">' in page
    assert "How long do we keep it?" in page and "365 days after your loan ended" in page
    assert "Hoe lang" not in page


def test_every_page_links_to_the_notice(environ, databases) -> None:
    from services.booking.web import create_pages_app

    app = create_pages_app(load_settings("booking", environ), databases["booking"])
    catalogue = app.test_client().get("/").get_data(as_text=True)
    assert '<a href="/privacy">Privacyverklaring</a>' in catalogue


# --- /staff/privacy: the administrator's page for export and erasure -----------------------------------------


def desk(environ: dict[str, str], database: Database, role: str):
    import re

    from services.booking.web import create_pages_app
    from shared.auth import SESSION_COOKIE
    from tests.booking_fixtures import staff_cookie

    app = create_pages_app(load_settings("booking", environ), database)
    app.testing = True
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, staff_cookie([], role=role, staff_id=7))
    page = client.get("/staff/privacy")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    return client, page, token.group(1) if token else None


@pytest.fixture
def requested(feed, booking_client, staff_client_for):
    from tests.booking_fixtures import at, request_body

    location = feed.location()
    asset = feed.asset(location)
    staff = staff_client_for([location])
    ids = []
    for day in (1, 3):
        body = request_body(asset, at(day, 10), at(day, 15))
        body["contact"]["phone"] = "0470 12 34 56"
        response = booking_client.post("/requests", json=body)
        assert response.status_code == 201, response.json
        ids.append(response.json["request_id"])
    return ids, staff


def test_only_an_admin_gets_the_page(environ, databases) -> None:
    _client, page, token = desk(environ, databases["booking"], "staff")
    assert page.status_code == 403 and 'name="value"' not in page.get_data(as_text=True)
    assert "Alleen beheerders" in page.get_data(as_text=True)
    _client, page, token = desk(environ, databases["booking"], "admin")
    assert page.status_code == 200 and token
    assert '<a href="/staff/privacy" aria-current="page">Privacy</a>' in page.get_data(as_text=True)


def test_the_admin_downloads_a_persons_data_and_erases_it(environ, databases, requested) -> None:
    from services.booking.models import BookingRequest, PrivacyAction

    (first, second), staff_api = requested
    client, _page, token = desk(environ, databases["booking"], "admin")
    reference = staff_api.get(f"/requests/{first}").json["reference"]

    download = client.post(
        "/staff/privacy", data={"csrf_token": token, "kind": "phone", "value": "+32470123456", "action": "export"}
    )
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert [r["request_id"] for r in download.json["requests"]] == [first, second]
    assert download.json["requests"][0]["contact"]["email"] == "an@example.org"

    unconfirmed = client.post(
        "/staff/privacy", data={"csrf_token": token, "kind": "request_id", "value": reference, "action": "erase"}
    )
    assert unconfirmed.status_code == 422 and "echt wilt wissen" in unconfirmed.get_data(as_text=True)
    still_open = client.post(
        "/staff/privacy",
        data={"csrf_token": token, "kind": "request_id", "value": reference, "action": "erase", "confirm": "yes"},
    )
    assert still_open.status_code == 409 and reference in still_open.get_data(as_text=True)

    staff_api.post(f"/requests/{first}/withdraw", json={"reason": "belde"})
    erased = client.post(
        "/staff/privacy",
        data={
            "csrf_token": token,
            "kind": "request_id",
            "value": reference.lower(),
            "action": "erase",
            "confirm": "yes",
            "reason": "balie",
        },
    )
    assert erased.status_code == 200 and "1 aanvraag gewist." in erased.get_data(as_text=True)
    with databases["booking"].session_factory() as session:
        assert session.get(BookingRequest, first).contact_email is None
        assert session.get(BookingRequest, second).contact_email == "an@example.org"  # another request, still open
        audit = [
            (a.action, a.staff_id, a.request_ids, a.reason)
            for a in session.scalars(sa.select(PrivacyAction).order_by(PrivacyAction.id))
        ]
    assert audit == [("export", 7, [first, second], None), ("erase", 7, [first], "balie")]


def test_a_bad_lookup_is_explained_beside_the_field(environ, databases) -> None:
    client, _page, token = desk(environ, databases["booking"], "admin")
    for kind, value in (("email", "geen adres"), ("phone", "bel me"), ("request_id", "UL-99999")):
        page = client.post(
            "/staff/privacy", data={"csrf_token": token, "kind": kind, "value": value, "action": "export"}
        )
        assert page.status_code == 422, (kind, value)
        assert 'class="field has-error"' in page.get_data(as_text=True)
