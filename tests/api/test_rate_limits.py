"""Login back-off and rate limits: a 429 problem with Retry-After; shared Redis storage in production."""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest

from services.inventory.app import create_app
from shared.config import ConfigError
from tests.conftest import REDIS_URL, STAFF_PASSWORD, settings_for


def attempt(client, password: str, email: str = "staff@example.org"):
    return client.post("/auth/login", json={"email": email, "password": password})


def test_repeated_wrong_passwords_are_slowed_down(client, staff_account):
    for _ in range(5):
        assert attempt(client, "wrong").status_code == 401
    refused = attempt(client, STAFF_PASSWORD)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    # Another account from the same address is not locked out by someone else's failures.
    assert attempt(client, "wrong", email="someone.else@example.org").status_code == 401


def test_successful_logins_do_not_count_towards_the_back_off(client, staff_account):
    for _ in range(8):
        assert attempt(client, STAFF_PASSWORD).status_code == 200


def test_limits_are_shared_through_redis_across_processes(inventory_db, environ, staff_account, redis_client):
    settings = dataclasses.replace(settings_for("inventory", environ), ratelimit_storage_url=REDIS_URL)
    # Two app instances stand for two gunicorn workers; a unique address keeps earlier runs out of the count.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    first, second = (create_app(settings, inventory_db).test_client() for _ in range(2))
    environ_base = {"REMOTE_ADDR": address}
    for client in (first, second, first, second, first):
        response = client.post(
            "/auth/login", json={"email": "staff@example.org", "password": "wrong"}, environ_base=environ_base
        )
        assert response.status_code == 401
    blocked = second.post(
        "/auth/login", json={"email": "staff@example.org", "password": STAFF_PASSWORD}, environ_base=environ_base
    )
    assert blocked.status_code == 429


def test_the_login_form_backs_off_with_a_dutch_page(client, staff_account):
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    form = {"csrf_token": token.group(1), "next": "/staff", "email": "staff@example.org"}
    for _ in range(5):
        assert client.post("/login", data={**form, "password": "wrong"}).status_code == 401
    refused = client.post("/login", data={**form, "password": STAFF_PASSWORD})
    assert refused.status_code == 429
    assert refused.headers["Content-Type"].startswith("text/html")
    assert "Te veel pogingen" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0


def test_the_login_limits_are_configurable(inventory_db, environ, staff_account):
    settings = settings_for("inventory", {**environ, "INVENTORY_LOGIN_FAILURE_LIMIT": "2 per hour"})
    client = create_app(settings, inventory_db).test_client()
    for _ in range(2):
        assert attempt(client, "wrong").status_code == 401
    assert attempt(client, STAFF_PASSWORD).status_code == 429
    with pytest.raises(ConfigError, match="INVENTORY_LOGIN_LIMIT"):
        create_app(settings_for("inventory", {**environ, "INVENTORY_LOGIN_LIMIT": "often"}), inventory_db)
