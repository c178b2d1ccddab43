"""The one input guard of every JSON API, wired by ``shared.web.build_service_app`` before any view or limiter.

What it holds, for every route of a service's flask-smorest ``Api`` (the HTML pages are not JSON routes):

- **A JSON body is parsed once, with limits.** ``request.get_json`` (so also ``request.json``, the limiters' key
  functions, idempotency hashing, and ``shared.web.ApiBlueprint``'s argument parser) parses with the app's JSON
  provider, ``GuardedJSONProvider``, that is with ``load_json``: UTF-8 only, no ``NaN``/``Infinity``, nesting at
  most ``MAX_JSON_DEPTH`` levels (400 ``json-too-deep``; Python's recursive parser would otherwise raise
  ``RecursionError`` on ``[[[[…``), integers within 64 bits and numbers of at most ``MAX_NUMBER_CHARS``
  characters (Python refuses to turn more than 4,300 digits into an int at all), and text without unpaired
  surrogates (no database can store ``"\\ud800"``): a 422 naming the pointer of each such value. Flask caches the
  result, so whoever reads the body after the guard gets the value the guard checked, not a second parse.
- **Query integers fit the columns.** An integer query parameter whose schema sets no upper bound (``page``,
  an id filter) must be at most ``MAX_QUERY_INT``, what an id column holds (422 naming the parameter); ids in
  the path are bounded by ``shared.web.BoundedInt`` (404).
- **Writes speak JSON and cannot be forged cross-site.** A POST, PUT, PATCH or DELETE with a body needs
  ``Content-Type: application/json`` (415 otherwise, also for an empty body that declares another type, as a
  cross-site form always does). One that carries the staff session cookie (and no bearer token) also needs the
  ``X-Requested-With`` header (403 ``csrf-header-missing``): browsers send a custom header cross-origin only
  after a CORS preflight, which no service of ours answers, so only our own origin's scripts can send it.
  Bearer tokens are never sent by a browser on its own, so they need no header. docs/security.md says why this
  and not a token.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from flask import Flask, Request, Response, current_app, request
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser

from shared.auth import SESSION_COOKIE
from shared.errors import problem_response
from shared.fields import MAX_ID

MAX_JSON_DEPTH = 32  # the deepest request body we take (items → answers) is 4 levels deep
MAX_NUMBER_CHARS = 40
MAX_JSON_INT = 2**63 - 1  # the widest integer column any service has (BIGINT)
MAX_QUERY_INT = MAX_ID  # what an id column (INTEGER) holds; a page beyond it is empty anyway
CSRF_HEADER = "X-Requested-With"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_REPORTED = 20  # a body full of bad numbers gets the first few named, not a megabyte of errors
_UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")


class GuardRefusal(Exception):
    """The guard said no; answered as an RFC 9457 problem by ``answer_refusal``."""

    def __init__(
        self, status: int, problem: str, title: str, detail: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.problem, self.title, self.detail, self.errors = status, problem, title, detail, errors


class JSONRefusal(GuardRefusal, ValueError):
    """A body ``load_json`` will not take. A ValueError, so that ``get_json(silent=True)`` answers None."""


def malformed(detail: str) -> JSONRefusal:
    return JSONRefusal(400, "malformed-json", "Bad request", detail)


def too_deep() -> JSONRefusal:
    return JSONRefusal(
        400,
        "json-too-deep",
        "Bad request",
        f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels; no request of this API needs that.",
    )


class _OutOfRange:
    """Stands in for a number too large to parse or store, so that the walk can name where it was."""

    __slots__ = ()


OUT_OF_RANGE = _OutOfRange()


def _parse_int(text: str) -> int | _OutOfRange:
    if len(text) > MAX_NUMBER_CHARS:
        return OUT_OF_RANGE  # before int(): more than 4,300 digits would raise, and many are slow
    value = int(text)
    return value if -MAX_JSON_INT - 1 <= value <= MAX_JSON_INT else OUT_OF_RANGE


def _parse_float(text: str) -> float | _OutOfRange:
    if len(text) > MAX_NUMBER_CHARS:
        return OUT_OF_RANGE
    value = float(text)
    return value if math.isfinite(value) else OUT_OF_RANGE  # 1e999 is infinity, which no column holds


def _refuse_constant(name: str) -> None:
    raise malformed(f"{name} is not JSON (RFC 8259 has no NaN or Infinity).")


# What can make a body need the careful (and slower) reading: a surrogate escape, NaN or Infinity, a run of 19
# digits (beyond 64 bits, or a long mantissa) or a 3-digit exponent. Inside a string it is a false alarm that costs
# only time: most bodies have none of these, and the C parser alone reads them.
_LONG_NUMBER = re.compile(r"[0-9]{19}|[eE][+-]?[0-9]{3}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _needs_care(text: str) -> bool:
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):  # only an escape can make a surrogate: UTF-8 cannot
        return True
    return "NaN" in text or "Infinity" in text or _LONG_NUMBER.search(text) is not None


def load_json(data: bytes | str) -> Any:
    """The JSON value of a request body, checked. Raises JSONRefusal (400 or 422) naming what is wrong."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise malformed("The request body is not UTF-8 text.") from None
    careful = _needs_care(data)
    hooks: dict[str, Any] = (
        {"parse_int": _parse_int, "parse_float": _parse_float, "parse_constant": _refuse_constant} if careful else {}
    )
    try:
        value = json.loads(data, **hooks)
    except RecursionError:
        raise too_deep() from None
    except JSONRefusal:
        raise
    except ValueError as error:
        raise malformed(f"The request body is not valid JSON: {str(error)[:120]}") from None
    if not careful:
        if data.count("[") + data.count("{") > MAX_JSON_DEPTH:  # else it cannot be nested too deep
            _check_depth(value)
        return value
    errors = list(itertools.islice(_bad_values(value), MAX_REPORTED))
    if errors:
        raise JSONRefusal(
            422, "validation-error", "Your input has problems", "One or more values cannot be taken.", errors
        )
    return value


