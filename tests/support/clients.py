"""The test client every app gets in the tests (tests/conftest.py sets it): it sends what the suite's own pages
and scripts send with every request, the ``X-Requested-With`` header that a write made with the staff session
cookie needs (shared.guard). The tests of that rule itself use ``bare_client``, which sends nothing extra.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, TestResponse
from werkzeug.wrappers import Request

from shared.guard import CSRF_HEADER


class SameOriginClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        prepared = args and isinstance(args[0], EnvironBuilder | dict | Request)
        if not prepared:  # a redirect being followed, or a request built by the caller, is left as it is
            headers = Headers(kwargs.pop("headers", None) or {})
            headers.setdefault(CSRF_HEADER, "XMLHttpRequest")
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def bare_client(app: Flask) -> FlaskClient:
    """A test client that adds no header: what a cross-site form or a careless script sends."""
    return FlaskClient(app, app.response_class, use_cookies=True)
