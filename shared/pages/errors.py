"""Errors on pages are pages: a short Dutch (or English) explanation and a way on, never JSON, never a trace.

An app with pages may also have JSON API routes (inventory, notify): those keep their problem+json
(``shared.errors``). Which one a request gets is decided by the blueprint that serves it
(``is_page_request``); the API's handlers stay registered and are called for everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy.exc
import structlog
from flask import Flask, current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from shared.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, DomainError
from shared.pages.nav import login_redirect
from shared.pages.redirects import location_for_path

log = structlog.get_logger(__name__)

# What each status is called on the page (the template has the words).
KINDS = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 429: "too_many"}

Handler = Callable[[Any], Any]


def _pages() -> Any:
    return current_app.extensions["uitleen_pages"]


def _blueprint_of_unmatched_route() -> str | None:
    """For a 404 or 405 from the router: the blueprint the path belongs to, if any."""
    error = request.routing_exception
    adapter = current_app.url_map.bind("localhost")
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        try:
            endpoint, _args = adapter.match(request.path, method=sorted(error.valid_methods)[0])
        except HTTPException:
            return None
        return str(endpoint).rpartition(".")[0] or None
    if isinstance(error, NotFound):
        for name, prefix in _pages().prefixes.items():
            if request.path == prefix or request.path.startswith(prefix.rstrip("/") + "/"):
                return str(name)
    return None


def is_page_request() -> bool:
    """Whether this request is for a page (HTML answers) rather than the JSON API of the same app."""
    pages = _pages()
    if pages.everything:
        return True
    blueprint = request.blueprint if request.url_rule is not None else _blueprint_of_unmatched_route()
    return blueprint in pages.blueprints


def back_target() -> str:
    """Where 'go back' leads after a refused form: the nearest page at or above the form's address that can be
    opened (``/staff/aanvragen/7/goedkeuren`` → ``/staff``), with the app's prefix; else the app's home page."""
    adapter = current_app.url_map.bind("localhost")
    path = request.path
    while True:
        try:
            adapter.match(path, method="GET")
        except HTTPException:  # no page there (or only a redirect to one): one level up
            if path == "/":
                return url_for(_pages().home)
            path = path.rstrip("/").rpartition("/")[0] or "/"
            continue
        return location_for_path(request.script_root + path)


def error_page(status: int, kind: str, headers: dict[str, str] | None = None, **context: Any) -> Response:
    html = render_template(current_app.config["PAGES_ERROR_TEMPLATE"], kind=kind, status=status, **context)
    return Response(html, status=status, headers=headers or {}, mimetype="text/html")


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if isinstance(error, CSRFError):
        return error_page(400, "csrf", back=back_target())
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status >= 500:
        return error_page(status, "server", headers)
    return error_page(status, KINDS.get(status, "bad_request"), headers)


def _domain_error(error: DomainError) -> Response:
    """A refusal no view explained itself (the views handle the ones they expect)."""
    if error.status == 401:
        return login_redirect()
    if error.status >= 500:
        return _unavailable(error)
    return error_page(error.status, KINDS.get(error.status, "bad_request"))


def _data_error(_error: Exception) -> Response:
    # A value the database cannot store (a NUL character, a number out of range): the visitor's input.
    return error_page(422, "bad_request")


def _unavailable(error: Exception) -> Response:
    # The database is down or restarting: nothing was saved, and trying again shortly will work.
    log.warning("database_unavailable", error_type=type(getattr(error, "orig", None) or error).__name__)
    return error_page(503, "unavailable", {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unhandled_error", error_type=type(error).__name__)
    return error_page(500, "server")


def _for_pages(app: Flask, kind: type[Exception], page_handler: Handler) -> None:
    """Answer ``kind`` with ``page_handler`` on pages, and with the handler already registered otherwise."""
    api_handler: Handler | None = app.error_handler_spec[None][None].get(kind)

    def handle(error: Exception) -> Any:
        if api_handler is None or is_page_request():
            return page_handler(error)
        return api_handler(error)

    app.register_error_handler(kind, handle)


def register_page_errors(app: Flask) -> None:
    """After the API's handlers (``shared.errors.register_error_handlers``) when the app has an API."""
    _for_pages(app, HTTPException, _http_error)
    _for_pages(app, DomainError, _domain_error)
    _for_pages(app, sqlalchemy.exc.DataError, _data_error)
    for unavailable in DATABASE_UNAVAILABLE:
        _for_pages(app, unavailable, _unavailable)
    _for_pages(app, Exception, _unexpected)