def _check_depth(value: Any) -> None:
    """Raises JSONRefusal when a container is nested deeper than MAX_JSON_DEPTH (iterative: no recursion)."""
    stack = [(value, 0)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth >= MAX_JSON_DEPTH:
            raise too_deep()
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _bad_values(value: Any) -> Iterator[dict[str, str]]:
    """Each number out of range and each unpaired surrogate in ``value``; raises JSONRefusal when a container is
    nested deeper than MAX_JSON_DEPTH. Iterative, as the depth is not known yet."""
    if problem := _bad_scalar(value):
        yield _body_error((), problem)
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())] if isinstance(value, dict | list) else []
    while stack:
        node, path = stack.pop()
        if len(path) >= MAX_JSON_DEPTH:
            raise too_deep()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(key, str) and _UNPAIRED_SURROGATE.search(key):
                yield _body_error((*path, key), "This name contains an unpaired surrogate, which is not text.")
            if isinstance(child, dict | list):
                stack.append((child, (*path, key)))
            elif problem := _bad_scalar(child):
                yield _body_error((*path, key), problem)


def _bad_scalar(value: Any) -> str | None:
    if value is OUT_OF_RANGE:
        return f"This number is out of range (at most {MAX_NUMBER_CHARS} characters, 64 bits)."
    if isinstance(value, str) and _UNPAIRED_SURROGATE.search(value):
        return "This text contains an unpaired surrogate (\\ud800-\\udfff), which is not text."
    return None


def _body_error(path: tuple[str | int, ...], detail: str) -> dict[str, str]:
    escaped = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return {
        "field": ".".join(str(p) for p in path),
        "pointer": "#/" + "/".join(escaped),
        "in": "body",
        "detail": detail,
    }


class GuardedJSONProvider(DefaultJSONProvider):
    """The app's JSON provider (``app.json``), which is what ``request.get_json`` parses with: ``load_json``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if kwargs:  # code of ours asking for its own hooks (object_hook, …) reads its own way; get_json passes none
            return super().loads(s, **kwargs)
        return load_json(s)


class GuardedRequest(Request):
    """Flask's request, refusing a body ``get_json`` cannot take with the guard's problem."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, GuardRefusal):
            raise e
        if e is None:
            raise unsupported_media_type()
        raise malformed("The request body is not valid JSON.")


class GuardedParser(FlaskParser):
    """webargs reading the body the guard parsed (``request.get_json()``, cached) instead of parsing it again,
    with one instance of each argument schema for the process: webargs would build a schema (and its nested
    ones) from the class on every request. A schema keeps no state between loads (marshmallow 4 has no
    ``context``), so one instance serves every request and thread, as flask-smorest's response schemas do."""

    _instances: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap: Any, req: Request) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req: Request) -> Any:
        if not req.is_json or not req.get_data(cache=True):
            return core.missing  # as webargs does: no JSON body is a missing one, for the schema to judge
        return req.get_json()


