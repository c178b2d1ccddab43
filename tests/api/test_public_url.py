"""Absolute links name the configured PUBLIC_URL, never the Host header of the request; the embedded default's
follows PORT, so mailed links point where ``make run`` serves."""

from __future__ import annotations

import re

import pytest

from services.notify.config import load_notify_config
from shared.config import ConfigError, load_settings
from tests.api.test_pages import FORM, caravan_form, demo, pages_app  # noqa: F401
from tests.booking_fixtures import at, request_body
from tests.support.notify import Pipeline, RecordingSender

HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}


@pytest.mark.parametrize("proxies", ["0", "1"])
def test_a_hostile_host_header_never_reaches_the_confirmation_link(environ, databases, demo, proxies):  # noqa: F811
    app = pages_app(environ, databases["booking"], PUBLIC_URL="https://uitleen.gent.be/", TRUSTED_PROXIES=proxies)
    client = app.test_client()
    html = client.get(FORM, headers=HOSTILE).get_data(as_text=True)
    assert client.post(FORM, data=caravan_form(html), headers=HOSTILE).status_code == 303
    page = client.get("/aanvraag/ontvangen", headers=HOSTILE).get_data(as_text=True)
    assert "evil.example" not in page
    assert re.search(r'id="status-link">https://uitleen\.gent\.be/status/[\w-]+<', page)


def test_the_mailed_status_link_follows_port(environ, databases, feed, booking_client, notify_db):
    settings = load_settings("notify", {**environ, "PORT": "8123"})
    config = load_notify_config(settings)
    assert config.public_url == "http://127.0.0.1:8123"
    sender = RecordingSender()
    pipeline = Pipeline(databases["booking"], notify_db, config, sender)
    asset = feed.asset(feed.location())
    created = booking_client.post("/requests", json=request_body(asset, at(1, 10), at(1, 15)))
    assert created.status_code == 201, created.json
    pipeline.relay()
    pipeline.dispatch()
    texts = [message.text + message.html for message in sender.sent]
    assert any(f"http://127.0.0.1:8123{created.json['status_url']}" in text for text in texts), texts
    assert not any("127.0.0.1:8000" in text for text in texts)


@pytest.mark.parametrize(
    "value",
    [
        "uitleen.gent.be",
        "ftp://uitleen.gent.be",
        "https://",
        "https://a.be/?x=1",
        "https://u:p@a.be",
        "https://a.be:99999",
        "https://a.be/\r\nX: y",
        "javascript:alert(1)",
    ],
)
def test_a_malformed_public_url_stops_start_up_naming_it(environ, value):
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        load_settings("booking", {**environ, "PUBLIC_URL": value})


def test_the_old_notify_setting_is_refused_rather_than_ignored(environ):
    with pytest.raises(ConfigError, match="NOTIFY_PUBLIC_URL"):
        load_notify_config(load_settings("notify", {**environ, "NOTIFY_PUBLIC_URL": "http://127.0.0.1:8100"}))
