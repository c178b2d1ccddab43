"""Abuse limits on booking: anonymous request submission and private-link use, per client address.

The API answers a 429 problem (Dutch first, ``Retry-After``), the pages a friendly Dutch page. Each test sets
small limits of its own; the suite's defaults (tests/conftest.py) are high so other tests never meet them.
"""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.booking.app import create_app
from services.booking.web import create_pages_app
from shared.auth import Principal, sign_api_token
from shared.config import ConfigError, load_settings
from shared.db import Database
from tests.booking_fixtures import SECRET, at, request_body
from tests.conftest import REDIS_URL

RESIDENT = {"REMOTE_ADDR": "198.51.100.1"}
NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.2"}


def api(environ: dict[str, str], database: Database, **limits: str) -> Flask:
    app = create_app(load_settings("booking", {**environ, **limits}), database)
    app.testing = True
    return app


def pages(environ: dict[str, str], database: Database, **limits: str) -> Flask:
    app = create_pages_app(load_settings("booking", {**environ, **limits}), database)
    app.testing = True
    return app


def assert_api_refusal(response) -> None:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("/too-many-requests")
    assert response.json["title"] == "Too many requests"
    assert response.json["code"] == "too_many_requests"
    assert response.json["detail"].startswith("Too many requests from your address")
    assert int(response.headers["Retry-After"]) > 0


def assert_page_refusal(response) -> None:
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/html")
    text = response.get_data(as_text=True)
    assert "Even geduld, alsjeblieft" in text and "persoonlijke links" in text
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture
def caravan(feed) -> int:
    return feed.asset(feed.location())


def submit(client: FlaskClient, asset: int, day: int, environ_base: dict[str, str] = RESIDENT, **kwargs):
    body = request_body(asset, at(day, 10), at(day, 15))
    if "headers" in kwargs:  # staff file on behalf of a resident
        body["proxy"] = {"consent": "desk"}
    return client.post("/requests", json=body, environ_base=environ_base, **kwargs)


def test_anonymous_submissions_are_limited_per_client_staff_are_not(environ, booking_db, caravan):
    client = api(environ, booking_db, BOOKING_SUBMIT_LIMIT="2 per hour").test_client()
    accepted = submit(client, caravan, 1)
    assert accepted.status_code == 201
    assert "Retry-After" not in accepted.headers  # Flask-Limiter put its window's reset there (up to an hour)
    # no X-RateLimit-* headers: reading them would cost a second Redis call on every limited request
    assert not [name for name, _ in accepted.headers.items() if name.lower().startswith("x-ratelimit")]
    assert client.post("/requests", json={}, environ_base=RESIDENT).status_code == 422  # every attempt counts
    refused = submit(client, caravan, 2)
    assert_api_refusal(refused)
    # the refusal says when the moving window has room again: within the hour, not a default
    assert 60 < int(refused.headers["Retry-After"]) <= 3600
    assert submit(client, caravan, 3, environ_base=NEIGHBOUR).status_code == 201  # another resident
    staff = Principal(staff_id=5, name="Balie", role="admin", location_ids=frozenset())
    token = {"Authorization": f"Bearer {sign_api_token(SECRET, staff)}"}
    for day in (4, 5, 6):  # staff at the counter file for residents, from the same address
        assert submit(client, caravan, day, headers=token).status_code == 201


def test_guessing_private_links_is_slowed_down_and_opening_ones_own_link_is_not(environ, booking_db, caravan):
    client = api(
        environ, booking_db, BOOKING_STATUS_LINK_MISS_LIMIT="3 per hour", BOOKING_STATUS_LINK_LIMIT="8 per hour"
    ).test_client()
    link = submit(client, caravan, 1).json["status_url"]
    for _ in range(5):  # opening one's own link often does not count as guessing
        assert client.get(link, environ_base=RESIDENT).status_code == 200
    for guess in range(3):
        assert client.get(f"/status/guess{guess}", environ_base=RESIDENT).status_code == 404
    assert_api_refusal(client.get("/status/guess3", environ_base=RESIDENT))
    assert_api_refusal(client.post(f"{link}/withdraw", json={"reason": "x"}, environ_base=RESIDENT))
    assert client.get(link, environ_base=NEIGHBOUR).status_code == 200


def test_every_use_of_a_private_link_counts_towards_its_limit(environ, booking_db, caravan):
    client = api(environ, booking_db, BOOKING_STATUS_LINK_LIMIT="3 per hour").test_client()
    link = submit(client, caravan, 1).json["status_url"]
    assert client.get(link, environ_base=RESIDENT).status_code == 200
    assert client.patch(f"{link}/contact", json={"phone": "09 123 45 67"}, environ_base=RESIDENT).status_code == 200
    assert client.get(link, environ_base=RESIDENT).status_code == 200
    assert_api_refusal(client.get(link, environ_base=RESIDENT))


def test_the_status_page_answers_too_many_guesses_with_a_friendly_dutch_page(environ, booking_db, caravan):
    link = submit(api(environ, booking_db).test_client(), caravan, 1).json["status_url"]
    app = pages(environ, booking_db, BOOKING_STATUS_LINK_MISS_LIMIT="2 per hour")
    app.config["WTF_CSRF_ENABLED"] = False  # the form's token comes from a page this client may not open now
    client = app.test_client()
    assert client.get(link, environ_base=RESIDENT).status_code == 200
    for guess in range(2):
        assert client.get(f"/status/guess{guess}", environ_base=RESIDENT).status_code == 404
    assert_page_refusal(client.get(link, environ_base=RESIDENT))
    assert_page_refusal(client.post(f"{link}/intrekken", data={}, environ_base=RESIDENT))
    english = client.get(link, environ_base=RESIDENT, headers={"Cookie": "uitleen_taal=en"})
    assert english.status_code == 429
    assert client.get(link, environ_base=NEIGHBOUR).status_code == 200


def test_guesses_through_the_api_and_the_pages_count_together_in_redis(environ, booking_db, caravan):
    shared = {"RATELIMIT_STORAGE_URL": REDIS_URL, "BOOKING_STATUS_LINK_MISS_LIMIT": "4 per hour"}
    address = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"}  # not an earlier run's
    through_api = api(environ, booking_db, **shared).test_client()
    through_pages = pages(environ, booking_db, **shared).test_client()
    for client in (through_api, through_pages, through_api, through_pages):
        assert client.get(f"/status/guess-{uuid.uuid4().hex}", environ_base=address).status_code == 404
    assert through_api.get("/status/one-more", environ_base=address).status_code == 429
    assert through_pages.get("/status/one-more", environ_base=address).status_code == 429


@pytest.mark.parametrize(
    "variable", ["BOOKING_SUBMIT_LIMIT", "BOOKING_STATUS_LINK_LIMIT", "BOOKING_STATUS_LINK_MISS_LIMIT"]
)
def test_a_malformed_limit_stops_start_up_naming_the_variable(environ, booking_db, variable):
    with pytest.raises(ConfigError, match=variable):
        api(environ, booking_db, **{variable: "lots"})
    with pytest.raises(ConfigError, match=variable):
        pages(environ, booking_db, **{variable: "30 per fortnight"})
