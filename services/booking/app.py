"""The booking service's app factory."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from services.booking.api import availability, privacy, requests, status
from services.booking.api.limits import limiter
from services.booking.api.messages import MESSAGES
from services.booking.config import load_policy
from services.booking.handlers import EVENT_HANDLERS
from services.booking.limits import limit_config
from services.booking.models import DeadLetter, ProcessedEvent, RevokedToken, StaffChange
from shared.auth import init_auth
from shared.config import Settings, load_settings
from shared.db import Database
from shared.dead_letters_api import make_dead_letter_blueprint
from shared.errors import register_messages
from shared.revocations import credential_check
from shared.web import build_service_app


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings("booking")
    database = database or Database(settings.database_url)
    policy = load_policy(settings)
    limits = limit_config(settings)

    def register(app: Flask, api: Api) -> None:
        init_auth(app, credential_void=credential_check(database, RevokedToken, StaffChange))
        app.extensions["booking_policy"] = policy
        register_messages(app, MESSAGES)
        app.config.update(limits)
        limiter.init_app(app)
        for module in (requests, status, availability, privacy):
            api.register_blueprint(module.blp)
        api.register_blueprint(make_dead_letter_blueprint(DeadLetter, ProcessedEvent, lambda: EVENT_HANDLERS))

    return build_service_app("booking", "Uitleen booking", settings, database, register)
