"""The common frame of every service's Flask app: API docs, health and readiness, errors, logs, auth.

A service's ``create_app`` builds its own blueprints and domain wiring, then calls ``build_service_app``.
"""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Flask, Response, jsonify
from flask.sessions import SecureCookieSessionInterface
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from itsdangerous import URLSafeTimedSerializer
from kombu import Connection
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from shared.config import Settings
from shared.confirmations import Confirmations
from shared.db import Database
from shared.errors import PROBLEM_JSON, register_error_handlers
from shared.fields import MAX_ID
from shared.guard import GuardedParser, init_guard
from shared.logging import configure_logging, init_request_logging
from shared.metrics import GaugeReader, init_metrics
from shared.openapi import SECURITY_SCHEMES, ProblemDocs
from shared.ratelimit import configure_limits
from shared.routing import ROUTES, queue_name

ReadinessCheck = Callable[[], None]


class BoundedInt(IntegerConverter):
    """``<int:…>`` in routes, limited to what an id column holds: a larger number is simply not found."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class FieldErrorSchema(ma.Schema):
    field = ma.fields.String(metadata={"description": "dotted name of the field, '' for the whole body"})
    pointer = ma.fields.String(metadata={"description": "JSON Pointer (RFC 6901) to the field"})
    location = ma.fields.String(data_key="in", metadata={"description": "body, query, headers or path"})
    code = ma.fields.String(metadata={"description": "what is wrong, as a stable code (e.g. pickup_in_past)"})
    params = ma.fields.Dict(metadata={"description": 'the code\'s parameters (e.g. {"hours": 72})'})
    detail = ma.fields.String()


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details; extension members (``errors``, ``conflicts``, …) may follow."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    code = ma.fields.String(metadata={"description": "what went wrong, as a stable code"})
    instance = ma.fields.String(allow_none=True)
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


class ProblemApi(Api):
    """flask-smorest's Api, with every error answered, and documented, as RFC 9457 problem+json.

    No blanket ``default`` response: ``shared.openapi.ProblemDocs`` lists each operation's statuses and security.
    """

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask) -> None:
        super().__init__(app, spec_kwargs={"extra_plugins": [ProblemDocs(app)]})
        for name, scheme in SECURITY_SCHEMES.items():
            self.spec.components.security_scheme(name, scheme)

    def _register_error_handlers(self) -> None:
        register_error_handlers(self._app)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not 200 <= status < 300:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)


class ApiBlueprint(SmorestBlueprint):
    """A flask-smorest Blueprint whose ``@blp.arguments`` read the JSON body the input guard parsed and checked
    (``shared.guard``), instead of parsing the raw bytes a second time."""

    ARGUMENTS_PARSER = GuardedParser()


class CachedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, its signing serializer built once per set of keys: Flask builds a new one
    (and test-encodes a value to check it) for every request, whether the request uses the session or not."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


def api_config(service: str, title: str) -> dict[str, Any]:
    return {
        "API_TITLE": title,
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_REDOC_PATH": "/docs",
        "OPENAPI_REDOC_URL": None,
        "OPENAPI_RAPIDOC_PATH": None,
        # The docs page renders the spec with our own tiny viewer: no CDN is needed (nor reachable here).
        "API_SPEC_OPTIONS": {"servers": [{"url": f"/{service}"}]},
    }


def check_broker(broker_url: str) -> None:
    """Raises when the broker does not answer within a second."""
    options = {"socket_connect_timeout": 1} if broker_url.startswith("redis") else {}
    with Connection(broker_url, connect_timeout=1, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)


def outbox_backlog(database: Database) -> GaugeReader:
    """Unpublished outbox rows: a growing number means the relay is down or behind."""

    def read() -> list[tuple[dict[str, str], float]]:
        with database.engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
        return [({}, float(count or 0))]

    return read


def consumer_queue_length(broker_url: str, service: str) -> GaugeReader:
    """Messages waiting in this service's own queue on a Redis broker: a growing number means too few workers."""
    confirmations = Confirmations(broker_url)

    def read() -> list[tuple[dict[str, str], float]]:
        if not confirmations.enabled:
            return []
        queue = queue_name(service)
        return [({"queue": queue}, float(confirmations.queue_length(queue)))]

    return read


def dead_letter_count(database: Database) -> GaugeReader:
    """Events this service's consumer gave up on and kept for an operator (see /<service>/dead-letters)."""

    def read() -> list[tuple[dict[str, str], float]]:
        with database.engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM dead_letters")).scalar()
        return [({}, float(count or 0))]

    return read


def consumer_gauges(
    settings: Settings, service: str, database: Database
) -> dict[str, tuple[str, list[str], GaugeReader]]:
    """What an operator watches on a service that consumes events: its queue and its dead letters."""
    return {
        "uitleen_queue_length": (
            "Messages waiting in this service's queue on the broker (Redis only)",
            ["queue"],
            consumer_queue_length(settings.broker_url, service),
        ),
        "uitleen_dead_letters": ("Events kept as dead letters", [], dead_letter_count(database)),
    }


