"""Inventory's HTML pages: the staff login form (staff accounts belong to inventory), logout, and managing assets.

The form sets the same signed cookie as the JSON login (``shared.auth.set_session_cookie``), under the same
rate limits, and sends the staff member on to where they were going (``?next=``, only a path of this site) or
to the staff pages at ``/staff``. The pages stand on the pages frame (``shared.pages``): language, CSRF, error
pages and layouts are the frame's; the texts are in ``translations/`` (Dutch msgids, English catalogue).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.inventory import application
from services.inventory.api.auth import login_attempts, login_failures
from services.inventory.web import accounts, beheer, centres, tokens  # noqa: F401  (they add routes to beheer)
from shared.auth import allow_before_password_change, clear_session_cookie, current_principal, set_session_cookie
from shared.config import Settings
from shared.db import get_session
from shared.errors import Unauthorized
from shared.pages import init_pages, nav, safe_redirect_target

HERE = Path(__file__).resolve().parent

blp = Blueprint("pages", __name__, template_folder="templates")


def _next() -> str:
    return safe_redirect_target(request.values.get("next"), default=nav.STAFF_HOME)


def _login_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    html = render_template("inventory_login.html", error=error, email=request.form.get("email", ""), next=_next())
    return html, status


@blp.get("/login")
def login_form() -> tuple[str, int] | Response:
    if current_principal() is not None:
        return redirect(_next())
    return _login_page()


@blp.post("/login")
@login_attempts  # the same counters as the JSON login (services.inventory.api.auth)
@login_failures
def login() -> tuple[str, int] | Response:
    hours = current_app.config["SETTINGS"].session_hours
    try:
        principal = application.log_in(
            get_session(), request.form.get("email", ""), request.form.get("password", ""), hours
        )
    except Unauthorized:
        return _login_page(_("Dit e-mailadres of wachtwoord klopt niet. Probeer opnieuw."), 401)
    # an administrator set the password: choose one's own first (every other page would send there anyway)
    target = url_for("beheer.password_page") if principal.must_change_password else _next()
    response = make_response(redirect(target, code=303))
    set_session_cookie(response, principal)
    return response


@blp.post("/logout")
def logout() -> Response:
    application.log_out(get_session(), current_principal())  # the session, and tokens minted with it, end here
    response = make_response(redirect(nav.HOME, code=303))
    clear_session_cookie(response)
    return response


def init_web(app: Flask, settings: Settings) -> None:
    """Register the pages on the frame, beside the JSON API (which keeps its problem+json errors)."""
    app.register_blueprint(blp)
    app.register_blueprint(beheer.blp)
    init_pages(
        app,
        settings,
        HERE / "translations",
        [blp, beheer.blp],
        home="beheer.overview",
        error_template="inventory_error.html",
    )
    # before choosing a new password after a reset: the password page, logging in (as someone else) and out
    allow_before_password_change(
        app, "beheer.password_page", "beheer.change_password", "pages.login_form", "pages.login", "pages.logout"
    )
