"""Staff page for one's machine tokens (``/inventory/beheer/sleutels``): list, make one, revoke one.

In the beheer pages' current style (the same blueprint, so the same login redirect and CSRF check), ready for
the shared pages frame to adopt. The page calls the same domain functions as ``/inventory/auth/tokens``: a
token made here is a child of the staff member's session (it ends with the session, and at logout).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request
from werkzeug.wrappers import Response

from services.inventory.domain import credentials
from services.inventory.web.beheer import _lang, _render, blp
from shared.auth import require_principal
from shared.db import get_session
from shared.errors import NotFound
from shared.fields import single_line_problem

WORDS = {
    "nl": {
        "tokens": "API-sleutels",
        "intro": "Een sleutel laat een programma (een agenda, een script) handelen in jouw naam. Hij vervalt"
        " wanneer je afmeldt of wanneer je sessie afloopt.",
        "name": "Waarvoor dient de sleutel?",
        "make": "Sleutel maken",
        "shown_once": "Kopieer de sleutel nu: hij wordt maar één keer getoond.",
        "created": "Gemaakt",
        "expires": "Vervalt",
        "parent": "Gemaakt met",
        "owner": "Van",
        "revoke": "Intrekken",
        "revoked": "Ingetrokken",
        "active": "Actief",
        "none": "Nog geen sleutels.",
        "done": "Sleutel ingetrokken, samen met de sleutels die ermee gemaakt werden.",
        "missing": "Die sleutel bestaat niet.",
        "bad_name": "Geef een naam van één regel (hoogstens 100 tekens).",
        "session": "aanmelding",
        "token": "sleutel",
    },
    "en": {
        "tokens": "API tokens",
        "intro": "A token lets a program (a calendar, a script) act in your name. It ends when you log out or"
        " when your session ends.",
        "name": "What is the token for?",
        "make": "Make a token",
        "shown_once": "Copy the token now: it is shown only once.",
        "created": "Created",
        "expires": "Expires",
        "parent": "Made with",
        "owner": "Owner",
        "revoke": "Revoke",
        "revoked": "Revoked",
        "active": "Active",
        "none": "No tokens yet.",
        "done": "Token revoked, together with the tokens made with it.",
        "missing": "That token does not exist.",
        "bad_name": "Give a one-line name (at most 100 characters).",
        "session": "login",
        "token": "token",
    },
}


def _page(status: int = 200, token: str | None = None, error: str | None = None) -> tuple[str, int]:
    words = WORDS[_lang()]
    tokens = credentials.list_api_tokens(get_session(), require_principal())
    return _render("beheer_tokens.html", w=words, tokens=tokens, new_token=token, error=error), status


@blp.get("/sleutels")
def tokens_page() -> tuple[str, int]:
    return _page()


@blp.post("/sleutels")
def make_token() -> tuple[str, int]:
    name = request.form.get("name", "").strip()
    if not name or len(name) > 100 or single_line_problem(name):
        return _page(422, error=WORDS[_lang()]["bad_name"])
    settings = current_app.config["SETTINGS"]
    db = get_session()
    _record, token = credentials.issue_api_token(
        db, require_principal(), name, settings.secret_key, settings.api_token_days, settings.session_hours
    )
    db.commit()
    return _page(201, token=token)


@blp.post("/sleutels/<token_id>/intrekken")
def revoke_token(token_id: str) -> Response | tuple[str, int]:
    db = get_session()
    try:
        credentials.revoke_api_token(db, require_principal(), token_id)
    except NotFound:
        db.rollback()
        return _page(404, error=WORDS[_lang()]["missing"])
    db.commit()
    flash(WORDS[_lang()]["done"], "ok")
    return redirect("/inventory/beheer/sleutels", code=303)
