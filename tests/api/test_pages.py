"""The pages through Flask's test client: one request per double submit, CSRF, the friendly 429, staff redirect."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.booking.models import BookingRequest
from shared import clock
from shared.config import load_settings
from shared.db import Database
from tests.booking_fixtures import NOW, InventoryFeed

pytestmark = pytest.mark.postgres
FORM = "/lenen/caravan-doorgeefbazaar/aanvraag"


@pytest.fixture
def demo(databases: dict[str, Database]) -> InventoryFeed:
    from services.inventory.demo import load_demo_data

    clock.set_clock(NOW)
    with databases["inventory"].transaction() as session:
        load_demo_data(session)
    feed = InventoryFeed(databases["inventory"], databases["booking"])
    feed.relay()
    return feed


def pages_app(environ: dict[str, str], database: Database, **extra: str) -> Flask:
    from services.booking.web import create_pages_app

    app = create_pages_app(load_settings("booking", {**environ, **extra}), database)
    app.testing = True
    return app


@pytest.fixture
def pages(environ: dict[str, str], databases: dict[str, Database], demo: InventoryFeed) -> FlaskClient:
    return pages_app(environ, databases["booking"]).test_client()


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def caravan_form(html: str, **overrides: str) -> dict[str, Any]:
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "idempotency_key": hidden(html, "idempotency_key"),
        "initiative": "Buurtfeest Dampoort",
        "contact_name": "An Peeters",
        "email": "an@example.org",
        "phone": "",
        "language": "nl",
        "pickup_date": "2030-03-09",
        "pickup_time": "10:30",
        "return_date": "2030-03-11",
        "return_time": "10:00",
        "answer-trekhaak": "yes",
        "answer-extra-nummerplaat": "1-abc-234",
        "purpose": "ruilmarkt",
        "consent": "yes",
    }
    form.update(overrides)
    return form


def count_requests(database: Database) -> int:
    with database.session_factory() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(BookingRequest)) or 0)


def test_a_double_submit_creates_one_request(pages: FlaskClient, databases: dict[str, Database]) -> None:
    form = caravan_form(pages.get(FORM).get_data(as_text=True))
    first = pages.post(FORM, data=form)
    second = pages.post(FORM, data=form)
    assert first.status_code == second.status_code == 303
    assert count_requests(databases["booking"]) == 1
    page = pages.get(second.headers["Location"]).get_data(as_text=True)
    assert "Bedankt! We hebben je aanvraag ontvangen." in page
    assert "/status/" in page


def test_errors_keep_the_input_and_name_the_fields(pages: FlaskClient, databases: dict[str, Database]) -> None:
    html = pages.get(FORM).get_data(as_text=True)
    response = pages.post(FORM, data=caravan_form(html, email="", phone="", **{"answer-extra-nummerplaat": "??"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in page
    assert 'href="#email"' in page and "Geef een e-mailadres of een telefoonnummer" in page
    assert 'id="answer-extra-nummerplaat" name="answer-extra-nummerplaat" value="??"' in page
    assert 'aria-describedby="answer-extra-nummerplaat-uitleg answer-extra-nummerplaat-fout"' in page
    assert 'value="Buurtfeest Dampoort"' in page
    assert count_requests(databases["booking"]) == 0


def test_a_form_without_its_csrf_token_is_refused(pages: FlaskClient, databases: dict[str, Database]) -> None:
    form = caravan_form(pages.get(FORM).get_data(as_text=True))
    form["csrf_token"] = "forged"
    response = pages.post(FORM, data=form)
    assert response.status_code == 400
    assert "Je formulier is verlopen" in response.get_data(as_text=True)
    assert count_requests(databases["booking"]) == 0


def test_too_many_submissions_get_a_friendly_dutch_page(
    environ: dict[str, str], databases: dict[str, Database], demo: InventoryFeed
) -> None:
    client = pages_app(environ, databases["booking"], BOOKING_PUBLIC_FORM_LIMIT="2 per hour").test_client()
    html = client.get(FORM).get_data(as_text=True)
    for _ in range(2):
        client.post(FORM, data=caravan_form(html, initiative=""))
    refused = client.post(FORM, data=caravan_form(html, initiative=""))
    assert refused.status_code == 429
    assert "Even geduld, alsjeblieft" in refused.get_data(as_text=True)
    assert refused.headers["Content-Type"].startswith("text/html")


def test_staff_pages_send_strangers_to_the_login(pages: FlaskClient) -> None:
    response = pages.get("/staff")
    assert response.status_code == 302
    assert response.headers["Location"] == "/inventory/login?next=/staff"


def test_the_english_pages_say_dates_in_english(pages: FlaskClient) -> None:
    pages.get("/taal/en?terug=/")
    page = pages.get("/lenen/caravan-doorgeefbazaar").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "March 2030" in page
    dutch = pages.get("/lenen/caravan-doorgeefbazaar?lang=nl").get_data(as_text=True)
    assert "maart 2030" in dutch


def test_the_login_form_sets_the_staff_cookie(environ: dict[str, str], databases: dict[str, Database]) -> None:
    from services.inventory.app import create_app
    from services.inventory.demo import load_demo_data

    with databases["inventory"].transaction() as session:
        load_demo_data(session)
    app = create_app(load_settings("inventory", environ), databases["inventory"])
    client = app.test_client()
    html = client.get("/login?next=/staff").get_data(as_text=True)
    form = {"csrf_token": hidden(html, "csrf_token"), "next": "/staff", "email": "dampoort@uitleen.demo"}
    wrong = client.post("/login", data={**form, "password": "nope"})
    assert wrong.status_code == 401
    assert "klopt niet" in wrong.get_data(as_text=True)
    right = client.post("/login", data={**form, "password": "uitleen-demo"})
    assert right.status_code == 303 and right.headers["Location"] == "/staff"
    assert "uitleen_staff=" in right.headers["Set-Cookie"]
    elsewhere = client.post("/login", data={**form, "password": "uitleen-demo", "next": "//evil.example"})
    assert elsewhere.headers["Location"] == "/staff"


def staff_pages(environ: dict[str, str], database: Database, location_ids: list[int]) -> FlaskClient:
    from shared.auth import SESSION_COOKIE
    from tests.booking_fixtures import staff_cookie

    client = pages_app(environ, database).test_client()
    client.set_cookie(SESSION_COOKIE, staff_cookie(location_ids))
    return client


def submitted(pages: FlaskClient) -> str:
    """Submit the caravan request; returns the status page's path."""
    form = caravan_form(pages.get(FORM).get_data(as_text=True))
    assert pages.post(FORM, data=form).status_code == 303
    page = pages.get("/aanvraag/ontvangen").get_data(as_text=True)
    match = re.search(r'id="status-link">https?://[^/]+(/status/[^<]+)<', page)
    assert match
    return match.group(1)


