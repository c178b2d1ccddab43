"""Staff page for one's machine tokens (``/inventory/beheer/sleutels``): list, make one, revoke one.

On the beheer blueprint (the same login redirect and CSRF check). The page makes the same application calls
as ``/inventory/auth/tokens`` (``mint_token``, ``revoke_token``): a token made here is a child of the staff
member's session (it ends with the session, and at logout).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.inventory import application
from services.inventory.domain import credentials
from services.inventory.web.beheer import blp
from shared.auth import require_principal
from shared.db import get_session
from shared.errors import NotFound
from shared.fields import single_line_problem

MAX_NAME = 100


def _page(status: int = 200, token: str | None = None, error: str | None = None) -> tuple[str, int]:
    tokens = credentials.list_api_tokens(get_session(), require_principal())
    return render_template("beheer_tokens.html", tokens=tokens, new_token=token, error=error), status


@blp.get("/sleutels")
def tokens_page() -> tuple[str, int]:
    return _page()


@blp.post("/sleutels")
def make_token() -> tuple[str, int]:
    name = request.form.get("name", "").strip()
    if not name or len(name) > MAX_NAME or single_line_problem(name):
        return _page(422, error=_("Geef een naam van één regel (hoogstens %(max)d tekens).", max=MAX_NAME))
    _record, token = application.mint_token(get_session(), require_principal(), name, current_app.config["SETTINGS"])
    return _page(201, token=token)


@blp.post("/sleutels/<token_id>/intrekken")
def revoke_token(token_id: str) -> Response | tuple[str, int]:
    try:
        application.revoke_token(get_session(), require_principal(), token_id)
    except NotFound:
        return _page(404, error=_("Die sleutel bestaat niet."))
    flash(_("Sleutel ingetrokken, samen met de sleutels die ermee gemaakt werden."), "ok")
    return redirect(url_for("beheer.tokens_page"), code=303)
