"""The pages app factory: booking's blueprints, its catalogue and its limiter, on the pages frame (shared.pages)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from services.booking.config import load_policy
from services.booking.limits import limit_config
from services.booking.models import RevokedToken, StaffChange
from services.booking.web import forms, i18n, public, staff, staff_loans, staff_privacy, staff_requests, staff_stats
from services.booking.web.limits import limiter
from shared.auth import init_auth
from shared.config import Settings, load_settings
from shared.db import Database
from shared.logging import configure_logging, init_request_logging
from shared.pages import init_pages
from shared.ratelimit import configure_limits
from shared.revocations import credential_check
from shared.web import CachedSessionInterface, init_security_headers

HERE = Path(__file__).resolve().parent


def create_pages_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings("booking")
    database = database or Database(settings.database_url)
    configure_logging(settings.log_format, settings.log_level)
    # The stylesheet and script are the frame's (served at /frame-static/): this app has no static folder.
    app = Flask("services.booking.web", template_folder=str(HERE / "templates"), static_folder=None)
    app.session_interface = CachedSessionInterface()
    app.config.update(SETTINGS=settings, SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_body_bytes)
    app.config.update(limit_config(settings))
    app.extensions["booking_policy"] = load_policy(settings)
    if settings.trusted_proxies:
        # Behind the gateway: the client's address for the rate limit, https for the status link we print.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    configure_limits(app, settings)
    limiter.init_app(app)
    database.init_app(app)
    # the staff pages refuse revoked and outdated credentials as booking's API does (shared.revocations)
    init_auth(app, credential_void=credential_check(database, RevokedToken, StaffChange))
    init_request_logging(app, "booking-pages")
    init_security_headers(app, settings)
    app.register_blueprint(public.blp)
    # with the routes of staff_loans, staff_privacy, staff_requests and staff_stats
    app.register_blueprint(staff.blp)
    _ = (staff_loans, staff_privacy, staff_requests, staff_stats)
    init_pages(app, settings, HERE / "translations", home="public.home", everything=True, error_template="error.html")
    i18n.init_app(app)
    app.jinja_env.globals.update(described=forms.described, field_errors=forms.field_errors)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status":"ok"}', mimetype="application/json")

    return app
