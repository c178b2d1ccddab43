"""The OpenAPI documents promise what the services answer (shared/openapi.py).

No operation has a blanket ``default`` response, each names its security, and what every kind of visitor gets
from every JSON route (from the apps' ``url_map``) is a status its operation lists: the fuzzers run as an
administrator or staff with a bearer token, so here the public, staff of another centre and a session cookie
without the cross-site header are asked too, against a small real world (two centres, the caravan at the first,
a pending request for it).
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from shared.auth import SESSION_COOKIE
from tests.booking_fixtures import at, request_body, staff_cookie
from tests.fuzzing import BOOKING_STATUSES_PENDING
from tests.support.api_routes import WRITES, json_routes, openapi
from tests.support.clients import bare_client

STAFF = [{"staffSession": []}, {"bearerToken": []}]


def test_no_operation_has_a_blanket_default_and_each_names_its_security(service_apps):
    for name, app in service_apps.items():
        document = openapi(app)
        schemes = document["components"]["securitySchemes"]
        assert schemes["staffSession"] == {**schemes["staffSession"], "type": "apiKey", "in": "cookie"}
        assert schemes["staffSession"]["name"] == SESSION_COOKIE and schemes["bearerToken"]["scheme"] == "bearer"
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if method == "parameters":  # the path's own, not an operation
                    continue
                label = f"{method.upper()} /{name}{path}"
                responses = operation["responses"]
                assert "default" not in responses, label
                assert "503" in responses, label  # the database may be away from any of them
                assert operation["security"] in (STAFF, [{}, *STAFF]), label
                if method.upper() in WRITES:
                    assert {"400", "403", "413", "415", "422"} <= set(responses), label
                if "{" in path:
                    assert "404" in responses, label
                if "401" in responses and label != "POST /inventory/auth/login":  # a wrong password, not "log in"
                    assert operation["security"] == STAFF, label


def visitors(app: Flask, other_centre: int) -> dict[str, FlaskClient]:
    other = app.test_client()  # sends X-Requested-With, as our pages do
    other.set_cookie(SESSION_COOKIE, staff_cookie([other_centre]))
    forgetful = bare_client(app)  # a staff cookie, but no X-Requested-With: refused on writes
    forgetful.set_cookie(SESSION_COOKIE, staff_cookie([other_centre]))
    return {"anonymous": bare_client(app), "staff of another centre": other, "cookie without header": forgetful}


def test_what_every_visitor_gets_from_every_json_route_is_documented(service_apps, feed):
    centre, other_centre = feed.location(), feed.location()
    asset = feed.asset(centre)
    created = service_apps["booking"].test_client().post("/requests", json=request_body(asset, at(1, 10), at(1, 15)))
    assert created.status_code == 201, created.json
    values = {
        "request_id": created.json["request_id"],
        "item_id": created.json["items"][0]["item_id"],
        "asset_id": asset,
        "location_id": centre,
        "token": created.json["status_url"].rsplit("/", 1)[1],
    }
    undocumented = []
    checked = 0
    for route in json_routes(service_apps):
        if route.app == "booking" and route.operation_label in BOOKING_STATUSES_PENDING:
            continue
        for who, client in visitors(service_apps[route.app], other_centre).items():
            kwargs = {"json": {}} if route.method in WRITES else {}
            with client.open(route.path(**values), method=route.method, **kwargs) as response:
                checked += 1
                if str(response.status_code) not in route.operation["responses"]:
                    undocumented.append(f"{route.label} as {who}: {response.status_code}")
    assert checked > 100 and undocumented == []
