"""The pages app factory: templates, static files, translations, CSRF, rate limits, security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from services.booking.config import load_policy
from services.booking.limits import limit_config
from services.booking.models import RevokedToken, StaffChange
from services.booking.web import i18n, public, staff, staff_loans, staff_privacy, staff_stats
from services.booking.web.limits import limiter
from shared.auth import init_auth
from shared.config import Settings, load_settings
from shared.db import Database
from shared.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from shared.logging import configure_logging, init_request_logging
from shared.ratelimit import configure_limits
from shared.revocations import credential_check
from shared.web import init_security_headers

HERE = Path(__file__).resolve().parent


def create_pages_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings("booking")
    database = database or Database(settings.database_url)
    configure_logging(settings.log_format, settings.log_level)
    app = Flask("services.booking.web", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_NAME="uitleen_pages",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Filling in a form can take a while for someone not at ease with computers.
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        # Over https Flask-WTF also wants a same-site Referer, but every response says Referrer-Policy:
        # no-referrer (status links carry their token in the path), so browsers send none. The signed token in
        # the form, tied to the session cookie (SameSite=Lax), is the protection.
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE="nl",
        BABEL_TRANSLATION_DIRECTORIES=str(HERE / "translations"),
    )
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
    CSRFProtect(app)
    Babel(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    app.register_blueprint(public.blp)
    app.register_blueprint(staff.blp)  # with the routes of staff_loans, staff_privacy and staff_stats
    _ = (staff_loans, staff_privacy, staff_stats)
    _register_errors(app)
    return app


def _register_errors(app: Flask) -> None:
    def page(template: str, status: int, **context: Any) -> tuple[str, int]:
        return render_template(template, **context), status

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[str, int]:
        return page("error.html", 404, kind="not_found")

    @app.errorhandler(429)
    def too_many(_error: Exception) -> tuple[str, int]:
        return page("error.html", 429, kind="too_many", private_link=request.path.startswith("/status/"))

    @app.errorhandler(CSRFError)
    def csrf_failed(_error: Exception) -> tuple[str, int]:
        return page("error.html", 400, kind="csrf", back=request.path)

    def unavailable(_error: Exception) -> tuple[str, int, dict[str, str]]:
        # the database is down or restarting: nothing was saved, and trying again shortly will work
        return render_template("error.html", kind="server"), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, unavailable)

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        return page("error.html", 500, kind="server")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status":"ok"}', mimetype="application/json")
