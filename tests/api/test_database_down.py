"""A database that does not answer is a 503 (problem for the API, a page for people) with Retry-After: the
request did nothing and may be tried again. Never a 500. (tests/e2e/test_database_restart.py restarts a real
PostgreSQL under load.)"""

from __future__ import annotations

from services.booking.app import create_app
from services.booking.web import create_pages_app
from shared.config import load_settings
from shared.db import Database
from tests.booking_fixtures import at, request_body

NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_the_api_and_the_pages_answer_503_while_the_database_is_down(environ):
    settings = load_settings("booking", environ)
    database = Database(NOWHERE, connect_args={"connect_timeout": 1})
    api = create_app(settings, database).test_client()
    refused = api.post("/requests", json=request_body(1, at(1, 10), at(1, 15)))
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert refused.json["type"].endswith("/unavailable") and refused.json["title"] == "Service temporarily unavailable"
    assert refused.headers["Retry-After"] == "5"
    assert api.get("/search?pickup_at=2030-03-05T10:00&return_at=2030-03-05T12:00").status_code == 503
    page = create_pages_app(settings, database).test_client().get("/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Even niet beschikbaar" in page.get_data(as_text=True) and page.mimetype == "text/html"