def caravan_location(database: Database) -> int:
    from services.booking.models import InvAsset

    with database.session_factory() as session:
        return int(session.scalar(sa.select(InvAsset.location_id).where(InvAsset.code == "caravan-doorgeefbazaar")))


def test_the_requester_corrects_contact_details_and_withdraws(pages: FlaskClient) -> None:
    status = submitted(pages)
    html = pages.get(status).get_data(as_text=True)
    token = hidden(html, "csrf_token")
    refused = pages.post(
        f"{status}/contact", data={"csrf_token": token, "contact_name": "An", "email": "", "phone": ""}
    )
    assert refused.status_code == 422
    assert "Geef een e-mailadres of een telefoonnummer" in refused.get_data(as_text=True)
    changed = pages.post(
        f"{status}/contact", data={"csrf_token": token, "contact_name": "An", "email": "", "phone": "0470 12 34 56"}
    )
    assert changed.status_code == 303
    assert "0470 12 34 56" in pages.get(status).get_data(as_text=True)
    assert pages.post(f"{status}/intrekken", data={"csrf_token": token, "reason": "regen"}).status_code == 303
    page = pages.get(status).get_data(as_text=True)
    assert "Ingetrokken" in page and "Aanvraag intrekken" not in page


def test_staff_reject_needs_a_reason_and_only_their_centre_decides(
    pages: FlaskClient, environ: dict[str, str], databases: dict[str, Database]
) -> None:
    submitted(pages)
    database = databases["booking"]
    with database.session_factory() as session:
        request_id = session.scalar(sa.select(BookingRequest.id))
    elsewhere = staff_pages(environ, database, [999])
    assert "Er wacht geen enkele aanvraag" in elsewhere.get("/staff").get_data(as_text=True)
    token = hidden(elsewhere.get("/staff/uitlenen").get_data(as_text=True), "csrf_token")
    elsewhere.post(f"/staff/aanvragen/{request_id}/goedkeuren", data={"csrf_token": token})
    assert "buurtcentrum waar je niet werkt" in elsewhere.get("/staff").get_data(as_text=True)

    staff = staff_pages(environ, database, [caravan_location(database)])
    token = hidden(staff.get("/staff").get_data(as_text=True), "csrf_token")
    staff.post(f"/staff/aanvragen/{request_id}/weigeren", data={"csrf_token": token, "reason": ""})
    assert "Geef een reden; de aanvrager leest die." in staff.get("/staff").get_data(as_text=True)
    staff.post(
        f"/staff/aanvragen/{request_id}/weigeren", data={"csrf_token": token, "reason": "Caravan in herstelling"}
    )
    assert "is geweigerd" in staff.get("/staff").get_data(as_text=True)


