"""The authorisation matrix: every route of every app × every kind of visitor → the outcome the rules expect.

The routes come from the apps' own ``url_map``: a route without a rule in tests/authorisation_rules.py fails
this test (the message names it), and so does a rule for a route that no longer exists. Each route is tried
against a fresh world (two community centres, the caravan at centre A, a pending request for it with its
private link, a dead letter in each service), by every persona in turn, with real requests to the real apps on
the real database: no view is called directly, nothing is mocked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shared import clock
from shared.auth import SESSION_COOKIE, Principal, hash_password, sign_session
from shared.config import load_settings
from shared.db import Database
from tests.authorisation_rules import APPS, PERSONAS, REFUSAL_TEXTS, RULES, Rule, route_key
from tests.booking_fixtures import NOW, SECRET, InventoryFeed, at, request_body
from tests.conftest import STAFF_PASSWORD
from tests.support.forms import csrf_token

EMAIL = "an.requester@example.org"  # centre A's requester: no other centre's staff should read it


@dataclass
class World:
    """What one route is tried against; ``params`` fill the route's placeholders."""

    params: dict[str, Any]
    accounts: dict[str, Principal]
    link_token: str


def inventory_get(path: str, apps: dict[str, Flask]) -> TestResponse:
    with apps["inventory"].test_client().get(path) as response:
        return response


def empty_quickly(database: Database) -> None:
    """Like tests.conftest's TRUNCATE, but DELETE: this test empties the databases a hundred times, and on a
    busy disk TRUNCATE's new files cost far more than deleting a few rows. Ids are not reset; no rule needs it."""
    with database.engine.begin() as connection:
        tables = connection.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars()
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))  # no foreign-key order
        for table in list(tables):
            connection.execute(sa.text(f'DELETE FROM "{table}"'))


@functools.cache
def password_hash() -> str:
    return hash_password(STAFF_PASSWORD)


