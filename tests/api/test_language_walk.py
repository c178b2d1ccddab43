"""The language walk: every page of every pages app, in Dutch and in English, says nothing in the other language;
and every staff page has the one navigation, the staff member's name, logout and the language switch.

The pages are taken from each app's ``url_map`` (every GET route of its page blueprints; a new page without a
visit below fails the walk, naming it), visited in a suite that has something on every page
(tests/support/pages_world.py builds it through the real domain functions and event path), once with the
language cookie on Dutch and once on English, as the staff member or the public they are for. Some forms are
also sent wrong, so that their error messages are judged too. The judge (tests/support/language.py) holds each
page against every catalogue and a list of words of one language only, with what people typed taken out.

Booking's domain still writes some prose of its own (the lead engineer replaces it with codes); what the walk
finds of it is listed, exactly, in BOOKING_DOMAIN_PROSE, so the walk still covers those pages and says when a
text is gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from shared.config import SERVICES
from shared.db import Database
from shared.migrations import upgrade
from shared.pages import nav
from tests.booking_fixtures import SECRET
from tests.conftest import ROOT
from tests.support.forms import csrf_token
from tests.support.language import findings, readable_text, snippet, without_data
from tests.support.pages_world import MOUNTS, Mounted, World, build_world, call_list_query, caravan_form, page_apps

pytestmark = pytest.mark.postgres  # and SQLite: the walk runs on both
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Visit:
    path: str  # ``{name}`` is filled from the world
    staff: bool = False
    method: str = "GET"
    form: dict[str, str] | None = None
    status: int = 200
    submit_first: bool = False  # the confirmation page shows the request this client just sent
    typed: tuple[str, ...] = field(default_factory=tuple)  # what this visit's form typed (data, not language)
    label: str = ""  # how the known lists below name it, when its method and path are not enough

    @property
    def name(self) -> str:
        return self.label or f"{self.method} {self.path}"


CARAVAN = "/lenen/{asset_code}/aanvraag"
BAD_REQUEST_FORM = {
    "initiative": "",
    "contact_name": "An Peeters",
    "email": "an@",
    "pickup_date": "2030-03-01",
    "pickup_time": "10:00",
    "return_date": "2030-03-01",
    "return_time": "09:00",
    "answer-extra-nummerplaat": "??",
    "language": "nl",
}
# Past the schema, refused by booking's domain: its own messages (pick-up in the past, the plate's format).
REFUSED_REQUEST_FORM = {
    **BAD_REQUEST_FORM,
    "initiative": "Buurtfeest Dampoort",
    "email": "an@example.org",
    "pickup_date": "2030-03-04",
    "pickup_time": "07:00",
    "return_date": "2030-03-09",
    "answer-trekhaak": "yes",
    "answer-extra-nummerplaat": "XYZ",
    "purpose": "ruilmarkt",
    "consent": "yes",
}
REFUSED_PUBLIC, REFUSED_DESK = "the request form refused by the domain", "the desk form refused by the domain"
BAD_ASSET_FORM = {
    "name_nl": "Caravan doorgeefbazaar",
    "name_en": "Pass-on bazaar caravan",
    "quantity": "twee",
    "lead_time_hours": "0",
    "min_loan_hours": "5",
    "max_loan_hours": "2",
    "turnaround_after_hours": "0",
    "version": "1",
}

# endpoint → the visits that show it (GET pages; POSTs where a wrong form shows error messages).
VISITS: dict[str, dict[str, list[Visit]]] = {
    "pages": {
        "public.home": [Visit("/"), Visit("/?van_datum=2030-03-09&tot_datum=2030-03-10"), Visit("/?van_datum=x")],
        "public.asset_page": [Visit("/lenen/{asset_code}")],
        "public.request_form": [Visit(CARAVAN)],
        "public.submit_request": [
            Visit(CARAVAN, method="POST", form=BAD_REQUEST_FORM, status=422, typed=("??", "an@")),
            Visit(CARAVAN, method="POST", form=REFUSED_REQUEST_FORM, status=422, typed=("XYZ",), label=REFUSED_PUBLIC),
        ],
        "public.confirmation": [Visit("/aanvraag/ontvangen", submit_first=True)],
        "public.status": [Visit("/status/{status_token}")],
        "public.change_contact": [
            Visit("/status/{status_token}/contact", method="POST", form={"contact_name": "An"}, status=422)
        ],
        "public.privacy": [Visit("/privacy")],
        "staff.dashboard": [Visit("/staff", staff=True)],
        "staff.loans": [Visit("/staff/uitlenen", staff=True)],
        "staff.calendar": [Visit("/staff/kalender", staff=True), Visit("/staff/kalender?weergave=maand", staff=True)],
        "staff.walk_in_choose": [Visit("/staff/balie", staff=True)],
        "staff.walk_in_form": [Visit("/staff/balie/{asset_code}", staff=True)],
        "staff.walk_in_submit": [
            Visit("/staff/balie/{asset_code}", staff=True, method="POST", form=BAD_REQUEST_FORM, status=422),
            Visit(
                "/staff/balie/{asset_code}",
                staff=True,
                method="POST",
                form={**REFUSED_REQUEST_FORM, "consent_by": "desk"},
                status=422,
                typed=("XYZ",),
                label=REFUSED_DESK,
            ),
        ],
        "staff.request_page": [Visit("/staff/aanvragen/{request_id}", staff=True, typed=("Alles mee",))],
        "staff.slip": [Visit("/staff/aanvragen/{request_id}/briefje", staff=True)],
        "staff.reschedule": [
            Visit(
                "/staff/aanvragen/{request_id}/verplaatsen",
                staff=True,
                method="POST",
                form={"return_date": "2030-03-01", "return_time": "10:00"},
                status=422,
                typed=("Alles mee",),
            ),
            Visit(
                "/staff/aanvragen/{request_id}/verplaatsen",
                staff=True,
                method="POST",
                form={"return_date": "nooit", "return_time": "10:00"},
                status=422,
                typed=("Alles mee", "nooit"),
                label="the reschedule form with no date",
            ),
        ],
        "staff.initiative_page": [Visit("/staff/initiatieven/{initiative_id}", staff=True)],
        "staff.statistics": [Visit("/staff/statistiek?jaar=2030", staff=True)],
        "staff.statistics_csv": [Visit("/staff/statistiek.csv?jaar=2030", staff=True)],
        "staff.privacy_page": [Visit("/staff/privacy", staff=True)],
    },
    "inventory": {
        "pages.login_form": [Visit("/login")],
        "pages.login": [
            Visit("/login", method="POST", form={"email": "nobody@example.org", "password": "x"}, status=401)
        ],
        "beheer.overview": [Visit("/beheer", staff=True)],
        "beheer.tokens_page": [Visit("/beheer/sleutels", staff=True)],
        "beheer.asset_page": [Visit("/beheer/materiaal/{asset_id}", staff=True)],
        "beheer.update": [
            Visit("/beheer/materiaal/{asset_id}", staff=True, method="POST", form=BAD_ASSET_FORM, status=422)
        ],
        "beheer.add_window": [
            Visit(
                "/beheer/materiaal/{asset_id}/onderhoud",
                staff=True,
                method="POST",
                form={"starts_date": "2030-04-02", "starts_time": "10:00", "ends_date": "2030-04-01"},
                status=422,
            ),
            Visit(
                "/beheer/materiaal/{asset_id}/onderhoud",
                staff=True,
                method="POST",
                form={"starts_date": "2030-03-31", "starts_time": "02:30", "ends_date": "nooit"},
                status=422,
                typed=("nooit",),
            ),
        ],
        "beheer.new_asset_page": [Visit("/beheer/materiaal/nieuw", staff=True)],
        "beheer.create_asset": [
            Visit(
                "/beheer/materiaal/nieuw",
                staff=True,
                method="POST",
                form={"code": "B!", "name_nl": "Bakfiets", "name_en": "", "quantity": "x"},
                status=422,
                typed=("B!", "Bakfiets"),
            )
        ],
        "beheer.retire": [Visit("/beheer/materiaal/{asset_id}/uit-gebruik", staff=True, method="POST", status=422)],
        "beheer.staff_page": [Visit("/beheer/medewerkers", staff=True)],
        "beheer.add_staff": [
            Visit(
                "/beheer/medewerkers",
                staff=True,
                method="POST",
                form={"name": "Staff C", "email": "c at example", "password": "kort"},
                status=422,
                typed=("c at example",),
            )
        ],
        "beheer.account_page": [Visit("/beheer/medewerkers/99", staff=True)],
        "beheer.change_staff": [
            Visit("/beheer/medewerkers/99", staff=True, method="POST", form={"name": ""}, status=422)
        ],
        # the walk's administrator is account 99 (tests/support/pages_world.py): their own password is refused
        "beheer.reset_password": [
            Visit("/beheer/medewerkers/99/nieuw-wachtwoord", staff=True, method="POST", status=403)
        ],
        "beheer.password_page": [Visit("/beheer/wachtwoord", staff=True)],
        "beheer.change_password": [
            Visit("/beheer/wachtwoord", staff=True, method="POST", form={"current_password": "x"}, status=422)
        ],
        "beheer.centres_page": [Visit("/beheer/centra", staff=True)],
        "beheer.centre_page": [Visit("/beheer/centra/{location_id}", staff=True)],
        "beheer.update_centre": [
            Visit(
                "/beheer/centra/{location_id}",
                staff=True,
                method="POST",
                form={"name": "", "email": "balie at centrum", "hours-0-0-opens": "9:00"},
                status=422,
                typed=("balie at centrum",),
            )
        ],
        "beheer.new_centre_page": [Visit("/beheer/centra/nieuw", staff=True)],
        "beheer.create_centre": [
            Visit(
                "/beheer/centra/nieuw",
                staff=True,
                method="POST",
                form={"code": "BC!", "name": "Nieuw", "street": "Straat 1", "postal_code": "90"},
                status=422,
                typed=("BC!",),
            )
        ],
        "beheer.requirement_page": [Visit("/beheer/voorwaarden/{requirement_id}", staff=True)],
        "beheer.update_requirement": [
            Visit("/beheer/voorwaarden/{requirement_id}", staff=True, method="POST", form={"version": "1"}, status=422)
        ],
    },
    "notify": {
        "staff_pages.message_log": [
            Visit("/berichten", staff=True),
            Visit("/berichten?status=call_list", staff=True),
            Visit("/berichten?status=skipped", staff=True),
            Visit("/berichten?status=skipped&doelgroep=staff", staff=True),
        ],
        "staff_pages.call_list_page": [Visit("/bellijst?{call_list}", staff=True), Visit("/bellijst", staff=True)],
        "staff_pages.feeds_page": [Visit("/agenda", staff=True)],
        "staff_pages.make_feed": [
            Visit("/agenda", staff=True, method="POST", form={"scope": "location", "target_id": "{location_id}"})
        ],
    },
}
# Routes of the page blueprints that are not pages to read.
NOT_PAGES = {"frame.static": "the stylesheet and script", "frame.switch_language": "a redirect", "healthz": "JSON"}
# The frame's error pages, in each app, are pages too.
ERROR_PAGES = {
    "pages": [Visit("/bestaat-niet", status=404), Visit("/privacy", method="POST", form={}, status=405)],
    "inventory": [Visit("/beheer/bestaat-niet", staff=True, status=404), Visit("/logout", status=405)],
    "notify": [Visit("/berichten", staff=True, method="POST", form={}, status=405)],
}

# What booking's domain still says in words of its own (services/booking/domain/*.py, left for the lead engineer
# to replace with codes): (app, visit, language) → the walk's findings there. Nothing else may be found; an entry
# none of whose findings is found any more (where its page was judged) fails the walk too: delete it then.
# The booking domain now says its refusals as codes that each page words in its language: nothing known is left.
BOOKING_DOMAIN_PROSE: dict[tuple[str, str, str], set[str]] = {}
# (backend, app, visit) → the status a known failure gets; none since the application layer (issue 11).
BOOKING_ON_SQLITE: dict[tuple[str, str, str], int] = {}
# Notify's domain says its reasons as codes (services/notify/domain/reasons.py) that the pages word in their
# language (services/notify/staff_pages.py): nothing known is left.
NOTIFY_DOMAIN_PROSE: dict[tuple[str, str, str], set[str]] = {}
KNOWN = {**BOOKING_DOMAIN_PROSE, **NOTIFY_DOMAIN_PROSE}


def page_endpoints(app: Flask) -> set[str]:
    """The GET endpoints of the app's page blueprints (every route, for booking's pages app)."""
    pages = app.extensions["uitleen_pages"]
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and (pages.everything or rule.endpoint.rpartition(".")[0] in pages.blueprints)
    }


def fill(path: str, world: World) -> str:
    values = {**world.__dict__, "call_list": call_list_query(world)}
    return path.format(**{k: v for k, v in values.items() if isinstance(v, str | int)})


def visit(app: Flask, prefix: str, item: Visit, language: str, world: World) -> Any:
    client = Mounted(app, prefix, language=language, staff=item.staff)
    path = fill(item.path, world)
    if item.submit_first:
        html = client.open(fill(CARAVAN, world)).get_data(as_text=True)
        sent = client.open(
            fill(CARAVAN, world), "POST", data=caravan_form(html, pickup_date="2030-03-12", return_date="2030-03-14")
        )
        assert sent.status_code == 303, sent.get_data(as_text=True)[:300]
    if item.method == "GET":
        return client.open(path)
    form = {
        **{k: fill(v, world) for k, v in (item.form or {}).items()},
        "csrf_token": csrf_token(client.client, SECRET),
    }
    return client.open(path, item.method, data=form)


def every_visit() -> Iterator[tuple[str, str, Visit]]:
    for app_name, visits in VISITS.items():
        for endpoint, items in visits.items():
            for item in items:
                yield app_name, endpoint, item
    for app_name, items in ERROR_PAGES.items():
        for item in items:
            yield app_name, "error page", item


@pytest.fixture(params=["postgres", "sqlite"])
def walk(
    request: pytest.FixtureRequest, environ: dict[str, str], tmp_path: Path
) -> Iterator[tuple[dict[str, Flask], World]]:
    """The suite on PostgreSQL (production) and on SQLite files (the embedded default), each migrated afresh."""
    if request.param == "postgres":
        databases: dict[str, Database] = request.getfixturevalue("databases")
        owned = False
    else:
        databases = {}
        for service in SERVICES:
            url = f"sqlite:///{tmp_path / service}.sqlite"
            upgrade(ROOT / "services" / service / "migrations", url)
            databases[service] = Database(url)
        owned = True
    apps = page_apps(environ, databases)
    world = build_world(environ, databases, apps)
    world.backend = request.param
    yield apps, world
    if owned:
        for database in databases.values():
            database.dispose()


def test_the_walk_visits_every_page_of_every_pages_app(walk: tuple[dict[str, Flask], World]) -> None:
    apps, _world = walk
    for name, app in apps.items():
        listed = {endpoint for endpoint in VISITS[name] if "GET" in {v.method for v in VISITS[name][endpoint]}}
        unvisited = page_endpoints(app) - listed - set(NOT_PAGES)
        assert not unvisited, f"{name}: add visits for these pages to VISITS: {sorted(unvisited)}"
        unknown = set(VISITS[name]) - {rule.endpoint for rule in app.url_map.iter_rules()}
        assert not unknown, f"{name}: VISITS names endpoints that do not exist: {sorted(unknown)}"


def test_every_page_is_in_one_language(walk: tuple[dict[str, Flask], World]) -> None:
    apps, world = walk
    wrong: list[str] = []
    found_known: dict[tuple[str, str, str], set[str]] = {}
    for app_name, endpoint, item in every_visit():
        expected = BOOKING_ON_SQLITE.get((world.backend, app_name, item.name), item.status)
        for language in LANGUAGES:
            response = visit(apps[app_name], MOUNTS[app_name], item, language, world)
            where = f"{item.method} {MOUNTS[app_name]}{fill(item.path, world)} ({endpoint}) in {language}"
            body = response.get_data(as_text=True)
            if response.status_code != expected:
                wrong.append(f"{where}: status {response.status_code}, expected {expected}: {body[:200]}")
                continue
            if expected != item.status:
                continue  # a known failure (above), not the page to judge
            if response.mimetype == "text/html":
                page_language, text = readable_text(body, language)
                if page_language != language:
                    wrong.append(f"{where}: <html lang={page_language!r}>")
            else:
                text = " ".join(body.split())
            typed = world.data | set(item.typed)
            key = (app_name, item.name, language)
            problems = set(findings(text, language, typed))
            found_known.setdefault(key, set()).update(problems & KNOWN.get(key, set()))
            for problem in sorted(problems - KNOWN.get(key, set())):
                wrong.append(f"{where}: {problem} … {snippet(without_data(text, typed), problem)} …")
    gone = sorted(key for key in KNOWN if key in found_known and not found_known[key])
    assert not gone, f"nothing known is found on these any more, remove them from the known lists: {gone}"
    assert not wrong, f"{len(wrong)} pages say something in the other language:\n" + "\n".join(wrong)


SWITCH = re.compile(r'<nav aria-label="[^"]+" class="lang">\s*<a href="([^"]+)" lang="(\w+)" hreflang="\w+">')


def test_every_staff_page_has_the_navigation_logout_and_the_language_switch(
    walk: tuple[dict[str, Flask], World],
) -> None:
    apps, world = walk
    staff_pages = [
        (name, item)
        for name, visits in VISITS.items()
        for items in visits.values()
        for item in items
        if item.staff and item.method == "GET" and ".csv" not in item.path
    ]
    assert {name for name, _item in staff_pages} == set(MOUNTS)
    for name, item in staff_pages:
        for language in LANGUAGES:
            html = visit(apps[name], MOUNTS[name], item, language, world).get_data(as_text=True)
            where = f"{MOUNTS[name]}{fill(item.path, world)} in {language}"
            assert f'<form method="post" action="{nav.LOGOUT}"' in html and 'name="csrf_token"' in html, where
            assert '<span class="who">staff 99</span>' in html, where
            assert all(f'href="{entry.path}"' in html for entry in nav.STAFF_NAV), where  # an admin sees all
            switch = SWITCH.search(html)
            assert switch and switch.group(2) == ("en" if language == "nl" else "nl"), where
            href = unescape(switch.group(1))
            assert href.startswith(f"{MOUNTS[name]}/taal/{switch.group(2)}?terug="), (where, href)
            client = Mounted(apps[name], MOUNTS[name], language=language, staff=True)
            switched = client.open(href.removeprefix(MOUNTS[name]))
            assert switched.status_code == 302, where
            assert switched.headers["Location"] == f"{MOUNTS[name]}{fill(item.path, world)}", where
            assert f"uitleen_taal={switch.group(2)};" in switched.headers["Set-Cookie"], where
