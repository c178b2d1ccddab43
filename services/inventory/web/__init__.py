"""Inventory's HTML pages: the staff login form (staff accounts belong to inventory) and logout.

The form sets the same signed cookie as the JSON login (``shared.auth.set_session_cookie``), under the same
rate limits, and sends the staff member on to the staff pages at ``/staff``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug.wrappers import Response

from services.inventory.api.auth import login_attempts, login_failures
from services.inventory.domain import credentials, staff
from services.inventory.web import beheer, tokens  # noqa: F401  (tokens adds its routes to beheer)
from shared.auth import clear_session_cookie, current_principal, set_session_cookie
from shared.clock import to_local
from shared.db import get_session
from shared.errors import Unauthorized

blp = Blueprint("pages", __name__, template_folder="templates")

LANGUAGE_COOKIE = "uitleen_taal"  # the pages' language switch (services/booking/web/i18n.py)
TEXT = {
    "nl": {
        "title": "Aanmelden voor medewerkers",
        "intro": "Meld je aan met je e-mailadres van de stad.",
        "email": "E-mailadres",
        "password": "Wachtwoord",
        "submit": "Aanmelden",
        "wrong": "Dit e-mailadres of wachtwoord klopt niet. Probeer opnieuw.",
        "expired": "Het formulier was verlopen. Probeer opnieuw.",
        "too_many": "Te veel pogingen. Wacht een kwartier en probeer dan opnieuw.",
        "problem": "Er loopt iets mis:",
        "back": "Terug naar de startpagina",
        "switch": "English",
        "other": "en",
    },
    "en": {
        "title": "Staff login",
        "intro": "Log in with your city e-mail address.",
        "email": "E-mail address",
        "password": "Password",
        "submit": "Log in",
        "wrong": "This e-mail address or password is not correct. Try again.",
        "expired": "The form had expired. Please try again.",
        "too_many": "Too many attempts. Wait a quarter of an hour, then try again.",
        "problem": "Something is wrong:",
        "back": "Back to the home page",
        "switch": "Nederlands",
        "other": "nl",
    },
}


def _next() -> str:
    target = request.values.get("next", "/staff")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/staff"
    return target


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    lang = request.cookies.get(LANGUAGE_COOKIE, "nl")
    text = TEXT.get(lang, TEXT["nl"])
    context: dict[str, Any] = {
        "t": text,
        "lang": lang if lang in TEXT else "nl",
        "error": text[error] if error else None,
        "email": request.form.get("email", ""),
        "next": _next(),
        "csrf": generate_csrf(),
    }
    return render_template("inventory_login.html", **context), status


@blp.get("/login")
def login_form() -> tuple[str, int] | Response:
    if current_principal() is not None:
        return redirect(_next())
    return _page()


@blp.post("/login")
@login_attempts  # the same counters as the JSON login (services.inventory.api.auth)
@login_failures
def login() -> tuple[str, int] | Response:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except Exception:  # flask_wtf raises ValidationError for a missing, expired or forged token
        return _page("expired", 400)
    db = get_session()
    try:
        hours = current_app.config["SETTINGS"].session_hours
        principal = staff.log_in(db, request.form.get("email", ""), request.form.get("password", ""), hours)
    except Unauthorized:
        return _page("wrong", 401)
    db.commit()
    response = redirect(_next(), code=303)
    set_session_cookie(response, principal)
    return response


@blp.post("/logout")
def logout() -> Response:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except Exception:
        return redirect("/staff", code=303)
    db = get_session()
    credentials.end_session(db, current_principal())  # the session, and tokens minted with it, end here
    db.commit()
    response = redirect("/", code=303)
    clear_session_cookie(response)
    return response


def init_pages(app: Flask) -> None:
    """Register the pages; share the pages' session cookie so one CSRF token serves the whole origin."""
    app.config["SESSION_COOKIE_NAME"] = "uitleen_pages"
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    app.register_blueprint(blp)
    app.register_blueprint(beheer.blp)
    app.jinja_env.filters["brussels"] = lambda instant: to_local(instant).strftime("%d-%m-%Y %H:%M")

    @app.errorhandler(429)
    def _too_many(error: Exception) -> Any:
        if request.blueprint == blp.name:
            return _page("too_many", 429)
        from shared.errors import handle_http_exception

        return handle_http_exception(error)  # type: ignore[arg-type]
