"""The JSON API routes of the services, taken from each app's ``url_map`` and kept when its OpenAPI document lists
them (the HTML pages and the frame's health, metrics and docs routes are not JSON routes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from shared.config import load_settings
from shared.db import Database
from shared.migrations import upgrade
from tests.conftest import ROOT, STAFF_PASSWORD

WRITES = ("POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def _braces(match: re.Match[str]) -> str:
    return "{" + match.group(2) + "}"


@dataclass(frozen=True)
class Route:
    app: str
    method: str
    rule: str
    operation: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} /{self.app}{self.rule}"

    @property
    def operation_label(self) -> str:
        """As schemathesis names the operation: ``POST /requests/{request_id}/approve``."""
        return f"{self.method} {PLACEHOLDER.sub(_braces, self.rule)}"

    def path(self, **values: object) -> str:
        """The rule with its placeholders filled: ``values`` by name, else 1 for an int and ``x`` for a string."""

        def fill(match: re.Match[str]) -> str:
            converter, name = match.groups()
            return str(values.get(name, 1 if converter == "int" else "x"))

        return PLACEHOLDER.sub(fill, self.rule)

    def int_parameters(self) -> list[str]:
        return [name for converter, name in PLACEHOLDER.findall(self.rule) if converter == "int"]

    def query_parameters(self) -> list[dict[str, Any]]:
        return [p for p in self.operation.get("parameters", []) if p.get("in") == "query"]


def openapi(app: Flask) -> dict[str, Any]:
    with app.test_client().get("/openapi.json") as response:
        assert response.status_code == 200
        document: dict[str, Any] = response.json
        return document


def json_routes(apps: dict[str, Flask], methods: tuple[str, ...] = ("GET", *WRITES)) -> Iterator[Route]:
    for name, app in apps.items():
        paths = openapi(app)["paths"]
        for rule in app.url_map.iter_rules():
            documented = paths.get(PLACEHOLDER.sub(_braces, rule.rule), {})
            for method in sorted(set(rule.methods or ()) & set(methods)):
                if method.lower() in documented:
                    yield Route(name, method, rule.rule, documented[method.lower()])


@pytest.fixture
def service_apps(inventory_app: Flask, databases: dict[str, Database], environ: dict[str, str]) -> dict[str, Flask]:
    """The three services' apps on the test databases (inventory's is tests/conftest.py's ``inventory_app``)."""
    from services.booking.app import create_app as booking_app
    from services.notify.app import create_app as notify_app

    apps = {"inventory": inventory_app}
    for name, factory in (("booking", booking_app), ("notify", notify_app)):
        apps[name] = factory(load_settings(name, environ), databases[name])
        apps[name].testing = True
    return apps


@pytest.fixture
def admin_credentials(inventory_app: Flask, staff_account: dict[str, object]) -> dict[str, str]:
    """A real administrator's session cookie (from the JSON login) and bearer token (from POST /auth/tokens)."""
    return _credentials(inventory_app)


def _credentials(inventory_app: Flask) -> dict[str, str]:
    client = inventory_app.test_client()
    login = client.post("/auth/login", json={"email": "admin@example.org", "password": STAFF_PASSWORD})
    assert login.status_code == 200, login.json
    cookie = login.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    issued = client.post("/auth/tokens", json={"name": "guard tests"})
    assert issued.status_code == 201, issued.json
    return {"cookie": cookie, "token": issued.json["token"]}


def sqlite_service_apps(directory: Path, environ: dict[str, str]) -> tuple[dict[str, Flask], dict[str, str]]:
    """The three services as the embedded default runs them, on migrated SQLite files in ``directory``, with an
    administrator's credentials like ``admin_credentials``'s."""
    from services.booking.app import create_app as booking_app
    from services.inventory.app import create_app as inventory_app
    from services.inventory.domain.staff import create_staff
    from services.notify.app import create_app as notify_app

    factories = {"inventory": inventory_app, "booking": booking_app, "notify": notify_app}
    apps = {}
    for name, factory in factories.items():
        url = f"sqlite:///{directory / f'{name}.sqlite'}"
        upgrade(ROOT / "services" / name / "migrations", url)
        settings = load_settings(name, {**environ, f"{name.upper()}_DATABASE_URL": url})
        apps[name] = factory(settings, Database(url))
        apps[name].testing = True
    with apps["inventory"].extensions["database"].transaction() as session:
        create_staff(session, "admin@example.org", "Test Admin", STAFF_PASSWORD, "admin", [])
    return apps, _credentials(apps["inventory"])


@pytest.fixture(params=["postgres", "sqlite"])
def apps_on_each_database(
    request: pytest.FixtureRequest, tmp_path: Path, environ: dict[str, str]
) -> tuple[dict[str, Flask], dict[str, str]]:
    """The three services with an administrator's credentials, on PostgreSQL and on SQLite (the embedded default)."""
    if request.param == "sqlite":
        return sqlite_service_apps(tmp_path, environ)
    return request.getfixturevalue("service_apps"), request.getfixturevalue("admin_credentials")
