"""The staff page for one's machine tokens: make one (shown once), see it listed, revoke it."""

from __future__ import annotations

import re

from tests.conftest import STAFF_PASSWORD
from tests.support.forms import csrf_token


def test_a_staff_member_makes_lists_and_revokes_a_token_on_the_page(inventory_app, staff_account, environ):
    client = inventory_app.test_client()
    secret = environ["SECRET_KEY"]
    form = {"csrf_token": csrf_token(client, secret), "email": staff_account["email"], "password": STAFF_PASSWORD}
    assert client.post("/login", data=form).status_code == 303
    assert "Nog geen sleutels." in client.get("/beheer/sleutels").get_data(as_text=True)

    refused = client.post("/beheer/sleutels", data={"csrf_token": csrf_token(client, secret), "name": "a\rb"})
    assert refused.status_code == 422 and "één regel" in refused.get_data(as_text=True)
    made = client.post("/beheer/sleutels", data={"csrf_token": csrf_token(client, secret), "name": "agenda"})
    assert made.status_code == 201
    html = made.get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', html)
    assert token, html
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert inventory_app.test_client().get("/auth/me", headers=bearer).status_code == 200
    listing = client.get("/beheer/sleutels").get_data(as_text=True)
    assert "agenda" in listing and "aanmelding" in listing and token.group(1) not in listing  # shown once

    [record] = client.get("/auth/tokens").json
    revoke = f"/beheer/sleutels/{record['id']}/intrekken"
    assert client.post(revoke, data={"csrf_token": csrf_token(client, secret)}).status_code == 303
    assert "Ingetrokken" in client.get("/beheer/sleutels").get_data(as_text=True)
    assert inventory_app.test_client().get("/auth/me", headers=bearer).status_code == 401
    missing = client.post("/beheer/sleutels/nope/intrekken", data={"csrf_token": csrf_token(client, secret)})
    assert missing.status_code == 404


def test_the_page_speaks_english_with_the_language_cookie(inventory_app, staff_account, environ):
    client = inventory_app.test_client()
    form = {"csrf_token": csrf_token(client, environ["SECRET_KEY"]), "email": staff_account["email"]}
    assert client.post("/login", data={**form, "password": STAFF_PASSWORD}).status_code == 303
    client.set_cookie("uitleen_taal", "en")
    assert "No tokens yet." in client.get("/beheer/sleutels").get_data(as_text=True)