def unsupported_media_type() -> GuardRefusal:
    return GuardRefusal(
        415,
        "unsupported-media-type",
        "Unsupported Media Type",
        "Send the body as application/json: this API reads nothing else.",
    )


def is_api_route() -> bool:
    """Whether this request is for a route of the service's flask-smorest Api (the JSON API)."""
    api_blueprints = current_app.extensions.get("flask-smorest", {}).get("blp_name_to_api", {})
    return request.blueprint is not None and request.blueprint in api_blueprints


def carries_session_cookie() -> bool:
    """The browser's ambient credential is on this request (a bearer token, if sent, takes precedence)."""
    bearer = request.headers.get("Authorization", "").lower().startswith("bearer ")
    return SESSION_COOKIE in request.cookies and not bearer


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def check_write() -> None:
    """Raises GuardRefusal: 415 for a body that is not JSON, 403 for a cookie write without the header."""
    if (request.mimetype and not request.is_json) or (not request.mimetype and _has_body()):
        raise unsupported_media_type()
    if carries_session_cookie() and not request.headers.get(CSRF_HEADER):
        raise GuardRefusal(
            403,
            "csrf-header-missing",
            "Forbidden",
            f"A change made with the staff session cookie must carry the {CSRF_HEADER} header (any value), "
            "as the suite's own pages do; a client with a bearer token needs none.",
        )
    if request.is_json and _has_body():
        request.get_json()  # parsed and checked once, here, before any limiter or view reads it


def check_query_integers() -> None:
    """Raises GuardRefusal (422 naming each parameter) for an unbounded integer query parameter beyond
    MAX_QUERY_INT."""
    errors = []
    for name in _unbounded_query_integers():
        for raw in request.args.getlist(name):
            if _integer_beyond(raw, MAX_QUERY_INT):
                detail = f"At most {MAX_QUERY_INT}: there is nothing beyond."
                errors.append({"field": name, "pointer": f"#/{name}", "in": "query", "detail": detail})
    if errors:
        raise GuardRefusal(
            422, "validation-error", "Your input has problems", "One or more fields are invalid.", errors
        )


def _integer_beyond(raw: str, bound: int) -> bool:
    digits = raw.strip().lstrip("+-").replace("_", "")
    if not digits.isdecimal():
        return False  # not an integer at all: the schema says so
    return len(digits) > MAX_NUMBER_CHARS or int(digits) > bound


def _unbounded_query_integers() -> list[str]:
    """The query names of the integer fields without an upper bound that this view reads, cached per view."""
    key = (request.endpoint, request.method)
    cache: dict[tuple[Any, str], list[str]] = current_app.extensions.setdefault("guard_query_integers", {})
    if key not in cache:
        cache[key] = [
            field.data_key or name
            for schema in _query_schemas(view_function(current_app, request.endpoint, request.method))
            for name, field in schema.fields.items()
            if isinstance(field, ma.fields.Integer) and not _has_upper_bound(field)
        ]
    return cache[key]


def _has_upper_bound(field: ma.fields.Field) -> bool:
    return any(isinstance(v, ma.validate.Range) and v.max is not None for v in field.validators)


def _query_schemas(function: Any) -> list[ma.Schema]:
    doc = getattr(function, "_apidoc", {})  # what flask-smorest's decorators recorded on the view
    declared = [p["schema"] for p in doc.get("arguments", {}).get("parameters", []) if p.get("in") == "query"]
    pagination = doc.get("pagination", {}).get("parameters", {}).get("schema")
    schemas = [*declared, *([pagination] if pagination is not None else [])]
    return [schema() if isinstance(schema, type) else schema for schema in schemas]


def view_function(app: Flask, endpoint: str | None, method: str) -> Any:
    """The function that answers ``method`` at ``endpoint`` (a MethodView's method, or the view itself)."""
    view = app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, method.lower(), None) if view_class is not None else view


def guard_request() -> None:
    if not is_api_route():
        return
    if request.method in WRITE_METHODS:
        check_write()
    check_query_integers()


def answer_refusal(refusal: GuardRefusal) -> Response:
    return problem_response(
        refusal.status, refusal.title, detail=refusal.detail, problem=refusal.problem, errors=refusal.errors
    )


def init_guard(app: Flask) -> None:
    """Before the limiters and views of ``app`` (so call it before they are registered)."""
    app.json = GuardedJSONProvider(app)
    app.request_class = GuardedRequest
    app.register_error_handler(GuardRefusal, answer_refusal)
    app.before_request(guard_request)