def test_a_requirement_marked_not_met_blocks_approval(
    pages: FlaskClient, environ: dict[str, str], databases: dict[str, Database]
) -> None:
    submitted(pages)
    database = databases["booking"]
    with database.session_factory() as session:
        booking = session.scalar(sa.select(BookingRequest))
        assert booking is not None
        request_id, item_id = booking.id, booking.items[0].id
    staff = staff_pages(environ, database, [caravan_location(database)])
    token = hidden(staff.get("/staff").get_data(as_text=True), "csrf_token")
    url = f"/staff/aanvragen/{request_id}/voorwaarden/{item_id}/trekhaak"
    assert staff.post(url, data={"csrf_token": token, "verified": "no"}).status_code == 303
    page = staff.get("/staff").get_data(as_text=True)
    assert "Niet in orde of niet beantwoord: Wagen met trekhaak." in page
    staff.post(f"/staff/aanvragen/{request_id}/goedkeuren", data={"csrf_token": token})
    assert "Niet goedgekeurd: een voorwaarde" in staff.get("/staff").get_data(as_text=True)
    staff.post(url, data={"csrf_token": token, "verified": "yes"})
    staff.post(f"/staff/aanvragen/{request_id}/goedkeuren", data={"csrf_token": token})
    assert "is goedgekeurd" in staff.get("/staff").get_data(as_text=True)


def test_the_confirmation_does_not_linger_on_a_shared_computer(pages: FlaskClient) -> None:
    from datetime import timedelta

    submitted(pages)
    assert pages.get("/aanvraag/ontvangen").status_code == 200
    clock.set_clock(NOW + timedelta(minutes=16))
    later = pages.get("/aanvraag/ontvangen")
    assert later.status_code == 302 and later.headers["Location"] == "/"


def test_the_give_box_with_the_citys_van_makes_one_request_of_two_items(
    pages: FlaskClient, databases: dict[str, Database]
) -> None:
    url = "/lenen/give-box-mobiel/aanvraag"
    html = pages.get(url).get_data(as_text=True)
    assert 'value="borrow"' in html and "Ik leen ook Bestelwagen van de stad" in html
    form = caravan_form(html, pickup_date="2030-03-08", pickup_time="10:00", return_date="2030-03-08")
    form.update({"return_time": "16:00", "answer-bestelwagen": "borrow", "extra-rijbewijs-b": ""})
    del form["answer-trekhaak"], form["answer-extra-nummerplaat"]
    missing = pages.post(url, data=form)
    assert missing.status_code == 422
    assert 'id="extra-rijbewijs-b-fout"' in missing.get_data(as_text=True)  # the van's own question
    form["extra-rijbewijs-b"] = "B"
    assert pages.post(url, data=form).status_code == 303
    with databases["booking"].session_factory() as session:
        booking = session.scalar(sa.select(BookingRequest))
        assert booking is not None and len(booking.items) == 2
        answers = {r.code: (r.answer, r.provided_by_item) for item in booking.items for r in item.requirements}
    assert answers == {"bestelwagen": (None, True), "rijbewijs-b": ("B", False)}


def test_behind_the_gateway_the_link_is_https_and_limits_count_per_client(
    environ: dict[str, str], databases: dict[str, Database], demo: InventoryFeed
) -> None:
    app = pages_app(
        environ,
        databases["booking"],
        TRUSTED_PROXIES="1",
        BOOKING_PUBLIC_FORM_LIMIT="1 per hour",
        PUBLIC_URL="https://uitleen.example",
    )
    client = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    html = client.get(FORM, headers=headers).get_data(as_text=True)
    assert client.post(FORM, data=caravan_form(html), headers=headers).status_code == 303
    page = client.get("/aanvraag/ontvangen", headers=headers).get_data(as_text=True)
    assert 'id="status-link">https://' in page
    other = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.8"}  # another resident, same gateway
    assert client.post(FORM, data=caravan_form(html, initiative=""), headers=other).status_code == 422
    assert client.post(FORM, data=caravan_form(html, initiative=""), headers=headers).status_code == 429


def approved_caravan(pages: FlaskClient, environ: dict[str, str], database: Database) -> tuple[str, int, FlaskClient]:
    """The caravan requested and approved by its centre's staff: (status path, request id, staff client)."""
    status = submitted(pages)
    with database.session_factory() as session:
        request_id = int(session.scalar(sa.select(BookingRequest.id)))
    staff = staff_pages(environ, database, [caravan_location(database)])
    token = hidden(staff.get("/staff").get_data(as_text=True), "csrf_token")
    staff.post(f"/staff/aanvragen/{request_id}/goedkeuren", data={"csrf_token": token})
    assert "is goedgekeurd" in staff.get("/staff").get_data(as_text=True)
    return status, request_id, staff