def build_world(databases: dict[str, Database], apps: dict[str, Flask]) -> World:
    from services.booking.models import DeadLetter as BookingDeadLetter
    from services.inventory.domain.credentials import issue_root_token
    from services.inventory.models import Location, StaffAccount
    from services.notify.models import CalendarFeed, CapturedMail, ScheduledNotification
    from services.notify.models import DeadLetter as NotifyDeadLetter
    from services.notify.models import Location as NotifyLocation
    from shared.consumer import record_dead_letter
    from shared.events import Envelope

    for database in databases.values():
        empty_quickly(database)
    clock.set_clock(NOW)
    feed = InventoryFeed(databases["inventory"], databases["booking"])
    centre_a = feed.location()
    centre_b = feed.location()
    feed.requirement("rijbewijs-b")
    requirement = inventory_get("/requirements", apps).json[0]["id"]
    asset = feed.asset(centre_a, code="caravan", requirement_codes=["rijbewijs-b"], public=True)
    window = feed.maintenance(asset, NOW + timedelta(days=20), NOW + timedelta(days=21))
    with databases["inventory"].transaction() as session:
        from services.inventory.domain.locations import add_closure

        closure = add_closure(session, centre_a, date(2030, 5, 6), date(2030, 5, 7), "personeelsdag", None).id
    feed.relay()
    with databases["inventory"].transaction() as session:
        # the accounts as create_staff makes them, with one argon2 hash for all worlds (hashing is slow on purpose)
        staff_a, staff_b, admin = (
            StaffAccount(
                email=email,
                name=name,
                password_hash=password_hash(),
                role=role,
                locations=list(session.scalars(sa.select(Location).where(Location.code.in_(codes)))),
            )
            for email, name, role, codes in (
                ("a@example.org", "Staff A", "staff", ["bc-1"]),
                ("b@example.org", "Staff B", "staff", ["bc-2"]),
                ("admin@example.org", "Admin", "admin", []),
            )
        )
        session.add_all([staff_a, staff_b, admin])
        session.flush()
        token_record, _token = issue_root_token(session, staff_a.id, "kalender", SECRET, 30)
        ids = (staff_a.id, staff_b.id, admin.id)
        token_id = token_record.id
    booking = apps["booking"].test_client()
    body = request_body(asset, at(1, 10), at(1, 15), contact={"name": "An", "email": EMAIL, "phone": None})
    body["items"][0]["answers"] = {"rijbewijs-b": True}
    created = booking.post("/requests", json=body)
    assert created.status_code == 201, created.json
    envelope = Envelope(type="inventory.location.created", producer="inventory", payload={"id": 999})
    letters = {
        service: record_dead_letter(databases[service], model, envelope.to_dict(), RuntimeError("x"), 9)
        for service, model in (("booking", BookingDeadLetter), ("notify", NotifyDeadLetter))
    }
    with databases["notify"].transaction() as session:
        session.add(
            ScheduledNotification(
                delivery_key="k-a",
                request_id=created.json["request_id"],
                location_id=centre_a,
                kind="approved",
                audience="requester",
                due_at=NOW,
                not_before=NOW,
                status="failed",
                reason="mailbox vol",
                recipient=EMAIL,
                language="nl",
                attempts=3,
                message_id="<notification-k-a@uitleen.stad.gent>",
            )
        )
        # what the embedded default captured of it (/notify/outbox-mail: staff of centre A and admins read it)
        session.add(
            CapturedMail(
                message_id="<notification-k-a@uitleen.stad.gent>",
                recipient=EMAIL,
                subject="Goedgekeurd",
                text="",
                html="",
                ics="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            )
        )
        # notify's copy of centre A, and a calendar feed of it behind a secret address (/notify/agenda)
        session.add(NotifyLocation(id=centre_a, name="BC 1", snapshot={}, last_event_at=NOW))
        session.add(CalendarFeed(scope="location", target_id=centre_a, location_id=centre_a, token_hash="0" * 64))
        session.flush()
        notify_ids = {
            "notification_id": session.scalar(sa.select(ScheduledNotification.id)),
            "feed_id": session.scalar(sa.select(CalendarFeed.id)),
            "mail_id": session.scalar(sa.select(CapturedMail.id)),
        }
    inventory = apps["inventory"].test_client()
    versions = {
        name: inventory.get(path).headers["ETag"].strip('"v')
        for name, path in (
            ("asset_version", f"/assets/{asset}"),
            ("location_version", f"/locations/{centre_a}"),
            ("requirement_version", f"/requirements/{requirement}"),
        )
    }
    accounts = {
        "other": Principal(staff_id=ids[1], name="Staff B", role="staff", location_ids=frozenset({centre_b})),
        "staff": Principal(staff_id=ids[0], name="Staff A", role="staff", location_ids=frozenset({centre_a})),
        "admin": Principal(staff_id=ids[2], name="Admin", role="admin", location_ids=frozenset()),
    }
    return World(
        params={
            "request_id": created.json["request_id"],
            "initiative_id": created.json["initiative"]["id"],
            "item_id": created.json["items"][0]["item_id"],
            "asset_id": asset,
            "location_id": centre_a,
            "window_id": window,
            "closure_id": closure,
            "requirement_id": requirement,
            "token_id": token_id,
            "staff_id": ids[0],
            "dead_letter_id": letters,
            "code": "caravan",
            "filename": "uitleen.css",
            "day": NOW.date().isoformat(),
            "other_location_id": centre_b,
            "password": STAFF_PASSWORD,
            **versions,
            **notify_ids,
        },
        accounts=accounts,
        link_token=created.json["status_url"].rsplit("/", 1)[1],
    )


@pytest.fixture
def apps(environ: dict[str, str], databases: dict[str, Database]) -> dict[str, Flask]:
    from services.booking.app import create_app as booking_app
    from services.booking.web import create_pages_app
    from services.inventory.app import create_app as inventory_app
    from services.notify.app import create_app as notify_app

    factories = {"inventory": inventory_app, "booking": booking_app, "notify": notify_app, "pages": create_pages_app}
    built = {}
    for name, factory in factories.items():
        service = "booking" if name == "pages" else name
        app = factory(load_settings(service, environ), databases[service])
        app.testing = True
        built[name] = app
    return built


def every_route(apps: dict[str, Flask]) -> Iterator[tuple[str, str, str]]:
    for name, app in apps.items():
        for rule in app.url_map.iter_rules():
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield name, method, rule.rule


def fill(app: str, path: str, rule: Rule, world: World, persona: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        if name == "token":
            return world.link_token if persona == "link" else "a-guessed-token-0123456789abcdefghijklmnopqrstu"
        found = rule.params.get(name, world.params[name])
        return str(found[APPS[app]] if isinstance(found, dict) else found)

    return re.sub(r"<([^>]+)>", value, path)


def fill_values(value: Any, app: str, rule: Rule, world: World, persona: str) -> Any:
    """``"<name>"`` placeholders in a rule's body, form, query and headers, filled like the path's."""
    whole = re.fullmatch(r"<(\w+)>", value) if isinstance(value, str) else None
    if whole and whole.group(1) in world.params:  # the value itself, typed (an id stays an int)
        return rule.params.get(whole.group(1), world.params[whole.group(1)])
    if isinstance(value, str):
        return fill(app, value, rule, world, persona)
    if isinstance(value, dict):
        return {k: fill_values(v, app, rule, world, persona) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_values(v, app, rule, world, persona) for v in value]
    return value


def client_for(app: Flask, persona: str, world: World) -> FlaskClient:
    client = app.test_client()
    if persona in world.accounts:
        client.set_cookie(SESSION_COOKIE, sign_session(SECRET, world.accounts[persona]))
    return client


def outcome(client: FlaskClient, response: TestResponse, mount: str) -> str:
    """What happened, in the rules' words (tests/authorisation_rules.py explains them)."""
    status = response.status_code
    location = response.headers.get("Location", "")
    if 300 <= status < 400 and "/inventory/login" in location:
        return "login"
    text = response.get_data(as_text=True)
    if 300 <= status < 400 and location.startswith("/"):
        # the apps are not mounted here: /inventory/beheer/… is the inventory app's /beheer/…
        with client.get(location.split("#")[0].removeprefix(mount)) as followed:
            text = followed.get_data(as_text=True)
    if status < 500 and any(refusal in text for refusal in REFUSAL_TEXTS):
        return "403"  # the pages refuse another centre's work with a message instead of a bare 403
    if status in (400, 401, 403, 404, 405, 429) or status >= 500:
        return str(status)
    if 200 <= status < 300:
        return "mine" if EMAIL in text else "scoped"
    return "ok"  # a redirect, or a 409/412/422/428: past the gate, the domain or the input said no


def matches(expected: str, got: str) -> bool:
    """``ok`` accepts any answer past the gate; ``mine`` and ``scoped`` say whether centre A's requester shows."""
    if expected == "ok":
        return got in ("ok", "mine", "scoped")
    return got == expected


def attempt(apps: dict[str, Flask], key: tuple[str, str, str], rule: Rule, world: World, persona: str) -> str:
    app_name, method, path = key
    app = apps[app_name]
    client = client_for(app, persona, world)
    query = fill(app_name, rule.query, rule, world, persona)
    url = fill(app_name, path, rule, world, persona) + (f"?{query}" if query else "")
    kwargs: dict[str, Any] = {"method": method, "headers": fill_values(rule.headers, app_name, rule, world, persona)}
    if rule.form is not None:
        form = fill_values(rule.form, app_name, rule, world, persona)
        kwargs["data"] = {**form, "csrf_token": csrf_token(client, SECRET)}
    elif rule.body is not None:
        kwargs["json"] = fill_values(rule.body, app_name, rule, world, persona)
    with client.open(url, **kwargs) as response:
        return outcome(client, response, "" if app_name == "pages" else f"/{app_name}")


def test_every_route_has_a_rule_and_every_visitor_gets_what_the_rule_says(apps, databases):
    routes = sorted(set(every_route(apps)))
    missing = [route_key(*key) for key in routes if route_key(*key) not in RULES]
    assert not missing, "these routes have no rule in tests/authorisation_rules.py:\n  " + "\n  ".join(missing)
    stale = sorted(set(RULES) - {route_key(*key) for key in routes})
    assert not stale, "these rules name no route (remove them): " + ", ".join(stale)
    wrong = []
    world = None
    # Reads share a world; a route that may change it gets a fresh one (and, if the rule says so, again after
    # each visitor who got past the gate).
    for key in sorted(routes, key=lambda k: k[1] != "GET"):
        rule = RULES[route_key(*key)]
        if world is None or key[1] != "GET":
            world = build_world(databases, apps)
        got = ""
        for persona, expected in zip(PERSONAS, rule.outcomes.split(), strict=True):
            if rule.fresh and matches("ok", got):  # the last visitor removed what this one should meet
                world = build_world(databases, apps)
            got = attempt(apps, key, rule, world, persona)
            if not matches(expected, got):
                wrong.append(f"{route_key(*key)} as {persona}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
