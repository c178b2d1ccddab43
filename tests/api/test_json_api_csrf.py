"""Cross-site request forgery on the JSON API (shared/guard.py): every write route of every service's ``url_map``.

With the staff session cookie a browser sends on its own, a write needs ``Content-Type: application/json`` and
the ``X-Requested-With`` header, which a cross-site page cannot send without a CORS preflight that no service
grants. So a form-encoded or text/plain body is refused with a 415, JSON (or no body at all) without the header
with a 403; JSON with the header passes this rule (and meets the route's own rules). A bearer token is no ambient
credential and needs no header; the public's writes (a request, the private link) need JSON too.
"""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shared.auth import SESSION_COOKIE
from shared.guard import CSRF_HEADER
from tests.booking_fixtures import at, request_body
from tests.support.api_routes import WRITES, Route, json_routes
from tests.support.clients import bare_client

FORGED = [
    (
        "form-encoded",
        {"data": "reason=weg&email=an%40example.org", "content_type": "application/x-www-form-urlencoded"},
    ),
    ("text/plain", {"data": '{"reason": "weg"}', "content_type": "text/plain"}),
    ("multipart", {"data": {"reason": "weg"}, "content_type": "multipart/form-data"}),
]


def problem_type(response: TestResponse) -> str:
    return str((response.json or {}).get("type", "")).rsplit("/", 1)[-1] if response.is_json else ""


def refused_by_the_rule(response: TestResponse) -> bool:
    return problem_type(response) in ("csrf-header-missing", "unsupported-media-type")


def with_cookie(client: FlaskClient, cookie: str) -> FlaskClient:
    client.set_cookie(SESSION_COOKIE, cookie)
    return client


def test_every_json_write_with_the_session_cookie_needs_json_and_the_header(service_apps, admin_credentials):
    routes = list(json_routes(service_apps, WRITES))
    assert len(routes) >= 30, [r.label for r in routes]
    assert {
        "POST /booking/requests/<int:request_id>/approve",
        "POST /booking/requests/<int:request_id>/pick-up",
        "POST /booking/requests/<int:request_id>/return",
        "POST /booking/requests/<int:request_id>/withdraw",
        "POST /booking/requests/<int:request_id>/status-link",
        "POST /inventory/auth/logout",
    } <= {r.label for r in routes}
    wrong = []
    for route in routes:
        app = service_apps[route.app]
        forger = with_cookie(bare_client(app), admin_credentials["cookie"])  # what another site makes a browser send
        ours = with_cookie(app.test_client(), admin_credentials["cookie"])  # our own pages: the header is sent

        def expect(what: str, response: TestResponse, status: int, route: Route = route) -> None:
            if response.status_code != status or not refused_by_the_rule(response):
                wrong.append(f"{route.label} {what}: {response.status_code} {problem_type(response)}")

        for what, body in FORGED:
            expect(what, forger.open(route.path(), method=route.method, **body), 415)
            expect(f"{what} with the header", ours.open(route.path(), method=route.method, **body), 415)
        expect("JSON without the header", forger.open(route.path(), method=route.method, json={}), 403)
        expect("no body without the header", forger.open(route.path(), method=route.method), 403)
        for what, response in (
            ("JSON with the header", ours.open(route.path(), method=route.method, json={})),
            ("no body with the header", ours.open(route.path(), method=route.method)),
        ):
            if refused_by_the_rule(response) or response.status_code >= 500:
                wrong.append(f"{route.label} {what}: {response.status_code} {problem_type(response)}")
    assert wrong == []


def test_a_bearer_token_needs_no_header_but_still_json(service_apps, admin_credentials):
    bearer = {"Authorization": f"Bearer {admin_credentials['token']}"}
    for route in json_routes(service_apps, WRITES):
        client = bare_client(service_apps[route.app])
        # a stale cookie beside the token changes nothing: the token is who is asking (shared.auth)
        with_cookie(client, admin_credentials["cookie"])
        passed = client.open(route.path(), method=route.method, json={}, headers=bearer)
        assert not refused_by_the_rule(passed) and passed.status_code < 500, (route.label, passed.json)
        form = client.open(route.path(), method=route.method, data="a=b", content_type="text/plain", headers=bearer)
        assert form.status_code == 415, (route.label, form.status_code)


def test_the_publics_writes_need_json_but_no_header(service_apps, feed):
    asset = feed.asset(feed.location())
    public = bare_client(service_apps["booking"])
    body = request_body(asset, at(1, 10), at(1, 15))
    as_text = public.post("/requests", data=json.dumps(body), content_type="text/plain")
    assert as_text.status_code == 415 and problem_type(as_text) == "unsupported-media-type"
    created = public.post("/requests", json=body)
    assert created.status_code == 201, created.json
    link = created.json["status_url"]
    form = public.post(f"{link}/withdraw", data="reason=weg", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert public.post(f"{link}/withdraw", json={"reason": "weg"}).status_code == 200


def test_no_service_answers_a_cors_preflight_so_the_header_cannot_come_from_another_site(service_apps):
    """The header rule rests on this: a browser sends X-Requested-With cross-origin only after a preflight that
    allows it. No service sends Access-Control-Allow-* on any route (preflight or not)."""
    preflight = {
        "Origin": "https://elders.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": f"{CSRF_HEADER}, Content-Type",
    }
    for route in json_routes(service_apps, WRITES):
        client = bare_client(service_apps[route.app])
        for response in (
            client.open(route.path(), method="OPTIONS", headers=preflight),
            client.open(route.path(), method=route.method, json={}, headers={"Origin": preflight["Origin"]}),
        ):
            granted = [name for name, _ in response.headers if name.lower().startswith("access-control-allow")]
            assert granted == [], (route.label, granted)
