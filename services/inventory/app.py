"""The inventory service's app factory."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from services.inventory import web
from services.inventory.api import assets, auth, locations, requirements, staff
from services.inventory.domain.credentials import credential_void
from shared.auth import Principal, allow_before_password_change, init_auth
from shared.config import Settings, load_settings
from shared.db import Database, get_session
from shared.web import build_service_app


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings("inventory")
    database = database or Database(settings.database_url)
    limits = auth.limit_config(settings)

    def register(app: Flask, api: Api) -> None:
        for module in (assets, locations, requirements, auth, staff):
            api.register_blueprint(module.blp)

        def void(principal: Principal) -> bool:
            # inventory owns the accounts: every request's claims are checked against them, at once, in the
            # request's own session (a second connection would wait on the request's own SQLite write lock)
            return credential_void(get_session(), principal)

        init_auth(app, credential_void=void)
        allow_before_password_change(app, "auth.login", "auth.logout", "auth.me")
        app.config.update(limits)
        auth.limiter.init_app(app)
        web.init_web(app, settings)
        from services.inventory import cli

        cli.register(app, database)

    return build_service_app("inventory", "Uitleen inventory", settings, database, register)
