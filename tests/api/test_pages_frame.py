"""The pages frame (shared/pages) in each of the three pages apps, asked as a browser asks, under the app's prefix:

- every route of every page blueprint (from the apps' ``url_map``), called with hostile ``next``/``terug``
  values and hostile path segments, by the public and by staff: never a redirect off the site, never a 500;
- 404, 405, 403 and refused forms (CSRF) answered with an HTML page, in Dutch and in English, with a way back
  that keeps the prefix; the database down is a 503 page with Retry-After; the JSON API routes of the same apps
  keep their problem+json;
- the stylesheet each page links to is there (200) under every prefix, also in the embedded mode's mounting;
- the cross-app paths of the navigation (shared/pages/nav.py) are pages of the apps they name.

(tests/api/test_language_walk.py visits every page in both languages; tests/unit/test_safe_redirects.py holds
the redirect guard itself to a table and a property.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.test import Client

from shared.auth import SESSION_COOKIE
from shared.config import load_settings
from shared.db import Database
from shared.pages import nav
from tests.booking_fixtures import SECRET, InventoryFeed, ensure_staff_account, staff_cookie
from tests.conftest import STAFF_PASSWORD
from tests.support.forms import csrf_token
from tests.support.pages_world import MOUNTS, Mounted, page_apps
from tests.unit.test_safe_redirects import stays_on_the_site

pytestmark = pytest.mark.postgres

HOSTILE_TARGETS = [
    "//evil.example",
    "/\\evil.example",
    "/\t/evil.com",
    "/%09/evil.com",
    "https://evil.example",
    "javascript:alert(1)",
    "/staff\r\nSet-Cookie: x=1",
    "\x00",
    " /staff",
    "／／evil.example",
    "/" + "a" * 3000,
]
HOSTILE_SEGMENTS = ["a\r\nb", "a\tb", "//evil.example", "\x00", "é\u202e"]


@pytest.fixture
def apps(environ: dict[str, str], databases: dict[str, Database]) -> dict[str, Flask]:
    return page_apps(environ, databases)


def page_rules(app: Flask) -> Iterator[Rule]:
    pages = app.extensions["uitleen_pages"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "frame.static" and (
            pages.everything or rule.endpoint.rpartition(".")[0] in pages.blueprints
        ):
            yield rule


def paths_for(rule: Rule) -> Iterator[str]:
    """The rule's path with ordinary values, then with each hostile segment in each string variable."""
    converters = rule._converters  # name → converter
    ordinary = {
        name: "1" if type(c).__name__ in ("BoundedInt", "IntegerConverter") else "x" for name, c in converters.items()
    }

    def build(values: dict[str, str]) -> str:
        return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: quote(values[m.group(1)], safe=""), rule.rule)

    yield build(ordinary)
    for name, value in ordinary.items():
        if value == "x":
            for segment in HOSTILE_SEGMENTS:
                yield build({**ordinary, name: segment})


