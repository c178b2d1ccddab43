"""RFC 9457 problem details for every 4xx and 5xx, and the domain errors that map onto them.

Domain code raises a ``DomainError`` subclass; the mapping to HTTP happens here, once. Validation errors from
marshmallow/webargs are listed per field as ``errors: [{"field", "pointer", "in", "detail"}]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import marshmallow as ma
import sqlalchemy.exc
import structlog
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://uitleen.gent.be/problems/"
log = structlog.get_logger(__name__)


class DomainError(Exception):
    """A rule of the domain said no. Subclasses set the HTTP status and problem type."""

    status = 400
    problem = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status = 404
    problem = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    problem = "conflict"
    title = "Conflict"


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a domain rule; ``field`` names what to fix."""

    status = 422
    problem = "validation-error"
    title = "Your input has problems"

    def __init__(self, detail: str, field: str | None = None, **extra: Any) -> None:
        errors = extra.pop("errors", None)
        if errors is None and field is not None:
            errors = [{"field": field, "pointer": pointer_for(field), "in": "body", "detail": detail}]
        super().__init__(detail, errors=errors or [], **extra)


class PreconditionFailed(DomainError):
    status = 412
    problem = "stale-version"
    title = "Somebody changed this in the meantime"


class PreconditionRequired(DomainError):
    status = 428
    problem = "if-match-required"
    title = "If-Match header required"


class Unauthorized(DomainError):
    status = 401
    problem = "unauthorized"
    title = "Login required"


class Forbidden(DomainError):
    status = 403
    problem = "forbidden"
    title = "Not allowed"


class ServiceUnavailable(DomainError):
    status = 503
    problem = "unavailable"
    title = "Service temporarily unavailable"


def pointer_for(field: str) -> str:
    """A JSON Pointer (RFC 6901) for a dotted field name: ``items.0.quantity`` -> ``#/items/0/quantity``."""
    parts = [p.replace("~", "~0").replace("/", "~1") for p in str(field).split(".") if p != ""]
    return "#/" + "/".join(parts)


def flatten_messages(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Turn marshmallow's nested message dicts into (dotted field, message) pairs."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from flatten_messages(value, name)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            for message in messages:
                yield prefix, message
        else:
            for index, value in enumerate(messages):
                yield from flatten_messages(value, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, str(messages)


def validation_errors(messages: Any) -> list[dict[str, str]]:
    """webargs messages are keyed by location first (``json``, ``query``, ``headers``)."""
    errors = []
    locations = {"json", "query", "headers", "form", "files", "path"}
    by_location: list[tuple[str, Any]]
    if isinstance(messages, Mapping) and set(messages) <= locations:
        by_location = list(messages.items())
    else:
        by_location = [("json", messages)]
    for location, nested in by_location:
        where = "body" if location in ("json", "form") else location
        for field, message in flatten_messages(nested):
            field = "" if field == ma.RAISE else field
            if field == "_schema":
                field = ""
            errors.append({"field": field, "pointer": pointer_for(field), "in": where, "detail": message})
    return errors


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    problem: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (problem or _default_problem(status)),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path if request else None
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _default_problem(status: int) -> str:
    return {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        412: "stale-version",
        413: "body-too-large",
        415: "unsupported-media-type",
        422: "validation-error",
        428: "if-match-required",
        429: "too-many-requests",
        503: "unavailable",
    }.get(status, "server-error" if status >= 500 else "error")


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    messages = data.get("errors") or data.get("messages")
    if messages and status == 400:
        # webargs answers 400 only when the body cannot be parsed at all.
        return problem_response(
            400,
            "Bad request",
            detail="The request body is not valid JSON.",
            problem="malformed-json",
            headers=headers,
            errors=validation_errors(messages),
        )
    if messages:
        return problem_response(
            status,
            "Your input has problems",
            detail=data.get("message") or "One or more fields are invalid.",
            problem="validation-error",
            headers=headers,
            errors=validation_errors(messages),
        )
    if status == 429:
        # The public meets this one: Dutch first, as on the pages (Retry-After says how long to wait).
        return problem_response(
            429,
            "Te veel verzoeken (too many requests)",
            detail="Er kwamen van op je adres te veel verzoeken na elkaar. Wacht even en probeer dan opnieuw "
            "(zie Retry-After). Too many requests from your address: wait, then try again.",
            headers=headers,
        )
    detail = data.get("message") or error.description
    if status == 413:
        detail = "The request body is larger than this service accepts."
    if status == 400 and "Failed to decode JSON" in str(error.description):
        detail = "The request body is not valid JSON."
    return problem_response(status, str(error.name), detail=detail, headers=headers)


def handle_domain_error(error: DomainError) -> Response:
    return problem_response(error.status, error.title, detail=error.detail, problem=error.problem, **error.extra)


def handle_data_error(error: Exception) -> Response:
    """The database refused a value the schemas let through (out of range, a NUL character): the client's input,
    not our failure. The schemas should catch these first; this net keeps it a 422 instead of a 500."""
    log.warning("database_refused_value", error_type=type(getattr(error, "orig", error)).__name__)
    return problem_response(
        422,
        "Your input has problems",
        problem="validation-error",
        detail="A value is out of range or contains characters that cannot be stored.",
    )


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    # Never a traceback to the client; the log has it, with the request id to find it by.
    log.exception("unhandled_error", error_type=type(error).__name__)
    return problem_response(
        500, "Internal Server Error", detail="Something went wrong on our side. Please try again later."
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(sqlalchemy.exc.DataError, handle_data_error)
    app.register_error_handler(Exception, handle_unexpected)
