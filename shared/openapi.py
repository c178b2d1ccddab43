"""What each operation of the OpenAPI documents promises: its security and every status it can answer.

No operation has a blanket ``default`` response: a fuzzer (tests/fuzzing.py, schemathesis) holds each one to the
statuses listed here, so an undocumented answer is a failing test. Most statuses follow from how a view is
built (``ProblemDocs`` derives them when flask-smorest registers the view in the document):

| status | when                                                                                            |
| ------ | ----------------------------------------------------------------------------------------------- |
| 400    | a write: a body that is not JSON, or nested too deep (shared.guard)                             |
| 401    | ``@require_staff`` or ``@require_admin`` (also sets the security to staff credentials)          |
| 403    | ``@require_admin``; a write (the guard's cookie rule, shared.guard)                             |
| 404    | a parameter in the path (nothing has that id; ``BoundedInt`` ids beyond the column are not found) |
| 413    | a write (a body over ``MAX_BODY_BYTES``)                                                        |
| 415    | a write (a body that is not application/json, shared.guard)                                     |
| 422    | ``@blp.arguments`` and ``@blp.paginate`` (flask-smorest adds it); a write (a number out of range) |
| 503    | every operation: the database may be briefly away (shared.errors, with ``Retry-After``)         |

What only the domain knows a view declares with ``@problems(…)`` (``409`` a conflict, ``412``/``428`` the
If-Match rule, ``429`` a rate limit, ``403`` another centre's work, ``404`` an id in the body, ``401`` a view that
checks identity itself, with ``security="staff"``). An operation behind an auth decorator, or declared so, needs
staff credentials; any other takes them if given (staff may see more) but also serves the public.
"""

from __future__ import annotations

import http
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from apispec import BasePlugin
from flask import Flask

from shared.auth import SESSION_COOKIE, require_admin, require_staff
from shared.guard import MAX_QUERY_INT, WRITE_METHODS, view_function

F = TypeVar("F", bound=Callable[..., Any])

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "Set by POST /inventory/auth/login, valid for every service of the origin. A write made "
        "with it also needs the X-Requested-With header (docs/security.md).",
    },
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A machine token from POST /inventory/auth/tokens.",
    },
}
STAFF_CREDENTIALS: list[dict[str, list[str]]] = [{"staffSession": []}, {"bearerToken": []}]
ANYONE: list[dict[str, list[str]]] = [{}, *STAFF_CREDENTIALS]

# The wrapper every use of a decorator makes shares one code object: that is how a view is known to need staff.
_ACCESS_CODES: dict[Any, str] = {
    require_staff(lambda: None).__code__: "staff",
    require_admin(lambda: None).__code__: "admin",
}


def problems(*statuses: int, security: str | None = None) -> Callable[[F], F]:
    """Declare the problem statuses a view answers beyond those derived from how it is built (see above).

    ``security="staff"`` for a view that checks identity itself (its 401 means "log in"; a login's does not).
    """

    def decorate(view: F) -> F:
        declared: frozenset[int] = getattr(view, "_problem_statuses", frozenset())
        view._problem_statuses = frozenset(declared | {int(http.HTTPStatus(s)) for s in statuses})  # type: ignore[attr-defined]
        if security is not None:
            view._problem_security = security  # type: ignore[attr-defined]
        return view

    return decorate


def _wrapper_chain(function: Any) -> Iterator[Any]:
    while function is not None:
        yield function
        function = getattr(function, "__wrapped__", None)


def required_access(function: Any) -> str | None:
    """``"admin"``, ``"staff"`` or None (public), from the auth decorators around ``function``."""
    found = {_ACCESS_CODES.get(getattr(f, "__code__", None)) for f in _wrapper_chain(function)} - {None}
    return "admin" if "admin" in found else next(iter(found), None)


def declared_statuses(function: Any) -> set[int]:
    return {status for f in _wrapper_chain(function) for status in getattr(f, "_problem_statuses", ())}


def needs_credentials(function: Any) -> bool:
    """Whether the operation is for staff only (an auth decorator, or ``@problems(..., security="staff")``)."""
    declared = {getattr(f, "_problem_security", None) for f in _wrapper_chain(function)}
    return required_access(function) is not None or "staff" in declared


def operation_statuses(function: Any, method: str, has_path_parameters: bool) -> set[int]:
    """Every problem status the operation can answer (the table in this module's docstring)."""
    statuses = {503} | declared_statuses(function)
    access = required_access(function)
    if access is not None:
        statuses.add(401)
    if access == "admin":
        statuses.add(403)
    if has_path_parameters:
        statuses.add(404)
    if method.upper() in WRITE_METHODS:
        statuses |= {400, 403, 413, 415, 422}
    return statuses


def _document_query_bounds(operation: dict[str, Any]) -> None:
    """An integer query parameter without a maximum has the guard's (shared.guard.check_query_integers)."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema") if isinstance(parameter, dict) else None
        if parameter.get("in") == "query" and isinstance(schema, dict) and schema.get("type") == "integer":
            schema.setdefault("maximum", MAX_QUERY_INT)


class ProblemDocs(BasePlugin):
    """An apispec plugin: completes each operation of ``app`` with its statuses and security."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            function = view_function(self.app, rule.endpoint, method)
            statuses = operation_statuses(function, method, bool(rule.arguments))
            responses = operation.setdefault("responses", {})
            present = {int(code) for code in responses if str(code).isdigit()}
            for status in statuses - present:
                responses[status] = http.HTTPStatus(status).name  # the problem+json components of ProblemApi
            operation["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))
            operation["security"] = STAFF_CREDENTIALS if needs_credentials(function) else ANYONE
            _document_query_bounds(operation)