def assert_safe(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    location = response.headers.get("Location")
    if location is not None:
        assert location.isascii() and all(0x21 <= ord(ch) < 0x7F for ch in location), (what, location)
        # The router's own redirects (a doubled slash merged) name this very host: the request's.
        assert stays_on_the_site(location.removeprefix("http://localhost")), (what, location)


def test_no_visitor_can_steer_a_redirect_off_the_site_or_into_a_500(
    apps: dict[str, Flask], staff_account: dict[str, object]
) -> None:
    tried = 0
    for name, app in apps.items():
        for rule in page_rules(app):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                for staff in (False, True):
                    client = Mounted(app, MOUNTS[name], staff=staff)
                    for path in paths_for(rule):
                        for target in HOSTILE_TARGETS:
                            what = f"{method} {MOUNTS[name]}{path} next={target!r} staff={staff}"
                            query = urlencode({"next": target, "terug": target})
                            if method == "GET":
                                response = client.open(f"{path}?{query}")
                            else:
                                form = {"next": target, "csrf_token": csrf_token(client.client, SECRET)}
                                if rule.endpoint == "pages.login":
                                    form.update(email=str(staff_account["email"]), password=STAFF_PASSWORD)
                                response = client.open(f"{path}?{query}", method, data=form)
                            assert_safe(response, what)
                            tried += 1
    assert tried > 1000  # every app's every page route, as both visitors


def test_a_path_with_a_line_break_is_sent_to_the_login_encoded(apps: dict[str, Flask]) -> None:
    # It was a 500: the decoded path went into the Location header as it was.
    cases = (("pages", "/staff/balie/a%0d%0ab"), ("inventory", "/beheer?x=%0d%0a"), ("notify", "/bellijst?dag=%0a"))
    for name, path in cases:
        response = Mounted(apps[name], MOUNTS[name]).open(path)
        assert response.status_code == 302, name
        assert response.headers["Location"].startswith(f"{nav.LOGIN}?next={MOUNTS[name]}/"), name
        assert "\r" not in response.headers["Location"] and "\n" not in response.headers["Location"]


def test_after_logging_in_the_staff_member_is_back_where_they_were(
    apps: dict[str, Flask], staff_account: dict[str, object]
) -> None:
    refused = Mounted(apps["notify"], "/notify").open("/bellijst?dag=2030-03-06")
    login = refused.headers["Location"]
    assert login == f"{nav.LOGIN}?next=/notify/bellijst%3Fdag%3D2030-03-06"
    inventory = Mounted(apps["inventory"], "/inventory")
    form = {"csrf_token": csrf_token(inventory.client, SECRET), "email": staff_account["email"]}
    form.update(password=STAFF_PASSWORD, next="/notify/bellijst?dag=2030-03-06")
    response = inventory.open("/login", "POST", data=form)
    assert response.status_code == 303 and response.headers["Location"] == "/notify/bellijst?dag=2030-03-06"


ADMIN = staff_cookie([], role="admin", staff_id=99)
STAFF_ELSEWHERE = staff_cookie([999])
# (app, method, path, who, status, Dutch words, English words)
ERRORS = [
    ("pages", "GET", "/bestaat-niet", None, 404, "Deze pagina bestaat niet (meer)", "This page does not exist"),
    ("pages", "POST", "/privacy", None, 405, "Zo werkt deze pagina niet", "This page does not work that way"),
    ("pages", "GET", "/staff/privacy", STAFF_ELSEWHERE, 403, "Alleen beheerders mogen", "Only administrators may"),
    ("inventory", "GET", "/beheer/bestaat-niet", ADMIN, 404, "Deze pagina bestaat niet", "This page does not exist"),
    ("inventory", "GET", "/beheer/materiaal/999999", ADMIN, 404, "Deze pagina bestaat niet", "This page does not"),
    ("inventory", "GET", "/logout", None, 405, "Zo werkt deze pagina niet", "This page does not work that way"),
    ("notify", "POST", "/berichten", ADMIN, 405, "Zo werkt deze pagina niet", "This page does not work that way"),
]


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: f"{c[0]} {c[1]} {c[2]}")
def test_errors_on_pages_are_pages_in_the_readers_language(apps: dict[str, Flask], case: tuple[Any, ...]) -> None:
    name, method, path, who, status, dutch, english = case
    for language, words in (("nl", dutch), ("en", english)):
        client = Mounted(apps[name], MOUNTS[name], language=language)
        if who:
            client.client.set_cookie(SESSION_COOKIE, who)
        data = {"csrf_token": csrf_token(client.client, SECRET)} if method == "POST" else None
        response = client.open(path, method, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == status and response.mimetype == "text/html", (language, html[:300])
        assert f'<html lang="{language}">' in html and words in html, (language, html[:2000])
        if status == 405:
            assert response.headers["Allow"]


def test_a_refused_form_is_a_page_with_a_way_back_under_the_prefix(apps: dict[str, Flask], feed: InventoryFeed) -> None:
    asset = feed.asset(feed.location(), code="naaimachine", public=True)
    cases = [
        ("pages", "/lenen/naaimachine/aanvraag", False, "/lenen/naaimachine/aanvraag"),
        ("pages", "/staff/aanvragen/1/goedkeuren", True, "/staff"),  # no page of its own: the one above it
        ("inventory", f"/beheer/materiaal/{asset}", True, f"/inventory/beheer/materiaal/{asset}"),
        ("inventory", "/login", False, "/inventory/login"),
    ]
    for name, path, staff, back in cases:
        for language, words in (("nl", "Je formulier is verlopen"), ("en", "Your form has expired")):
            client = Mounted(apps[name], MOUNTS[name], language=language, staff=staff)
            response = client.open(path, "POST", data={"csrf_token": "forged"})
            html = response.get_data(as_text=True)
            assert response.status_code == 400 and response.mimetype == "text/html", (path, html[:300])
            assert words in html and f'href="{back}"' in html, (path, language, html[:3000])


def test_the_management_pages_refuse_another_centres_asset_with_a_403_page(
    apps: dict[str, Flask], feed: InventoryFeed
) -> None:
    asset = feed.asset(feed.location(), code="naaimachine")
    ensure_staff_account(feed.inventory_db, 1, location_ids=(999,))  # STAFF_ELSEWHERE's account
    client = Mounted(apps["inventory"], "/inventory")
    client.client.set_cookie(SESSION_COOKIE, STAFF_ELSEWHERE)
    form = {"csrf_token": csrf_token(client.client, SECRET), "name_nl": "Naaimachine", "name_en": "Sewing machine"}
    form.update(dict.fromkeys(("quantity", "lead_time_hours", "min_loan_hours", "turnaround_after_hours"), "1"))
    response = client.open(f"/beheer/materiaal/{asset}", "POST", data={**form, "version": "1"})
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "Je kan alleen aanpassen wat bij je eigen buurtcentrum hoort." in response.get_data(as_text=True)


def test_the_api_routes_of_the_same_apps_keep_their_problem_json(apps: dict[str, Flask]) -> None:
    cases = [
        ("inventory", "GET", "/assets/999999", 404),
        ("inventory", "GET", "/nowhere", 404),
        ("inventory", "DELETE", "/assets", 405),
        ("inventory", "POST", "/assets", 401),
        ("notify", "GET", "/deliveries", 401),
        ("notify", "GET", "/nowhere", 404),
    ]
    for name, method, path, status in cases:
        response = Mounted(apps[name], MOUNTS[name], language="en").open(path, method, json={})
        assert response.status_code == status and response.mimetype == "application/problem+json", (name, path)
    # JSON clients send no CSRF token and need none: a wrong password is the API's own 401
    credentials = {"email": "nobody@example.org", "password": "not the password at all"}
    wrong = Mounted(apps["inventory"], "/inventory").open("/auth/login", "POST", json=credentials)
    assert wrong.status_code == 401 and wrong.mimetype == "application/problem+json"


def test_a_database_that_does_not_answer_is_a_503_page_or_problem(environ: dict[str, str]) -> None:
    from services.inventory.app import create_app as create_inventory
    from services.notify.app import create_app as create_notify

    nowhere = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 1})
    inventory = Mounted(create_inventory(load_settings("inventory", environ), nowhere), "/inventory", staff=True)
    notify = Mounted(create_notify(load_settings("notify", environ), nowhere), "/notify", staff=True)
    for client, path in ((inventory, "/beheer"), (notify, "/berichten")):
        page = client.open(path)
        assert page.status_code == 503 and page.mimetype == "text/html", path
        assert page.headers["Retry-After"] == "5" and "Even niet beschikbaar" in page.get_data(as_text=True)
    for client, path in ((inventory, "/assets"), (notify, "/deliveries")):
        api = client.open(path)
        assert api.status_code == 503 and api.mimetype == "application/problem+json", path
    nowhere.dispose()


STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">')


def test_every_app_links_a_stylesheet_it_serves_under_its_own_prefix(apps: dict[str, Flask]) -> None:
    for name, path, staff in (("pages", "/", False), ("inventory", "/login", False), ("notify", "/bellijst", True)):
        client = Mounted(apps[name], MOUNTS[name], staff=staff)
        page = client.open(path).get_data(as_text=True)
        href = STYLESHEET.search(page)
        assert href and href.group(1) == f"{MOUNTS[name]}/frame-static/uitleen.css", (name, page[:400])
        with client.open(href.group(1).removeprefix(MOUNTS[name])) as css:
            assert css.status_code == 200 and css.mimetype == "text/css", name


def test_in_the_embedded_mode_every_stylesheet_link_resolves(
    environ: dict[str, str], databases: dict[str, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.embedded.app import create_embedded_app

    for variable, value in environ.items():
        monkeypatch.setenv(variable, value)
    embedded = create_embedded_app()
    ensure_staff_account(databases["inventory"], 99, role="admin")
    public, staff = Client(embedded), Client(embedded)
    staff.set_cookie(SESSION_COOKIE, ADMIN)
    pages = [(public, "/"), (public, "/inventory/login"), (staff, "/staff"), (staff, "/inventory/beheer")]
    pages += [(staff, "/notify/berichten"), (staff, "/notify/bellijst")]
    try:
        for client, path in pages:
            page = client.get(path)
            assert page.status_code == 200, (path, page.status_code)
            href = STYLESHEET.search(page.get_data(as_text=True))
            assert href, path
            with client.get(href.group(1)) as css:
                assert css.status_code == 200 and css.mimetype == "text/css", (path, href.group(1))
    finally:
        for app in (embedded.app, *embedded.mounts.values()):
            app.extensions["database"].dispose()  # type: ignore[attr-defined]


def app_of(path: str) -> str:
    """Which app serves ``path`` of the origin (the gateway's and the embedded mode's layout)."""
    for name, prefix in MOUNTS.items():
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            return name
    return "pages"


def test_the_navigations_paths_are_pages_of_the_apps_they_name(apps: dict[str, Flask]) -> None:
    paths = [(entry.path, "GET") for entry in nav.STAFF_NAV]
    paths += [
        (nav.LOGIN, "GET"),
        (nav.LOGOUT, "POST"),
        (nav.HOME, "GET"),
        (nav.PRIVACY, "GET"),
        (nav.STAFF_HOME, "GET"),
        (nav.CENTRE_PAGE.format(id=1), "GET"),
    ]
    for path, method in paths:
        name = app_of(path)
        adapter = apps[name].url_map.bind("localhost")
        endpoint, _args = adapter.match(path.removeprefix(MOUNTS[name]) or "/", method=method)
        assert endpoint.rpartition(".")[0] in apps[name].extensions["uitleen_pages"].blueprints or name == "pages"


def test_a_failure_of_ours_is_a_500_page_on_pages_and_a_problem_on_the_api(apps: dict[str, Flask]) -> None:
    app = apps["inventory"]
    app.testing = False  # as in production: the handler answers, nothing propagates

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/beheer/kapot", endpoint="beheer.broken", view_func=broken)  # a page of beheer's blueprint
    app.add_url_rule("/assets-broken", endpoint="assets.broken", view_func=broken)  # a route of the API's
    client = Mounted(app, "/inventory", staff=True)
    page = client.open("/beheer/kapot")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Er liep iets mis bij ons" in page.get_data(as_text=True) and "a bug" not in page.get_data(as_text=True)
    api = client.open("/assets-broken")
    assert api.status_code == 500 and api.mimetype == "application/problem+json"
