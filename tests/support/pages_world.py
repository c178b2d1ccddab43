"""A lived-in suite for the pages tests: every staff and public page has something to show.

Built the way production builds it: Ghent's demo data through inventory's domain functions, relayed to booking's
and notify's copies through their event handlers; requests made through booking's own API and request form;
booking's outbox relayed to notify's consumer; due notifications dispatched to a recording mail sender. Nothing
is written into a table directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.notify.config import NotifyConfig
from shared import clock
from shared.auth import SESSION_COOKIE
from shared.config import load_settings
from shared.consumer import apply_event
from shared.db import Database
from tests.booking_fixtures import NOW, InventoryFeed, at, ensure_staff_account, staff_cookie
from tests.support.notify import Pipeline, RecordingSender

# The pages apps and where the gateway (and the embedded mode) mounts them.
MOUNTS = {"pages": "", "inventory": "/inventory", "notify": "/notify"}
ADMIN = staff_cookie([], role="admin", staff_id=99)
# When the walk looks: two and a half days after NOW, so some loans are out and one is late.
LATER = NOW + timedelta(days=2, hours=4)


def page_apps(environ: dict[str, str], databases: dict[str, Database]) -> dict[str, Flask]:
    from services.booking.web import create_pages_app
    from services.inventory.app import create_app as create_inventory
    from services.notify.app import create_app as create_notify

    quiet = {
        **environ,
        "INVENTORY_LOGIN_LIMIT": "10000 per minute",
        "INVENTORY_LOGIN_FAILURE_LIMIT": "10000 per minute",
    }
    apps = {
        "pages": create_pages_app(load_settings("booking", quiet), databases["booking"]),
        "inventory": create_inventory(load_settings("inventory", quiet), databases["inventory"]),
        "notify": create_notify(load_settings("notify", quiet), databases["notify"]),
    }
    for app in apps.values():
        app.testing = True
    ensure_staff_account(databases["inventory"], 99, role="admin")  # ADMIN's account: inventory checks it
    return apps


class Mounted:
    """A test client that asks as a browser does: under the app's prefix (the app sees it as SCRIPT_NAME)."""

    def __init__(self, app: Flask, prefix: str, language: str | None = None, staff: bool = False) -> None:
        self.app, self.prefix = app, prefix
        self.client: FlaskClient = app.test_client()
        if language:
            self.client.set_cookie("uitleen_taal", language)
        if staff:
            self.client.set_cookie(SESSION_COOKIE, ADMIN)

    def open(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        return self.client.open(path, method=method, base_url=f"http://localhost{self.prefix}", **kwargs)


@dataclass
class World:
    asset_code: str
    asset_id: int
    requirement_id: int
    location_id: int
    status_token: str
    call_day: str
    data: set[str] = field(default_factory=set)
    backend: str = "postgres"
    request_id: int = 0  # a loan out with its borrower (its page: checks, notes, audit trail)
    initiative_id: int = 0  # that loan's initiative (its page)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def caravan_form(html: str, **overrides: str) -> dict[str, str]:
    """The public request form for the caravan, filled in as a requester would."""
    form = {
        "csrf_token": _hidden(html, "csrf_token"),
        "idempotency_key": _hidden(html, "idempotency_key"),
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


def _iso(day: int, hour: int) -> str:
    return at(day, hour)


def _booking_api(environ: dict[str, str], database: Database) -> FlaskClient:
    from services.booking.app import create_app

    app = create_app(load_settings("booking", environ), database)
    app.testing = True
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, ADMIN)
    return client


def _request(api: FlaskClient, asset_id: int, pickup: str, ret: str, **contact: Any) -> int:
    body = {
        "initiative": contact.pop("initiative", "Buurtfeest Dampoort"),
        "contact": {"name": "An Peeters", "email": "an@example.org", "phone": None, "language": "nl", **contact},
        "purpose": "straatfeest",
        "pickup_at": pickup,
        "return_at": ret,
        "items": [{"asset_id": asset_id, "quantity": 1}],
        "proxy": {"consent": "phone"},  # staff file it for a resident who phoned
    }
    created = api.post("/requests", json=body)
    assert created.status_code == 201, created.json
    return int(created.json["request_id"])


def build_world(environ: dict[str, str], databases: dict[str, Database], apps: dict[str, Flask]) -> World:
    from services.booking.models import InvAsset
    from services.inventory.demo import load_demo_data
    from services.inventory.models import Requirement
    from services.notify.domain.copies import event_handlers
    from services.notify.models import ProcessedEvent

    clock.set_clock(NOW)
    with databases["inventory"].transaction() as session:
        load_demo_data(session)
    feed = InventoryFeed(databases["inventory"], databases["booking"])
    config = NotifyConfig(retry_base_seconds=60, send_lease_seconds=120)
    handlers = event_handlers(config)
    for envelope in feed.relay():  # notify keeps its own copy of locations and assets
        if envelope.type in handlers:
            apply_event(databases["notify"], ProcessedEvent, envelope, handlers)
    with databases["booking"].session_factory() as session:
        assets = {a.code: a for a in session.scalars(sa.select(InvAsset))}
    caravan = assets["caravan-doorgeefbazaar"]
    feed.maintenance(caravan.id, NOW + timedelta(days=20), NOW + timedelta(days=21))
    with databases["inventory"].session_factory() as session:
        requirement_id = int(session.scalar(sa.select(Requirement.id).where(Requirement.code == "trekhaak")))

    api = _booking_api(environ, databases["booking"])
    # Waiting for a decision: the caravan (the public form) and the give-box with the city's van.
    pages = Mounted(apps["pages"], "")
    html = pages.open("/lenen/caravan-doorgeefbazaar/aanvraag").get_data(as_text=True)
    assert pages.open("/lenen/caravan-doorgeefbazaar/aanvraag", "POST", data=caravan_form(html)).status_code == 303
    confirmation = pages.open("/aanvraag/ontvangen").get_data(as_text=True)
    token = re.search(r'id="status-link">https?://[^/]+/status/([^<]+)<', confirmation)
    assert token, confirmation[:500]
    give_box = "/lenen/give-box-mobiel/aanvraag"
    html = pages.open(give_box).get_data(as_text=True)
    form = caravan_form(html, pickup_date="2030-03-08", pickup_time="10:00", return_date="2030-03-08")
    form.update({"return_time": "16:00", "answer-bestelwagen": "borrow", "extra-rijbewijs-b": "B"})
    del form["answer-trekhaak"], form["answer-extra-nummerplaat"]
    form["initiative"] = "Ruilkast Muide"
    assert pages.open(give_box, "POST", data=form).status_code == 303
    # Approved: a sewing machine for someone without e-mail (notify puts the reminders on the call list), and
    # one to pick up today; out on loan, and late by the time the walk looks: another sewing machine.
    sewing = assets["naaimachines-nieuw-gent"]
    phone_only = _request(
        api, sewing.id, _iso(3, 10), _iso(4, 10), email=None, phone="0470 12 34 56", initiative="Naaicafé"
    )
    to_hand_over = _request(api, assets["naaimachines-bloemekenswijk"].id, _iso(2, 10), _iso(4, 10))
    late = _request(api, sewing.id, _iso(1, 10), _iso(2, 10), initiative="Repair Café Brugse Poort")
    for request_id in (phone_only, to_hand_over, late):
        assert api.post(f"/requests/{request_id}/approve", json={}).status_code == 200
    clock.set_clock(NOW + timedelta(days=1, hours=2, minutes=30))
    picked = api.post(f"/requests/{late}/pick-up", json={"checks": {}, "notes": "Alles mee"})
    assert picked.status_code == 200, picked.json
    clock.set_clock(LATER)

    pipeline = Pipeline(databases["booking"], databases["notify"], config, RecordingSender())
    pipeline.relay()
    pipeline.dispatch()
    with databases["booking"].session_factory() as session:
        location_id = int(session.scalar(sa.select(InvAsset.location_id).where(InvAsset.id == sewing.id)))
    call_day = (clock.to_local(LATER) + timedelta(days=0)).date().isoformat()
    return World(
        asset_code=caravan.code,
        asset_id=_inventory_asset_id(databases["inventory"], caravan.code),
        requirement_id=requirement_id,
        location_id=location_id,
        status_token=token.group(1),
        call_day=call_day,
        data=typed_data(databases),
        request_id=late,
        initiative_id=int(picked.json["initiative"]["id"]),
    )


def _inventory_asset_id(database: Database, code: str) -> int:
    from services.inventory.models import Asset

    with database.session_factory() as session:
        return int(session.scalar(sa.select(Asset.id).where(Asset.code == code)))


def typed_data(databases: dict[str, Database]) -> set[str]:
    """Every text a person typed into the suite (or the demo loader typed for them), in every service."""
    queries = {
        "inventory": (
            "SELECT name_nl, name_en, description_nl, description_en, code FROM assets",
            "SELECT name, street, city, postal_code, phone, code FROM locations",
            "SELECT label_nl, label_en, explanation_nl, explanation_en, code FROM requirements",
            "SELECT reason FROM maintenance_windows",
            "SELECT name, email FROM staff_accounts",
        ),
        "booking": (
            "SELECT name FROM initiatives",
            "SELECT reference, contact_name, contact_email, contact_phone, purpose, return_condition, damage"
            " FROM requests",
            "SELECT reason FROM audit_trail",
            "SELECT code FROM item_requirements",  # the answers: below, for the domain writes some of its own
            "SELECT name_nl, name_en, code FROM inv_assets",
            "SELECT name, street FROM inv_locations",
            "SELECT label_nl, label_en FROM inv_requirements",
            "SELECT reason FROM inv_maintenance_windows",
        ),
        "notify": ("SELECT recipient FROM scheduled_notifications", "SELECT reference FROM bookings"),
    }
    # The staff member's name in the cookie, the hand-over note, the requesters' answers (plate, licence).
    found: set[str] = {"staff 99", "Alles mee", "1-ABC-234", "B"}
    for service, statements in queries.items():
        with databases[service].engine.connect() as connection:
            for statement in statements:
                for row in connection.execute(sa.text(statement)):
                    found.update(str(value) for value in row if isinstance(value, str) and value.strip())
    return found


def call_list_query(world: World) -> str:
    return f"locatie={world.location_id}&dag={world.call_day}"


def now() -> datetime:
    return clock.now()
