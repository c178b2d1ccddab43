"""Structured logs: JSON in production, readable in development, with a request id that follows a request.

The request id comes from ``X-Request-ID`` when a gateway set one (so it follows the request across
services), or is made here; it is bound to every log line of the request and returned in the response.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

import structlog
from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def configure_logging(log_format: str = "console", level: str = "INFO") -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=getattr(logging, level))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


# the requester's private status link, and notify's secret calendar feed addresses (/notify/feeds/<token>.ics)
_PRIVATE_LINK = re.compile(r"(^|/)(status|feeds)/[^/]+")


def loggable_path(path: str) -> str:
    """The path with a secret token replaced: a private status link's (the requester's key to their request) or a
    calendar feed's (whoever has it reads the feed)."""
    return _PRIVATE_LINK.sub(r"\1\2/<redacted>", path)


def init_request_logging(app: Flask, service: str) -> None:
    log = structlog.get_logger("request")

    @app.before_request
    def _bind_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = request_id
        g.request_started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, service=service)

    @app.after_request
    def _log_response(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        # Only the path, never the query string (it may carry personal data), and no private link token.
        path = loggable_path(request.path)
        log.info("request", method=request.method, path=path, status=response.status_code, ms=elapsed_ms)
        return response
