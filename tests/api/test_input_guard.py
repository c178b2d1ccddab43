"""The input guard (shared/guard.py) on every JSON route of every service, taken from the apps' ``url_map``.

Unsafe bodies are refused the same way on every write, before identity, limiters or schemas are asked; query
integers beyond the columns are a 422 naming the parameter; and hypothesis sends arbitrary JSON shapes, nesting,
huge numbers and wrong content types, as the public, with a bearer token and with the session cookie: the answer
is always a 4xx or 2xx, a problem when it is an error, never a 5xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from shared.auth import SESSION_COOKIE
from shared.guard import MAX_JSON_DEPTH
from tests.support.api_routes import WRITES, Route, json_routes
from tests.support.clients import bare_client

PROBLEM = "application/problem+json"


def anonymous(app: Flask) -> FlaskClient:
    return bare_client(app)


def check_is_a_clean_refusal_or_success(route: Route, response: TestResponse, sent: str) -> None:
    """Raises AssertionError for a 5xx, or an error that is not what the operation documents for it."""
    status = response.status_code
    assert status < 500, f"{route.label} answered {status} to {sent[:200]!r}: {response.get_data(as_text=True)[:300]}"
    if status >= 400:
        documented = route.operation["responses"].get(str(status), {})
        expected = set(documented.get("content", {})) if "content" in documented else {PROBLEM}
        assert response.mimetype in expected, f"{route.label} answered {status} as {response.mimetype}"


UNSAFE_BODIES = [
    # (body, status, problem type, pointer of the value named)
    ("[" * 100_000 + "]" * 100_000, 400, "json-too-deep", None),
    ('{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1), 400, "json-too-deep", None),
    ('{"email": ' + "1" * 5000 + "}", 422, "validation-error", "#/email"),
    ('{"items": [{"quantity": 18446744073709551616}]}', 422, "validation-error", "#/items/0/quantity"),
    ('{"reason": "x", "override_buffers": 1e999}', 422, "validation-error", "#/override_buffers"),
    ('{"reason": "niet \\udc00 nodig"}', 422, "validation-error", "#/reason"),
    ('{"reason": NaN}', 400, "malformed-json", None),
    (b'{"reason": "\xff"}', 400, "malformed-json", None),
    ('{"reason": ', 400, "malformed-json", None),
]


def test_every_json_write_refuses_an_unsafe_body_first_and_the_same_way(apps_on_each_database):
    service_apps, _ = apps_on_each_database
    routes = list(json_routes(service_apps, WRITES))
    assert {"POST /inventory/auth/login", "POST /booking/requests", "POST /notify/privacy/export"} <= {
        r.label for r in routes
    }
    wrong = []
    for route in routes:
        client = anonymous(service_apps[route.app])  # the guard answers before identity is even asked
        for body, status, problem, pointer in UNSAFE_BODIES:
            response = client.open(route.path(), method=route.method, data=body, content_type="application/json")
            got = (response.status_code, response.json.get("type", "").rsplit("/", 1)[-1] if response.is_json else "")
            pointers = [e["pointer"] for e in (response.json or {}).get("errors", [])] if response.is_json else []
            if got != (status, problem) or (pointer is not None and pointers != [pointer]):
                wrong.append(f"{route.label} {str(body)[:40]!r}: {got} {pointers}")
            check_is_a_clean_refusal_or_success(route, response, str(body))
    assert wrong == []


def test_every_integer_in_a_query_or_path_beyond_the_columns_is_a_clean_refusal(apps_on_each_database):
    """?page=9223372036854775808 once was a 500 (on SQLite; on PostgreSQL a vague 422 from the database); every
    integer query parameter of every GET is tried."""
    service_apps, admin_credentials = apps_on_each_database
    headers = {"Authorization": f"Bearer {admin_credentials['token']}"}
    huge = ["9223372036854775808", "1" + "0" * 30, "9" * 5000]
    tried = []
    for route in json_routes(service_apps, ("GET",)):
        client = service_apps[route.app].test_client()
        for parameter in route.query_parameters():
            if parameter["schema"].get("type") != "integer":
                continue
            for value in huge:
                response = client.get(route.path(), query_string={parameter["name"]: value}, headers=headers)
                named = [e["field"] for e in response.json.get("errors", [])] if response.is_json else []
                assert response.status_code == 422 and parameter["name"] in named, (route.label, value, response.json)
                tried.append(f"{route.label}?{parameter['name']}")
        if route.int_parameters():
            response = client.get(route.path(**dict.fromkeys(route.int_parameters(), 2**63)), headers=headers)
            assert response.status_code == 404, (route.label, response.status_code)
            tried.append(route.label)
    assert {
        "GET /inventory/assets?page",
        "GET /booking/requests?page",
        "GET /notify/deliveries?request_id",
        "GET /notify/ical/locations/<int:location_id>.ics",
    } <= set(tried)


FIELDS = st.sampled_from(
    ["email", "password", "name", "reason", "items", "quantity", "asset_id", "code", "checks", "phone", "request_id"]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**64)
    | st.floats()
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(FIELDS | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)
BODIES = st.one_of(
    JSON_VALUES.map(json.dumps),  # any shape: objects, lists, strings, numbers, null (and NaN, Infinity)
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 3000).map(lambda n: '{"reason":' * n + '"x"' + "}" * n),
    st.integers(15, 6000).map(lambda n: '{"quantity": ' + "9" * n + "}"),
    st.sampled_from(["", "null", "[]", "{}", '"x"', "1", "true", "[1,", '{"x": "\\ud800"}', '{"email": []}']),
    st.binary(max_size=40),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/merge-patch+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ]
)


def test_any_body_in_any_content_type_to_any_json_write_is_answered_without_a_5xx(apps_on_each_database):
    service_apps, admin_credentials = apps_on_each_database
    routes = list(json_routes(service_apps, WRITES))
    clients: dict[str, dict[str, FlaskClient]] = {"anonymous": {}, "bearer": {}, "cookie": {}}
    for name, app in service_apps.items():
        clients["anonymous"][name] = anonymous(app)
        clients["bearer"][name] = app.test_client()
        clients["cookie"][name] = app.test_client()  # sends X-Requested-With, as our own pages do
        clients["cookie"][name].set_cookie(SESSION_COOKIE, admin_credentials["cookie"])
    counts: dict[int, int] = {}

    @given(
        route=st.sampled_from(routes),
        body=BODIES,
        content_type=CONTENT_TYPES,
        who=st.sampled_from(sorted(clients)),
        idempotency_key=st.none() | st.text(min_size=1, max_size=30),
    )
    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def send(route: Route, body: Any, content_type: str | None, who: str, idempotency_key: str | None) -> None:
        headers = {"Authorization": f"Bearer {admin_credentials['token']}"} if who == "bearer" else {}
        if idempotency_key and idempotency_key.isprintable():
            headers["Idempotency-Key"] = idempotency_key
        kwargs: dict[str, Any] = {"method": route.method, "data": body, "headers": headers}
        if content_type:
            kwargs["content_type"] = content_type
        response = clients[who][route.app].open(route.path(), **kwargs)
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
        check_is_a_clean_refusal_or_success(route, response, str(body))

    send()
    # the run reached past the guard, too: the schemas answered, and some bodies were taken
    assert counts.get(422, 0) and counts.get(415, 0) and counts.get(400, 0), counts


QUERY_VALUES = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.text(max_size=12),
    st.sampled_from(["9" * 5000, "1e999", "", "0", "-1", "²", "١٢", "1_000", " 7 "]),
)


def test_any_query_value_to_any_json_read_is_answered_without_a_5xx(apps_on_each_database):
    service_apps, admin_credentials = apps_on_each_database
    routes = [route for route in json_routes(service_apps, ("GET",)) if route.query_parameters()]
    headers = {"Authorization": f"Bearer {admin_credentials['token']}"}

    @given(route=st.sampled_from(routes), data=st.data())
    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def read(route: Route, data: st.DataObject) -> None:
        names = [p["name"] for p in route.query_parameters()]
        query = data.draw(st.dictionaries(st.sampled_from(names), QUERY_VALUES, max_size=len(names)))
        response = service_apps[route.app].test_client().get(route.path(), query_string=query, headers=headers)
        check_is_a_clean_refusal_or_success(route, response, str(query))

    read()


@pytest.mark.parametrize("body", ["[]", '"x"', "1", "null", '[{"email": "a@example.org"}]'])
def test_limiters_and_idempotency_read_any_json_shape(service_apps, body):
    """What reads the body before the schema does: the login back-off's key function (a list once made it a
    500), and the submission's limiter with an Idempotency-Key; the schema then refuses the shape."""
    login = anonymous(service_apps["inventory"]).post("/auth/login", data=body, content_type="application/json")
    assert login.status_code == 422, login.json
    submit = anonymous(service_apps["booking"]).post(
        "/requests", data=body, content_type="application/json", headers={"Idempotency-Key": "guard-shape-1"}
    )
    assert submit.status_code == 422, submit.json
