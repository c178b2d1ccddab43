"""The one frame of every service's web pages (booking's public and staff pages, inventory's, notify's).

A service gives the frame its page blueprints and its message catalogue, and gets:

- Flask-Babel with the frame's catalogue and the service's (Dutch msgids; English in ``translations/en``);
  the language from ``?lang=`` or the ``uitleen_taal`` cookie, set by ``/taal/<code>?terug=…`` (every app
  has the route, under its own prefix);
- CSRF protection (Flask-WTF) on the page blueprints, with the one ``uitleen_pages`` session cookie and the
  shared ``SECRET_KEY``, so a token made by one app is good in the others (the staff nav's logout posts to
  inventory);
- HTML error pages for page routes (400 with a way back, 403, 404, 405, 429, 500, 503 with ``Retry-After``),
  while the JSON API routes of the same app keep their problem+json;
- the layouts (``frame/base.html`` for the public, ``frame/staff.html`` with the staff navigation, the staff
  member's name, logout and the language switch), the stylesheet and script (``frame.static``), Jinja filters
  for dates and times, ``in_language``, and ``safe_redirect_target`` for every redirect a visitor can steer.

docs/web.md says how to put a service on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, redirect, request, url_for
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from shared.auth import PASSWORD_PAGE_HOOK, current_principal
from shared.config import Settings
from shared.errors import DATABASE_UNAVAILABLE
from shared.pages import i18n, nav
from shared.pages.errors import is_page_request, register_page_errors
from shared.pages.redirects import location_for_path, safe_redirect_target

HERE = Path(__file__).resolve().parent
TRANSLATIONS = HERE / "translations"
SESSION_COOKIE = "uitleen_pages"
# Filling in a form can take a while for someone not at ease with computers.
CSRF_TIME_LIMIT_SECONDS = 8 * 3600

__all__ = ["init_pages", "require_staff_login", "safe_redirect_target"]

frame = Blueprint(
    "frame", __name__, template_folder="templates", static_folder="static", static_url_path="/frame-static"
)


@dataclass
class Pages:
    """What the frame knows of an app: which blueprints are pages, and where 'home' is."""

    blueprints: set[str]
    prefixes: dict[str, str]
    home: str
    everything: bool = False
    csrf: CSRFProtect = field(default_factory=CSRFProtect)
    # the stylesheet's and the script's addresses per mount point (script root), built once per process
    assets: dict[str, tuple[str, str]] = field(default_factory=dict)


def init_pages(
    app: Flask,
    settings: Settings,
    translations: Path,
    blueprints: Iterable[Blueprint] = (),
    *,
    home: str,
    everything: bool = False,
    error_template: str = "frame/error.html",
) -> None:
    """Put ``app``'s pages on the frame; call it after the blueprints are registered.

    ``blueprints`` are the page blueprints of an app that also serves a JSON API; ``everything=True`` says that
    every route of the app is a page (booking's pages app). ``home`` is the endpoint a refused form falls back to.
    """
    page_blueprints = list(blueprints)
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=CSRF_TIME_LIMIT_SECONDS,
        # The frame checks the page blueprints itself (below); the JSON API of the same app has no forms.
        WTF_CSRF_CHECK_DEFAULT=False,
        # Over https Flask-WTF also wants a same-site Referer, but every response says Referrer-Policy:
        # no-referrer (status links carry their token in the path), so browsers send none. The signed token in
        # the form, tied to the session cookie (SameSite=Lax), is the protection.
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT_LANGUAGE,
        # Both catalogues; for a msgid in both, the service's (the last) wins.
        BABEL_TRANSLATION_DIRECTORIES=f"{TRANSLATIONS};{translations}",
        PAGES_ERROR_TEMPLATE=error_template,
    )
    pages = Pages(
        blueprints={frame.name, *(b.name for b in page_blueprints)},
        prefixes={b.name: b.url_prefix for b in page_blueprints if b.url_prefix},
        home=home,
        everything=everything,
    )
    app.extensions["uitleen_pages"] = pages
    pages.csrf.init_app(app)
    Babel(app, locale_selector=i18n.select_locale)
    i18n.install_cheap_gettext(app.jinja_env)
    app.register_blueprint(frame)
    app.jinja_env.filters.update(i18n.FILTERS)
    app.jinja_env.globals.update(i18n.GLOBALS)
    app.jinja_env.globals.update(staff_nav=nav.STAFF_NAV, nav=nav)
    app.context_processor(_page_context)

    @app.before_request
    def _check_csrf() -> None:
        # Only a page's own form is checked (POST, PUT, PATCH, DELETE): an unknown address is a 404 or 405 page.
        enabled = current_app.config.get("WTF_CSRF_ENABLED", True)  # Flask-WTF's own switch, for tests
        if enabled and request.url_rule is not None and is_page_request():
            pages.csrf.protect()  # raises CSRFError: a 400 page with a way back

    # a staff member whose password an administrator set is sent to choose their own (shared.auth's gate)
    app.extensions[PASSWORD_PAGE_HOOK] = (is_page_request, nav.PASSWORD_PAGE)
    register_page_errors(app)


def require_staff_login(blueprint: Blueprint) -> None:
    """Every page of ``blueprint`` is for logged-in staff: others are sent to the login, and back after it."""

    @blueprint.before_request
    def _staff_only() -> Response | None:
        return nav.login_redirect() if current_principal() is None else None


def here_for_switch() -> str:
    """This page's address with its prefix and query, less ``lang`` (the switch would otherwise undo itself)."""
    path = location_for_path(request.script_root + request.path)
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{path}?{urlencode(args)}" if args else path


def _frame_assets() -> tuple[str, str]:
    """The frame's stylesheet and script: the same addresses on every page of an app under one mount point."""
    known = current_app.extensions["uitleen_pages"].assets
    found: tuple[str, str] | None = known.get(request.script_root)
    if found is None:
        found = known[request.script_root] = (
            url_for("frame.static", filename="uitleen.css"),
            url_for("frame.static", filename="uitleen.js"),
        )
    return found


def _page_context() -> dict[str, Any]:
    language = i18n.lang()
    other = "en" if language == "nl" else "nl"
    stylesheet, script = _frame_assets()
    return {
        **i18n.page_callables(language),
        "frame_stylesheet": stylesheet,
        "frame_script": script,
        "lang": language,
        "other_lang": other,
        "other_lang_name": i18n.LANGUAGE_NAMES[other],
        "switch_url": url_for("frame.switch_language", code=other, terug=here_for_switch()),
        "here": request.script_root + request.path,
        "principal": _principal_if_known(),
    }


def _principal_if_known() -> Any:
    """Who is logged in, for the layout; nobody when the database cannot say (the 503 page must still render)."""
    try:
        return current_principal()
    except DATABASE_UNAVAILABLE:
        return None


@frame.get("/taal/<code>")
def switch_language(code: str) -> Response:
    """Remember the language for the whole origin, then back to the page the visitor came from."""
    home = url_for(current_app.extensions["uitleen_pages"].home)
    response = redirect(safe_redirect_target(request.args.get("terug"), default=home))
    if code in i18n.LANGUAGES:
        secure = current_app.config["SETTINGS"].secure_cookies
        response.set_cookie(
            i18n.COOKIE, code, max_age=i18n.COOKIE_MAX_AGE, path="/", samesite="Lax", httponly=True, secure=secure
        )
    return response
