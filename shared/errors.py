"""RFC 9457 problem details for every 4xx and 5xx, and the domain errors that map onto them.

Domain code raises a ``DomainError`` subclass carrying a **code** and its **parameters**, never a sentence for
people: each surface renders the code in its own words (the API from an English catalogue registered with
``register_messages``; the pages and mails from their Babel catalogues). The mapping to HTTP happens here, once.
Field problems (``FieldProblem``) name the field, the code and its parameters; in a problem document they become
``errors: [{"field", "pointer", "in", "code", "params", "detail"}]``. marshmallow's own English messages are given
codes here too (``schema_code``), so a page can say them in Dutch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from typing import Any

import marshmallow as ma
import sqlalchemy.exc
import structlog
from flask import Flask, Response, current_app, has_app_context, json, request
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://uitleen.gent.be/problems/"
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field: ``code`` and ``params`` say what, each surface says it in words."""

    field: str
    code: str
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)
    location: str = "body"  # body, query, headers, path
    detail: str | None = None  # an English fallback when no catalogue knows the code

    def as_dict(self, detail: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "field": self.field,
            "pointer": "" if self.location == "headers" else pointer_for(self.field),
            "in": self.location,
            "code": self.code,
            "detail": detail,
        }
        if self.params:
            entry["params"] = {k: _plain(v) for k, v in self.params.items()}
        return entry


class DomainError(Exception):
    """A rule of the domain said no. Subclasses set the HTTP status, the problem type and the default code.

    ``detail`` is an English fallback for codes no catalogue knows yet; new code passes ``code`` and ``params``.
    """

    status = 400
    problem = "bad-request"
    title = "Bad request"
    code = "bad_request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        problems: Iterable[FieldProblem] = (),
        **extra: Any,
    ) -> None:
        super().__init__(detail or code or self.code)
        self.code = code or type(self).code
        self.params = dict(params or {})
        self.detail = detail
        self.problems = list(problems)
        self.extra = extra

    def field_problem(self, name: str) -> FieldProblem | None:
        return next((p for p in self.problems if p.field == name), None)


class NotFound(DomainError):
    status = 404
    problem = "not-found"
    title = "Not found"
    code = "not_found"


