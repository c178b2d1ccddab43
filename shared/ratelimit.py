"""Abuse limits (Flask-Limiter): shared storage in Redis in production, so every process counts together.

Each service makes one limiter (``make_limiter()``), decorates the routes that need it, and calls
``limiter.init_app(app)`` in its factory. A refusal is a 429 problem response with ``Retry-After``.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter

from shared.config import Settings


def client_address() -> str:
    # Behind the gateway, ProxyFix (see shared.web) has already put the client's address in remote_addr.
    return request.remote_addr or "unknown"


def make_limiter() -> Limiter:
    return Limiter(key_func=client_address, headers_enabled=True, strategy="moving-window")


def configure_limits(app: Flask, settings: Settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage_url
    app.config["RATELIMIT_ENABLED"] = settings.ratelimit_enabled
    # Fail open: if Redis is briefly down, serve requests rather than refuse everyone.
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    app.config["RATELIMIT_KEY_PREFIX"] = f"uitleen-{settings.service}"


def failed_login(response: Response) -> bool:
    """Only failed attempts count towards the login back-off."""
    return response.status_code == 401
