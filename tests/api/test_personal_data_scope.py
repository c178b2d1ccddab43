"""Personal data stays within its centre, in every answer: a requester of centre A is never shown to centre B.

The attack that found the class: an initiative was recognised by its name only, and the staff view of a request
added the contacts and history of the whole initiative at every centre; so staff of B filed a desk request under
the name of an initiative of A (all names are on the calendar) and read A's contacts. Now an initiative is still
recognised by its name (a returning group need not register), but what staff see of it is only its requests at
the centres they work for (``queries/requests.py``: ``BookingRequest.within``), so taking its name shows nothing.

Here staff of B do exactly that, then every GET route of every app (from the url_maps, with B's own ids filled in)
is read with B's credentials, and no answer may carry A's requester's name, e-mail or phone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.notify.config import NotifyConfig
from shared.auth import SESSION_COOKIE
from shared.config import load_settings
from shared.consumer import apply_event
from shared.db import Database
from tests.booking_fixtures import InventoryFeed, at, ensure_staff_account, request_body, staff_cookie

pytestmark = pytest.mark.postgres

SECRETS_OF_A = ("Anna Geheim", "anna.geheim@example.org", "0470 99 88 77")
STAFF_B = 42


@pytest.fixture
def apps(environ: dict[str, str], databases: dict[str, Database]) -> dict[str, Flask]:
    from services.booking.app import create_app as create_booking
    from services.booking.web import create_pages_app
    from services.inventory.app import create_app as create_inventory
    from services.notify.app import create_app as create_notify

    made = {
        "booking": create_booking(load_settings("booking", environ), databases["booking"]),
        "pages": create_pages_app(load_settings("booking", environ), databases["booking"]),
        "inventory": create_inventory(load_settings("inventory", environ), databases["inventory"]),
        "notify": create_notify(load_settings("notify", environ), databases["notify"]),
    }
    for app in made.values():
        app.testing = True
    return made


def relay_to_notify(databases: dict[str, Database]) -> None:
    from services.booking.models import OutboxEvent
    from services.notify.domain.copies import event_handlers
    from services.notify.models import ProcessedEvent

    handlers = event_handlers(NotifyConfig())
    with databases["booking"].session_factory() as session:
        envelopes = [row.to_envelope() for row in session.scalars(sa.select(OutboxEvent))]
    for envelope in sorted(envelopes, key=lambda e: e.occurred_at):
        apply_event(databases["notify"], ProcessedEvent, envelope, handlers)


@pytest.fixture
def world(feed: InventoryFeed, apps: dict[str, Flask], databases: dict[str, Database]) -> dict[str, Any]:
    centre_a, centre_b = feed.location(email="a@bc.example.org"), feed.location(email="b@bc.example.org")
    caravan = feed.asset(centre_a, code="caravan")
    sewing = feed.asset(centre_b, code="naaimachine", quantity=3)
    ensure_staff_account(databases["inventory"], STAFF_B, location_ids=(centre_b,))
    name, email, phone = SECRETS_OF_A
    public = apps["booking"].test_client()
    body = request_body(caravan, at(2, 10), at(2, 16), contact={"name": name, "email": email, "phone": phone})
    assert public.post("/requests", json=body).status_code == 201
    # B's staff file a request at their own desk under the name of A's initiative (spelled differently)
    staff_b = client_of(apps["booking"], centre_b)
    taken = request_body(sewing, at(3, 10), at(3, 16), initiative="  buurtfeest   DAMPOORT ")
    taken["proxy"] = {"consent": "desk"}
    created = staff_b.post("/requests", json=taken, headers={"X-Requested-With": "test"})
    assert created.status_code == 201, created.json
    own = created.json["request_id"]
    assert staff_b.post(f"/requests/{own}/approve", json={}, headers={"X-Requested-With": "test"}).status_code == 200
    relay_to_notify(databases)
    initiative = created.json["initiative"]["id"]
    return {"own_request": own, "initiative": initiative, "centre": centre_b, "asset": sewing, "day": "2030-03-07"}


def client_of(app: Flask, centre: int) -> FlaskClient:
    """A client of staff member STAFF_B of ``centre`` (inventory knows the account: ensure_staff_account)."""
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, staff_cookie([centre], staff_id=STAFF_B))
    return client


FILL = {
    "request_id": "own_request",
    "initiative_id": "initiative",  # the initiative B's staff filed under A's initiative's name
    "location_id": "centre",
    "asset_id": "asset",
    "centre_id": "centre",
}
QUERIES = {
    "/booking/availability": "?asset_id={asset}&from=2030-03-04T00:00&to=2030-03-11T00:00",
    "/booking/search": "?pickup_at=2030-03-07T10:00&return_at=2030-03-07T16:00",
    "/staff/kalender": "?weergave=maand&vanaf={day}",
    "/notify/bellijst": "?dag={day}",
}
MOUNTS = {"booking": "/booking", "pages": "", "inventory": "/inventory", "notify": "/notify"}


def get_routes(app: Flask) -> Iterator[str]:
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
            continue
        names = set(rule.arguments)
        if names - set(FILL):
            continue  # a token, a code: not B's to know
        yield rule.rule


def test_no_answer_to_another_centre_carries_a_requester_of_this_one(
    world: dict[str, Any], apps: dict[str, Flask], feed: InventoryFeed
) -> None:
    seen = 0
    leaks = []
    for name, app in apps.items():
        client = client_of(app, world["centre"])
        for path in get_routes(app):
            filled = path
            for argument, key in FILL.items():
                for converter in ("int:", ""):
                    filled = filled.replace(f"<{converter}{argument}>", str(world[key]))
            url = filled + QUERIES.get(MOUNTS[name] + path, "").format(**world)
            response = client.get(url)
            assert response.status_code < 500, (name, url, response.status_code)
            body = response.get_data(as_text=True)
            seen += 1
            leaks += [f"{name} {url}: {secret}" for secret in SECRETS_OF_A if secret in body]
    assert seen > 30  # the walk really read the apps' pages and lists
    own_pages = client_of(apps["pages"], world["centre"])
    for url in (
        f"/staff/aanvragen/{world['own_request']}",
        f"/staff/aanvragen/{world['own_request']}/briefje",
        f"/staff/initiatieven/{world['initiative']}",
    ):
        assert own_pages.get(url).status_code == 200, url  # B's own request, and the initiative it shares with A
    assert not leaks, "answers to centre B carry centre A's requester:\n" + "\n".join(leaks)


def test_the_initiatives_own_centre_still_sees_its_contacts_and_history(
    world: dict[str, Any], apps: dict[str, Flask], databases: dict[str, Database]
) -> None:
    """The scope hides A's requester from B, not from A; and B's request under the same name stays B's."""
    from services.booking.models import BookingRequest

    with databases["booking"].session_factory() as session:
        request_a = session.scalar(sa.select(BookingRequest).where(BookingRequest.id != world["own_request"]))
        assert request_a is not None
        centre_a, own_id = request_a.location_id, request_a.id
    staff_a = apps["booking"].test_client()
    staff_a.set_cookie(SESSION_COOKIE, staff_cookie([centre_a], staff_id=7))
    seen_by_a = staff_a.get(f"/requests/{own_id}").json
    assert seen_by_a["initiative"]["name"] == "Buurtfeest Dampoort"
    # the same initiative's request at B is not A's to see, neither in the history nor in the contacts
    assert all(h["request_id"] != world["own_request"] for h in seen_by_a["initiative_history"])
    assert [c["email"] for c in seen_by_a["initiative_contacts"]] == [SECRETS_OF_A[1]]
    assert staff_a.get(f"/requests/{world['own_request']}").status_code == 403
