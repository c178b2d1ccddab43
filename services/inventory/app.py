"""The inventory service's app factory."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from services.inventory import web
from services.inventory.api import assets, auth, locations, requirements
from services.inventory.domain.staff import is_token_revoked
from shared.auth import init_auth
from shared.config import Settings, load_settings
from shared.db import Database
from shared.web import build_service_app


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings("inventory")
    database = database or Database(settings.database_url)
    limits = auth.limit_config(settings)

    def register(app: Flask, api: Api) -> None:
        for module in (assets, locations, requirements, auth):
            api.register_blueprint(module.blp)

        def token_revoked(token_id: str) -> bool:
            with database.session_factory() as session:
                return is_token_revoked(session, token_id)

        init_auth(app, token_revoked=token_revoked)
        app.config.update(limits)
        auth.limiter.init_app(app)
        web.init_web(app, settings)
        from services.inventory import cli

        cli.register(app, database)

    return build_service_app("inventory", "Uitleen inventory", settings, database, register)
