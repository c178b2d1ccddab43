"""The notify service's app factory."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from shared.config import Settings, load_settings
from shared.db import Database
from shared.web import build_service_app


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings("notify")
    database = database or Database(settings.database_url)

    def register(app: Flask, api: Api) -> None:
        pass

    return build_service_app("notify", "Uitleen notify", settings, database, register)