class Conflict(DomainError):
    status = 409
    problem = "conflict"
    title = "Conflict"
    code = "conflict"


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a domain rule; each ``FieldProblem`` names what to fix.

    Older callers still pass ``field=`` (one field, the error's own code) or ``errors=`` (dicts with ``detail``).
    """

    status = 422
    problem = "validation-error"
    title = "Your input has problems"
    code = "invalid_input"

    def __init__(
        self,
        detail: str | None = None,
        field: str | None = None,
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        problems: Iterable[FieldProblem] = (),
        **extra: Any,
    ) -> None:
        listed = list(problems)
        for entry in extra.pop("errors", None) or []:
            listed.append(
                FieldProblem(
                    str(entry.get("field", "")),
                    str(entry.get("code") or code or self.code),
                    entry.get("params") or {},
                    location=str(entry.get("in", "body")),
                    detail=entry.get("detail"),
                )
            )
        if field is not None and not listed:
            listed.append(FieldProblem(field, code or self.code, params or {}, detail=detail))
        super().__init__(detail, code=code, params=params, problems=listed, **extra)

    @classmethod
    def of(cls, problems: Iterable[FieldProblem]) -> InvalidInput:
        """All of a form's problems at once (the first one's code stands for the whole)."""
        listed = list(problems)
        return cls(
            code=listed[0].code if listed else None, params=listed[0].params if listed else None, problems=listed
        )


class PreconditionFailed(DomainError):
    status = 412
    problem = "stale-version"
    title = "Somebody changed this in the meantime"
    code = "stale_version"


class PreconditionRequired(DomainError):
    status = 428
    problem = "if-match-required"
    title = "If-Match header required"
    code = "if_match_required"


class Unauthorized(DomainError):
    status = 401
    problem = "unauthorized"
    title = "Login required"
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    problem = "forbidden"
    title = "Not allowed"
    code = "forbidden"


class ServiceUnavailable(DomainError):
    status = 503
    problem = "unavailable"
    title = "Service temporarily unavailable"
    code = "unavailable"


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


# Codes for marshmallow's own messages (and their parameters), so a page can say them in its language.
_SCHEMA_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), code)
    for pattern, code in (
        (r"^(Missing data for required field|Field may not be null)\.$", "required"),
        (r"^Unknown field\.$", "unknown_field"),
        (r"^Not a valid email address\.$", "email_invalid"),
        (r"^Not a valid integer\.$", "integer_invalid"),
        (r"^Not a valid boolean\.$", "boolean_invalid"),
        (r"^Not a valid (string|datetime|date-time string)\.$", "type_invalid"),
        (r"^Not a valid (list|mapping type|dict)\.$", "type_invalid"),
        (r"^Invalid input type\.$", "type_invalid"),
        (r"^Invalid value\.$", "value_invalid"),
        (r"^Shorter than minimum length (?P<min>\d+)\.$", "too_short"),
        (r"^Longer than maximum length (?P<max>\d+)\.$", "too_long"),
        (r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$", "length_between"),
        (r"^Must be greater than or equal to (?P<min>-?\d+)\.$", "at_least"),
        (r"^Must be less than or equal to (?P<max>-?\d+)\.$", "at_most"),
        (r"^Must be greater than or equal to (?P<min>-?\d+) and less than or equal to (?P<max>-?\d+)\.$", "between"),
        (r"^Must be one of: (?P<choices>.*)\.$", "one_of"),
    )
)
# English messages of our own validators, registered with the code they stand for (see ``coded``).
_CODED_MESSAGES: dict[str, str] = {}


def coded(code: str, english: str) -> str:
    """Register ``english`` (a validator's message) as the words of ``code``; returns ``english``."""
    _CODED_MESSAGES[english] = code
    return english


def schema_code(message: str) -> tuple[str, dict[str, Any]]:
    """The code (and parameters) of a schema message; ``invalid`` for one nobody registered."""
    if message in _CODED_MESSAGES:
        return _CODED_MESSAGES[message], {}
    for pattern, code in _SCHEMA_PATTERNS:
        match = pattern.match(message)
        if match:
            params: dict[str, Any] = {k: int(v) if v.lstrip("-").isdigit() else v for k, v in match.groupdict().items()}
            return code, params
    return "invalid", {}


def schema_problems(messages: Any, location: str = "body") -> list[FieldProblem]:
    """marshmallow's nested messages as one ``FieldProblem`` per field and message."""
    problems = []
    for name, message in flatten_messages(messages):
        name = "" if name in (ma.RAISE, "_schema") else name
        code, params = schema_code(message)
        problems.append(FieldProblem(name, code, params, location=location, detail=message))
    return problems


def validation_errors(messages: Any) -> list[FieldProblem]:
    """webargs messages are keyed by location first (``json``, ``query``, ``headers``)."""
    locations = {"json", "query", "headers", "form", "files", "path"}
    by_location: list[tuple[str, Any]]
    if isinstance(messages, Mapping) and set(messages) <= locations:
        by_location = list(messages.items())
    else:
        by_location = [("json", messages)]
    problems = []
    for location, nested in by_location:
        problems += schema_problems(nested, "body" if location in ("json", "form") else location)
    return problems


# --- the API's words for codes ------------------------------------------------------------------------------

# Codes every service shares; a service adds its own with ``register_messages``.
COMMON_MESSAGES = {
    "required": "Missing data for required field.",
    "invalid": "Not a valid value.",
    "invalid_input": "One or more fields are invalid.",
    "not_found": "There is no such thing here.",
    "forbidden": "You may not do this.",
    "unauthorized": "Log in as staff, or send a valid API token, to do this.",
    "conflict": "This conflicts with the current state.",
    "stale_version": "Somebody changed this in the meantime; read it again and retry.",
    "if_match_required": "Send the ETag you read in an If-Match header, so that a change made in the meantime is "
    "not lost.",
    "if_match_invalid": 'If-Match must be an ETag this service gave out, like "v3".',
    "single_line": "One line, without line breaks or control characters.",
}


def register_messages(app: Flask, messages: Mapping[str, str]) -> None:
    """Add a service's English words for its codes (``{code: "template with {param}"}``) to the API's catalogue."""
    app.extensions.setdefault("problem_messages", dict(COMMON_MESSAGES)).update(messages)


def english(code: str, params: Mapping[str, Any] | None = None, fallback: str | None = None) -> str:
    """The API's words for ``code``: its registered template filled in, else the fallback, else the code."""
    catalogue: Mapping[str, str] = (
        current_app.extensions.get("problem_messages", COMMON_MESSAGES) if has_app_context() else COMMON_MESSAGES
    )
    template = catalogue.get(code)
    if template is None:
        return fallback or code.replace("_", " ")
    try:
        return template.format(**{k: _worded(v) for k, v in (params or {}).items()})
    except (KeyError, IndexError, ValueError):
        return fallback or template


def _plain(value: Any) -> Any:
    """A parameter as a plain JSON value: enum members as their value, instants in ISO 8601."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _worded(value: Any) -> Any:
    """A parameter as it reads in an English sentence (lists joined by commas)."""
    plain = _plain(value)
    return ", ".join(str(v) for v in plain) if isinstance(plain, list) else plain


def problem_errors(problems: Iterable[FieldProblem]) -> list[dict[str, Any]]:
    """Field problems as problem-document entries: a schema's own English message, else the catalogue's words."""
    return [p.as_dict(p.detail or english(p.code, p.params)) for p in problems]


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
            errors=problem_errors(validation_errors(messages)),
        )
    if messages:
        return problem_response(
            status,
            "Your input has problems",
            detail=data.get("message") or "One or more fields are invalid.",
            problem="validation-error",
            headers=headers,
            errors=problem_errors(validation_errors(messages)),
        )
    if status == 429:
        # The API speaks English (people meet the pages' Dutch 429 page); Retry-After says how long to wait.
        return problem_response(
            429,
            "Too many requests",
            detail="Too many requests from your address: wait, then try again (see Retry-After).",
            problem="too-many-requests",
            headers=headers,
            code="too_many_requests",
        )
    detail = data.get("message") or error.description
    if status == 413:
        detail = "The request body is larger than this service accepts."
    if status == 400 and "Failed to decode JSON" in str(error.description):
        detail = "The request body is not valid JSON."
    return problem_response(status, str(error.name), detail=detail, headers=headers)


def handle_domain_error(error: DomainError) -> Response:
    extra: dict[str, Any] = {"code": error.code, **error.extra}
    if error.problems or isinstance(error, InvalidInput):
        extra["errors"] = problem_errors(error.problems)
    # Older code writes its own English detail; new code gives only the code, rendered from the catalogue.
    detail = error.detail or english(error.code, error.params)
    return problem_response(error.status, error.title, detail=detail, problem=error.problem, **extra)


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


# The database is down, restarting or too busy (no connection, connection lost, pool exhausted, lock or statement
# timeout): the request did nothing and may be tried again; our failure, but a temporary one, not a 500.
DATABASE_UNAVAILABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError)
RETRY_AFTER_SECONDS = 5


def handle_database_unavailable(error: Exception) -> Response:
    log.warning("database_unavailable", error_type=type(getattr(error, "orig", None) or error).__name__)
    return problem_response(
        503,
        "Service temporarily unavailable",
        detail="The database does not answer; nothing was saved. Try again shortly.",
        code="database_unavailable",
        problem="unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
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
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
