"""Fixtures for the event plumbing and notify tests (a pytest plugin: tests/conftest.py, ``pytest_plugins``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.notify.config import NotifyConfig
from services.notify.domain.copies import event_handlers
from services.notify.domain.dispatch import DispatchResult, dispatch_due
from services.notify.domain.mail import CaptureSender, Message
from services.notify.models import ProcessedEvent
from shared.auth import Principal, sign_api_token
from shared.consumer import apply_event
from shared.db import Database
from shared.events import Envelope
from shared.relay import relay_once

SECRET = "test-secret-key-that-is-long-enough-0123456789"


class RecordingSender:
    """A mail transport that remembers what it was given (and can be told to fail)."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.fail_with: Exception | None = None

    def send(self, message: Message) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)


@pytest.fixture
def notify_db(databases: dict[str, Database]) -> Database:
    return databases["notify"]


@pytest.fixture
def notify_config() -> NotifyConfig:
    return NotifyConfig(retry_base_seconds=60, send_lease_seconds=120)


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


class Pipeline:
    """booking outbox → relay → notify consumer → dispatcher, in this process (no broker)."""

    def __init__(self, booking_db: Database, notify_db: Database, config: NotifyConfig, sender: Any) -> None:
        self.booking_db, self.notify_db, self.config, self.sender = booking_db, notify_db, config, sender
        self.handlers = event_handlers(config)
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, service: str, envelope: dict[str, Any]) -> None:
        self.published.append((service, envelope))
        if service == "notify":
            apply_event(self.notify_db, ProcessedEvent, Envelope.from_dict(envelope), self.handlers)

    def relay(self) -> int:
        total = 0
        while count := relay_once(self.booking_db, self.publish):
            total += count
        return total

    def dispatch(self) -> DispatchResult:
        return dispatch_due(self.notify_db, self.sender, self.config)


@pytest.fixture
def pipeline(booking_db: Database, notify_db: Database, notify_config: NotifyConfig, sender: Any) -> Pipeline:
    return Pipeline(booking_db, notify_db, notify_config, sender)


@pytest.fixture
def capture_sender(notify_db: Database) -> CaptureSender:
    return CaptureSender(notify_db.session_factory)


@pytest.fixture
def notify_app(notify_db: Database, environ: dict[str, str]) -> Iterator[Flask]:
    from services.notify.app import create_app
    from shared.config import load_settings

    app = create_app(load_settings("notify", environ), notify_db)
    app.testing = True
    yield app


def staff_headers(role: str = "staff", locations: tuple[int, ...] = (7,)) -> dict[str, str]:
    principal = Principal(staff_id=1, name="Test", role=role, location_ids=frozenset(locations), token_id=None)
    return {"Authorization": f"Bearer {sign_api_token(SECRET, principal)}"}


@pytest.fixture
def notify_client(notify_app: Flask) -> FlaskClient:
    return notify_app.test_client()
