"""Web hardening, for every app (the three services and the pages), in the production configuration:
browser headers, HSTS, the cookies' flags, a start-up that refuses a missing or default secret, and logs that
keep the private link's token out.

(tests/api/test_health.py covers the headers of the services in development; tests/e2e/test_topology.py greps
the logs of a whole production run for secrets and personal data.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from flask import Flask

from services.booking.app import create_app as create_booking
from services.booking.web import create_pages_app
from services.inventory.app import create_app as create_inventory
from services.notify.app import create_app as create_notify
from shared.auth import SESSION_COOKIE
from shared.config import DEVELOPMENT_SECRET, load_settings
from shared.db import Database
from shared.logging import loggable_path
from tests.conftest import ROOT, STAFF_PASSWORD

PRODUCTION = {"UITLEEN_ENV": "production", "NOTIFY_MAIL_BACKEND": "smtp"}


def production_apps(environ: dict[str, str], databases: dict[str, Database]) -> dict[str, Flask]:
    settings = {service: load_settings(service, {**environ, **PRODUCTION}) for service in databases}
    return {
        "inventory": create_inventory(settings["inventory"], databases["inventory"]),
        "booking": create_booking(settings["booking"], databases["booking"]),
        "notify": create_notify(settings["notify"], databases["notify"]),
        "pages": create_pages_app(settings["booking"], databases["booking"]),
    }


def test_every_app_sends_the_hardening_headers_and_hsts_in_production(environ, databases):
    for name, app in production_apps(environ, databases).items():
        client = app.test_client()
        for path in ("/healthz", "/nowhere"):
            headers = client.get(path).headers
            policy = headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, name
            assert "object-src 'none'" in policy and "script-src 'self'" in policy and "unsafe-eval" not in policy
            assert headers["X-Content-Type-Options"] == "nosniff", name
            assert headers["X-Frame-Options"] == "DENY", name
            assert headers["Referrer-Policy"] == "no-referrer", name
            assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", name


def test_the_pages_send_the_hardening_headers_but_no_hsts_outside_production(environ, databases):
    client = create_pages_app(load_settings("booking", environ), databases["booking"]).test_client()
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in headers


def test_every_cookie_is_secure_httponly_and_same_site_in_production(environ, databases, staff_account):
    apps = production_apps(environ, databases)
    https = {"base_url": "https://uitleen.gent.be"}
    login = (
        apps["inventory"]
        .test_client()
        .post("/auth/login", json={"email": "staff@example.org", "password": STAFF_PASSWORD}, **https)
    )
    pages = apps["pages"].test_client()
    language = pages.get("/taal/en?terug=/", **https)  # the language cookie (found without Secure, now fixed)
    request_form = pages.get("/", **https)  # the pages' session (CSRF) cookie is made when a form needs it
    staff_form = apps["inventory"].test_client().get("/login", **https)
    cookies = {
        name: header
        for response in (login, language, request_form, staff_form)
        for header in response.headers.getlist("Set-Cookie")
        for name in [header.split("=", 1)[0]]
    }
    assert SESSION_COOKIE in cookies and "uitleen_pages" in cookies, sorted(cookies)
    for name, header in cookies.items():
        flags = {part.strip().lower() for part in header.split(";")[1:]}
        assert {"secure", "httponly"} <= flags, (name, header)
        assert "samesite=lax" in flags or "samesite=strict" in flags, (name, header)


@pytest.mark.parametrize(
    "secret", [None, DEVELOPMENT_SECRET, "short-but-not-default"], ids=["missing", "default", "short"]
)
def test_production_refuses_to_start_without_a_real_secret(environ, secret):
    # The very entry points gunicorn loads (deploy/Procfile), each in a fresh interpreter.
    base = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env = {**base, **environ, **PRODUCTION, "PYTHONPATH": str(ROOT)}
    env.pop("SECRET_KEY")
    if secret is not None:
        env["SECRET_KEY"] = secret
    for service in ("inventory", "booking", "notify"):
        started = subprocess.run(
            [sys.executable, "-c", f"import services.{service}.wsgi"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert started.returncode != 0, service
        assert "ConfigError: SECRET_KEY must be set to a random value of at least 32 characters" in started.stderr


def test_production_starts_with_a_real_secret(environ):
    env = {**os.environ, **environ, **PRODUCTION, "PYTHONPATH": str(ROOT)}
    started = subprocess.run(
        [sys.executable, "-c", "import services.inventory.wsgi, services.booking.wsgi, services.notify.wsgi"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert started.returncode == 0, started.stderr[-2000:]


def test_the_request_log_never_shows_a_private_link_token(environ, databases, capsys):
    token = "Zq3-private-link-token-0123456789abcdefghijk"
    assert loggable_path(f"/status/{token}/intrekken") == "/status/<redacted>/intrekken"
    assert loggable_path(f"/booking/status/{token}") == "/booking/status/<redacted>"
    assert loggable_path("/requests/12/status-link") == "/requests/12/status-link"
    logged = {**environ, "LOG_LEVEL": "INFO"}
    booking = create_booking(load_settings("booking", logged), databases["booking"]).test_client()
    pages = create_pages_app(load_settings("booking", logged), databases["booking"]).test_client()
    capsys.readouterr()
    assert booking.get(f"/status/{token}").status_code == 404
    assert pages.get(f"/status/{token}").status_code == 404
    logs = capsys.readouterr().err
    assert re.search(r"path=/status/<redacted>", logs), logs
    assert token not in logs