def build_service_app(
    service: str,
    title: str,
    settings: Settings,
    database: Database,
    register: Callable[[Flask, Api], None],
    extra_readiness: dict[str, ReadinessCheck] | None = None,
    gauges: dict[str, tuple[str, list[str], GaugeReader]] | None = None,
) -> Flask:
    configure_logging(settings.log_format, settings.log_level)
    app = Flask(f"services.{service}")
    app.session_interface = CachedSessionInterface()
    app.url_map.converters["int"] = BoundedInt
    app.config.update(api_config(service, title))
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
    )
    app.config["OPENAPI_REDOC_URL"] = None
    if settings.trusted_proxies:
        # The gateway's X-Forwarded-For names the client; trust exactly as many hops as we run proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)  # type: ignore[method-assign]
    configure_limits(app, settings)
    database.init_app(app)
    init_request_logging(app, service)
    init_security_headers(app, settings)
    # Before register(): the guard runs before the limiters' key functions and the views read anything.
    init_guard(app)
    init_metrics(
        app,
        service,
        {
            "uitleen_outbox_backlog": ("Outbox rows not yet published", [], outbox_backlog(database)),
            **(consumer_gauges(settings, service, database) if service in ROUTES else {}),
            **(gauges or {}),
        },
    )
    api = ProblemApi(app)
    _register_docs_page(app, title)
    _register_health(app, database, settings, extra_readiness or {})
    register(app, api)
    return app


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def init_security_headers(app: Flask, settings: Settings) -> None:
    """Browser hardening on every response; HSTS only in production, where TLS ends at the gateway."""

    @app.after_request
    def _harden(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Private status links carry their token in the path: never leak it to another site.
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if settings.is_production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _register_health(app: Flask, database: Database, settings: Settings, extra: dict[str, ReadinessCheck]) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        checks: dict[str, ReadinessCheck] = {
            "database": database.ping,
            "broker": lambda: check_broker(settings.broker_url),
            **extra,
        }
        failures = {}
        for name, check in checks.items():
            try:
                check()
            except Exception as error:  # a readiness probe reports any failure, it never raises
                failures[name] = f"{type(error).__name__}: {str(error)[:200]}"
        if failures:
            body = {
                "type": "https://uitleen.gent.be/problems/unavailable",
                "title": "Not ready",
                "status": 503,
                "detail": "; ".join(f"{k} does not answer" for k in failures),
                "checks": {name: failures.get(name, "ok") for name in checks},
            }
            response = jsonify(body)
            response.mimetype = "application/problem+json"
            return response, 503
        return jsonify(status="ready", checks=dict.fromkeys(checks, "ok")), 200


def _register_docs_page(app: Flask, title: str) -> None:
    """A self-contained API docs page (no CDN): lists every operation of the OpenAPI document."""

    @app.get("/docs")
    def api_docs() -> Response:
        html = DOCS_PAGE.replace("{{title}}", title)
        return Response(html, mimetype="text/html")

    @app.get("/docs.js")
    def api_docs_script() -> Response:
        return Response(DOCS_SCRIPT, mimetype="text/javascript")


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{title}} — API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code{background:#f3f3f3;padding:0 .2rem}.op{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #005a9c}
.m{font-weight:bold;text-transform:uppercase}pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.85rem}
</style></head>
<body><h1>{{title}}</h1><p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<main id="ops"><noscript>Without JavaScript, read <a href="openapi.json">openapi.json</a>.</noscript></main>
<script src="docs.js"></script></body></html>"""

DOCS_SCRIPT = """fetch('openapi.json').then(r => r.json()).then(spec => {
  const root = document.getElementById('ops'); root.textContent = '';
  const base = (spec.servers && spec.servers[0] && spec.servers[0].url) || '';
  for (const [path, ops] of Object.entries(spec.paths || {})) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === 'parameters') continue;
      const section = document.createElement('section'); section.className = 'op';
      const heading = document.createElement('h2');
      const verb = document.createElement('span'); verb.className = 'm'; verb.textContent = method;
      const where = document.createElement('code'); where.textContent = ' ' + base + path;
      heading.append(verb, where); section.appendChild(heading);
      const text = document.createElement('p'); text.textContent = (op.summary || '') + ' ' + (op.description || '');
      section.appendChild(text);
      const codes = document.createElement('pre');
      codes.textContent = 'responses: ' + Object.keys(op.responses || {}).join(', ');
      section.appendChild(codes); root.appendChild(section);
    }
  }
});
"""


def mounted(app: Flask, prefix: str) -> DispatcherMiddleware:
    """Serve ``app`` under ``prefix`` (e.g. ``/booking``), as the gateway forwards paths unchanged.

    The same URL layout then holds behind nginx (each service its own gunicorn) and in the embedded mode.
    """
    return DispatcherMiddleware(_not_found, {prefix: app})


def _not_found(environ: dict[str, Any], start_response: Any) -> Any:
    body = b'{"type":"https://uitleen.gent.be/problems/not-found","title":"Not Found","status":404}'
    start_response("404 Not Found", [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))])
    return [body]