def allocations_of(database: Database, request_id: int) -> int:
    """The request's active allocations: what it holds of the asset's time."""
    from services.booking.models import Allocation

    with database.session_factory() as session:
        query = sa.select(Allocation).where(Allocation.request_id == request_id, Allocation.active)
        return len(session.scalars(query).all())


def test_the_requester_cancels_an_approved_loan_with_a_reason(
    pages: FlaskClient, environ: dict[str, str], databases: dict[str, Database]
) -> None:
    database = databases["booking"]
    status, request_id, _staff = approved_caravan(pages, environ, database)
    html = pages.get(status).get_data(as_text=True)
    assert "Uitlening annuleren" in html and "Aanvraag intrekken" not in html
    token = hidden(html, "csrf_token")
    refused = pages.post(f"{status}/annuleren", data={"csrf_token": token, "reason": "  "})
    assert refused.status_code == 422
    assert "Vul in waarom je annuleert." in refused.get_data(as_text=True)
    assert allocations_of(database, request_id) == 1
    assert (
        pages.post(f"{status}/annuleren", data={"csrf_token": token, "reason": "feest gaat niet door"}).status_code
        == 303
    )
    page = pages.get(status).get_data(as_text=True)
    assert "Geannuleerd" in page and "feest gaat niet door" in page and "Uitlening annuleren" not in page
    assert allocations_of(database, request_id) == 0  # the caravan is free for someone else


def test_staff_cancel_an_approved_loan_of_their_centre_with_a_reason(
    pages: FlaskClient, environ: dict[str, str], databases: dict[str, Database]
) -> None:
    database = databases["booking"]
    _status, request_id, staff = approved_caravan(pages, environ, database)
    loans = staff.get("/staff/uitlenen").get_data(as_text=True)
    assert f'action="/staff/aanvragen/{request_id}/annuleren"' in loans
    token = hidden(loans, "csrf_token")
    elsewhere = staff_pages(environ, database, [999])
    assert f"/aanvragen/{request_id}/annuleren" not in elsewhere.get("/staff/uitlenen").get_data(as_text=True)
    theirs = hidden(elsewhere.get("/staff/uitlenen").get_data(as_text=True), "csrf_token")
    elsewhere.post(f"/staff/aanvragen/{request_id}/annuleren", data={"csrf_token": theirs, "reason": "x"})
    assert "buurtcentrum waar je niet werkt" in elsewhere.get("/staff/uitlenen").get_data(as_text=True)
    staff.post(f"/staff/aanvragen/{request_id}/annuleren", data={"csrf_token": token, "reason": ""})
    assert "Geef een reden; de aanvrager leest die." in staff.get("/staff/uitlenen").get_data(as_text=True)
    assert allocations_of(database, request_id) == 1
    staff.post(f"/staff/aanvragen/{request_id}/annuleren", data={"csrf_token": token, "reason": "Caravan kapot"})
    assert f"De uitlening {_reference(database, request_id)} is geannuleerd." in staff.get("/staff/uitlenen").get_data(
        as_text=True
    )
    assert allocations_of(database, request_id) == 0


def _reference(database: Database, request_id: int) -> str:
    with database.session_factory() as session:
        return str(session.scalar(sa.select(BookingRequest.reference).where(BookingRequest.id == request_id)))


def test_the_dashboard_names_the_readers_centres_whose_alerts_are_skipped(
    pages: FlaskClient, environ: dict[str, str], databases: dict[str, Database], demo: InventoryFeed
) -> None:
    """Issue 12, point 14: a centre without an e-mail address silently missed every staff alert."""
    from services.inventory.domain.locations import update_location
    from services.inventory.models import Location

    database = databases["booking"]
    dampoort = caravan_location(database)
    staff = staff_pages(environ, database, [dampoort])
    assert 'id="zonder-email"' not in staff.get("/staff").get_data(as_text=True)  # the demo centres have one
    with databases["inventory"].transaction() as session:
        centre = session.get(Location, dampoort)
        assert centre is not None
        update_location(session, dampoort, {"email": None}, centre.version, actor=None)
    demo.relay()
    html = staff.get("/staff").get_data(as_text=True)
    notice = re.search(r'<div class="card notice" role="status" id="zonder-email">(.*?)</div>', html, re.S)
    assert notice and "Meldingen worden niet verstuurd" in notice.group(1)
    assert f'href="/inventory/beheer/centra/{dampoort}">Buurtcentrum Dampoort</a>' in notice.group(1)
    elsewhere = staff_pages(environ, database, [dampoort + 1000])
    assert 'id="zonder-email"' not in elsewhere.get("/staff").get_data(as_text=True)
