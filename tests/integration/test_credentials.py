"""Credentials across the three services, through the real event path (inventory's outbox → booking and notify).

- A token minted by a token (or by a session) dies with its parent at inventory at once, and at booking and
  notify once ``inventory.token.revoked`` arrives; logging out ends the session's tokens too.
- A child never outlives its parent's expiry.
- A changed account (role, centres, deactivation) stops older sessions and tokens at inventory at once, and
  at booking and notify once ``inventory.staff.changed`` (v1) arrives.
- Owners list their own tokens; administrators everyone's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.inventory.domain.staff import create_staff
from shared import clock
from shared.consumer import APPLIED
from tests.booking_fixtures import InventoryFeed, at, request_body
from tests.conftest import STAFF_PASSWORD
from tests.integration.test_token_revocation import deliver

pytestmark = pytest.mark.postgres


class World:
    def __init__(self, inventory_app: Flask, databases, booking_app: Flask, notify_app: Flask, environ) -> None:
        self.inventory_app, self.databases, self.environ = inventory_app, databases, environ
        self.booking = booking_app.test_client()
        self.notify = notify_app.test_client()
        self.handlers = notify_app.extensions["notify_handlers"]

    def pages(self) -> FlaskClient:
        from services.booking.web import create_pages_app
        from shared.config import load_settings

        settings = load_settings("booking", self.environ)
        return create_pages_app(settings, self.databases["booking"]).test_client()

    def login(self, email: str) -> FlaskClient:
        client = self.inventory_app.test_client()
        response = client.post("/auth/login", json={"email": email, "password": STAFF_PASSWORD})
        assert response.status_code == 200, response.json
        return client

    def mint(self, client: FlaskClient, name: str, bearer: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        issued = client.post("/auth/tokens", json={"name": name}, headers=headers)
        assert issued.status_code == 201, issued.json
        return dict(issued.json)

    def deliver(self) -> dict[str, list]:
        d = self.databases
        return deliver(d["inventory"], d["booking"], d["notify"], self.handlers)

    def statuses(self, bearer: str, inventory_path: str, booking_path: str, notify_path: str) -> tuple[int, ...]:
        headers = {"Authorization": f"Bearer {bearer}"}
        return (
            self.inventory_app.test_client().get(inventory_path, headers=headers).status_code,
            self.booking.get(booking_path, headers=headers).status_code,
            self.notify.get(notify_path, headers=headers).status_code,
        )


@pytest.fixture
def world(inventory_app, databases, booking_app, notify_app, feed, environ) -> World:
    return World(inventory_app, databases, booking_app, notify_app, environ)


@pytest.fixture
def accounts(databases, feed: InventoryFeed) -> dict[str, int]:
    centre_a, centre_b = feed.location(), feed.location()
    with databases["inventory"].transaction() as session:
        ids = {
            "admin": create_staff(session, "admin@example.org", "Admin", STAFF_PASSWORD, "admin", []).id,
            "boss": create_staff(session, "boss@example.org", "Boss", STAFF_PASSWORD, "admin", []).id,
            "staff": create_staff(session, "an@example.org", "An", STAFF_PASSWORD, "staff", ["bc-1", "bc-2"]).id,
        }
    return {**ids, "centre_a": centre_a, "centre_b": centre_b}


EVERYWHERE = ("/auth/me", "/requests", "/deliveries")
ADMIN_ONLY = ("/staff-accounts", "/privacy/actions", "/dead-letters")


def test_a_child_token_dies_with_its_parent_at_every_service(world, accounts):
    admin = world.login("admin@example.org")
    parent = world.mint(admin, "kalender")
    child = world.mint(admin, "kalender-kopie", bearer=parent["token"])
    grandchild = world.mint(admin, "nog een", bearer=child["token"])
    assert (child["parent_id"], child["parent_kind"]) == (parent["id"], "token")
    assert parent["parent_kind"] == "session"
    world.deliver()
    assert world.statuses(grandchild["token"], *EVERYWHERE) == (200, 200, 200)

    assert admin.delete(f"/auth/tokens/{parent['id']}").status_code == 204
    # inventory refuses at once, before any event has travelled
    assert world.statuses(grandchild["token"], *EVERYWHERE)[0] == 401
    outcomes = world.deliver()
    for service in ("booking", "notify"):
        assert [(e.type, e.payload["token_id"], o) for e, o in outcomes[service]] == [
            ("inventory.token.revoked", parent["id"], APPLIED)
        ]
    for token in (parent, child, grandchild):
        assert world.statuses(token["token"], *EVERYWHERE) == (401, 401, 401)
    listed = {t["id"]: t["revoked_at"] for t in admin.get("/auth/tokens").json}
    assert all(listed[t["id"]] for t in (parent, child, grandchild))


def test_logging_out_ends_the_session_and_the_tokens_it_minted(world, accounts):
    admin = world.login("admin@example.org")
    token = world.mint(admin, "script")
    world.deliver()
    assert world.statuses(token["token"], *EVERYWHERE) == (200, 200, 200)
    cookie = admin.get_cookie("uitleen_staff")
    assert cookie is not None
    assert admin.post("/auth/logout").status_code == 204
    world.deliver()
    assert world.statuses(token["token"], *EVERYWHERE) == (401, 401, 401)
    stolen = world.booking  # the old cookie, replayed after logout, is refused too: by the API and the pages
    stolen.set_cookie("uitleen_staff", cookie.value)
    assert stolen.get("/requests").status_code == 401
    stolen.delete_cookie("uitleen_staff")
    pages = world.pages()
    pages.set_cookie("uitleen_staff", cookie.value)
    assert "/inventory/login" in pages.get("/staff").headers.get("Location", "")


def test_a_child_never_outlives_its_parent(world, accounts, environ):
    admin = world.login("admin@example.org")
    parent = world.mint(admin, "kort")
    child = world.mint(admin, "kind", bearer=parent["token"])
    session_end = clock.now() + timedelta(hours=12)
    for token in (parent, child):
        ends = datetime.fromisoformat(token["expires_at"])
        assert ends <= session_end + timedelta(seconds=1)
    assert datetime.fromisoformat(child["expires_at"]) <= datetime.fromisoformat(parent["expires_at"])
    world.deliver()
    clock.set_clock(datetime.fromisoformat(parent["expires_at"]).astimezone(UTC) + timedelta(seconds=1))
    assert world.statuses(child["token"], *EVERYWHERE) == (401, 401, 401)


def test_a_role_downgrade_stops_admin_only_actions_at_every_service(world, accounts):
    admin = world.login("admin@example.org")
    boss = world.login("boss@example.org")
    token = world.mint(boss, "beheer")
    world.deliver()
    assert world.statuses(token["token"], *ADMIN_ONLY) == (200, 200, 200)

    changed = admin.patch(f"/staff-accounts/{accounts['boss']}", json={"role": "staff"})
    assert changed.status_code == 200 and changed.json["role"] == "staff", changed.json
    assert boss.get("/staff-accounts").status_code == 401  # inventory: at once, the old cookie too
    assert world.statuses(token["token"], *ADMIN_ONLY)[0] == 401
    outcomes = world.deliver()
    for service in ("booking", "notify"):
        [(envelope, outcome)] = outcomes[service]
        assert (envelope.type, envelope.version, outcome) == ("inventory.staff.changed", 1, APPLIED)
        assert envelope.payload["staff_id"] == accounts["boss"]
    assert world.statuses(token["token"], *ADMIN_ONLY) == (401, 401, 401)

    # logging in again gives the new claims: staff, so the admin-only actions are forbidden
    again = world.login("boss@example.org")
    fresh = world.mint(again, "beheer")
    assert world.statuses(fresh["token"], *ADMIN_ONLY) == (403, 403, 403)


def test_a_removed_centre_stops_that_centres_requests(world, accounts, booking_client):
    feed = InventoryFeed(world.databases["inventory"], world.databases["booking"])
    asset = feed.asset(accounts["centre_b"], code="naaimachine")
    created = booking_client.post("/requests", json=request_body(asset, at(1, 10), at(1, 15)))
    assert created.status_code == 201, created.json
    request_path = f"/requests/{created.json['request_id']}"
    staff = world.login("an@example.org")
    token = world.mint(staff, "balie")
    bearer = {"Authorization": f"Bearer {token['token']}"}
    world.deliver()
    assert world.booking.get(request_path, headers=bearer).status_code == 200

    admin = world.login("admin@example.org")
    changed = admin.patch(f"/staff-accounts/{accounts['staff']}", json={"location_ids": [accounts["centre_a"]]})
    assert changed.status_code == 200 and changed.json["location_ids"] == [accounts["centre_a"]]
    world.deliver()
    assert world.booking.get(request_path, headers=bearer).status_code == 401
    fresh = world.mint(world.login("an@example.org"), "balie")
    assert world.booking.get(request_path, headers={"Authorization": f"Bearer {fresh['token']}"}).status_code == 403


def test_a_deactivated_account_is_refused_everywhere(world, accounts):
    staff = world.login("an@example.org")
    token = world.mint(staff, "balie")
    world.deliver()
    admin = world.login("admin@example.org")
    assert admin.patch(f"/staff-accounts/{accounts['staff']}", json={"active": False}).status_code == 200
    world.deliver()
    assert world.statuses(token["token"], *EVERYWHERE) == (401, 401, 401)
    refused = world.inventory_app.test_client().post(
        "/auth/login", json={"email": "an@example.org", "password": STAFF_PASSWORD}
    )
    assert refused.status_code == 401


def test_an_administrator_cannot_change_their_own_claims(world, accounts):
    admin = world.login("admin@example.org")
    for change in ({"role": "staff"}, {"active": False}, {"location_ids": []}, {"password": "een nieuw wachtwoord"}):
        refused = admin.patch(f"/staff-accounts/{accounts['admin']}", json=change)
        assert refused.status_code == 403, (change, refused.json)
    assert admin.patch(f"/staff-accounts/{accounts['admin']}", json={"name": "Beheerder"}).status_code == 200
    assert admin.get("/staff-accounts").status_code == 200
    assert world.deliver() == {"booking": [], "notify": []}


def test_a_name_change_voids_nothing(world, accounts):
    staff = world.login("an@example.org")
    token = world.mint(staff, "balie")
    admin = world.login("admin@example.org")
    assert admin.patch(f"/staff-accounts/{accounts['staff']}", json={"name": "An V."}).status_code == 200
    assert world.deliver() == {"booking": [], "notify": []}
    assert world.statuses(token["token"], *EVERYWHERE) == (200, 200, 200)


def test_owners_list_their_own_tokens_and_admins_everyones(world, accounts):
    staff = world.login("an@example.org")
    admin = world.login("admin@example.org")
    mine = world.mint(staff, "balie")
    theirs = world.mint(admin, "kalender")
    listed = staff.get("/auth/tokens").json
    assert [t["id"] for t in listed] == [mine["id"]]
    assert set(listed[0]) >= {"id", "name", "created_at", "expires_at", "revoked_at", "parent_id", "parent_kind"}
    assert "token" not in listed[0]
    assert staff.get(f"/auth/tokens?staff_id={accounts['admin']}").status_code == 403
    assert staff.delete(f"/auth/tokens/{theirs['id']}").status_code == 404
    assert {t["id"] for t in admin.get("/auth/tokens").json} == {mine["id"], theirs["id"]}
    assert [t["id"] for t in admin.get(f"/auth/tokens?staff_id={accounts['staff']}").json] == [mine["id"]]
    assert admin.delete(f"/auth/tokens/{mine['id']}").status_code == 204
    assert staff.get("/auth/tokens").json[0]["revoked_at"] is not None
