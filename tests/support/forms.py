"""Form helpers for tests that post the pages' forms without first reading them."""

from __future__ import annotations

from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's


def csrf_token(client: FlaskClient, secret_key: str) -> str:
    """A valid Flask-WTF token for this client's session, as a page would have put in its form."""
    raw = "test-csrf-" + "0" * 30
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    return URLSafeTimedSerializer(secret_key, salt=CSRF_SALT).dumps(raw)
