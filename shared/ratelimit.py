"""Abuse limits (Flask-Limiter): shared storage in Redis in production, so every process counts together.

Each service makes one limiter (``make_limiter()``), decorates the routes that need it, and calls
``limiter.init_app(app)`` in its factory. A refusal is a 429 problem response with ``Retry-After``.
Every limit is configurable: ``limit_setting`` reads and checks the variable into the app's config, and
``configured(key)`` gives the decorator the running app's value (so each app, and each test, has its own).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from limits import parse_many

from shared.config import ConfigError, Settings
from shared.errors import RETRY_AFTER_SECONDS


def client_address() -> str:
    # Behind the gateway, ProxyFix (see shared.web) has already put the client's address in remote_addr.
    return request.remote_addr or "unknown"


def make_limiter() -> Limiter:
    # No X-RateLimit-* headers on every answer: Flask-Limiter reads them with a second Redis call per limited
    # request (the moving window's stats, after its acquire), and no client of ours reads them. A refusal still
    # says when to come back: ``Retry-After`` from the breached window (``_seconds_until_reset``).
    return Limiter(key_func=client_address, headers_enabled=False, strategy="moving-window")


def _seconds_until_reset(existing: str | None) -> int:
    """Seconds until the breached limit of this request has room again (its window's stats: one Redis call,
    only on a refusal); the longer of that and a ``Retry-After`` the answer has already; at least 1."""
    seconds = 0
    if existing is not None and existing.isdigit():
        seconds = int(existing)
    try:
        limiters: Iterable[Limiter] = current_app.extensions.get("limiter", ())
        for limiter in limiters:
            limit = limiter.current_limit
            if limit is not None and limit.breached:
                seconds = max(seconds, int(limit.reset_at - time.time()))
    except Exception:  # fail open as the limiter does (RATELIMIT_SWALLOW_ERRORS): a default wait
        return max(seconds, RETRY_AFTER_SECONDS)
    return max(seconds, 1) if seconds else RETRY_AFTER_SECONDS


def configure_limits(app: Flask, settings: Settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage_url
    app.config["RATELIMIT_ENABLED"] = settings.ratelimit_enabled
    # Fail open: if Redis is briefly down, serve requests rather than refuse everyone.
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    app.config["RATELIMIT_KEY_PREFIX"] = f"uitleen-{settings.service}"

    # Retry-After on a 429 says when the breached window has room again; a 503 keeps its own short one.
    # Registered before the limiter's own hook, so it runs after it (Flask runs after_request functions last
    # registered first), when the limiter has judged the request.
    @app.after_request
    def _retry_after_only_when_refused(response: Response) -> Response:
        if response.status_code == 429:
            response.headers["Retry-After"] = str(_seconds_until_reset(response.headers.get("Retry-After")))
        elif response.status_code == 503 and "Retry-After" in response.headers:
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        else:
            response.headers.pop("Retry-After", None)
        return response


def failed_login(response: Response) -> bool:
    """Only failed attempts count towards the login back-off."""
    return response.status_code == 401


def typed_field(name: str) -> str:
    """``name`` as the request carries it, in a JSON object or a form; "" for any other body.

    Key functions run before the schema, on whatever was sent: a list, a string, a number, broken or deeply
    nested JSON, a form. None of it may raise (a limiter that raises answers 500).
    """
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            return ""
        value = body.get(name) if isinstance(body, dict) else None
    else:
        value = request.form.get(name)
    return value if isinstance(value, str) else ""


def limit_setting(settings: Settings, variable: str, default: str) -> str:
    """A limit such as ``"30 per hour"`` or ``"300 per hour;60 per minute"`` from ``variable``.

    Raises ConfigError naming the variable when the value does not parse.
    """
    value = settings.extra.get(variable, default)
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{variable} must be a rate limit such as '30 per hour', got {value!r}") from None
    return value


def configured(key: str) -> Callable[[], str]:
    """The limit under ``key`` in the running app's config, read at each request."""

    def read() -> str:
        return str(current_app.config[key])

    return read
