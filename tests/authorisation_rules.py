"""Who may use each route: the table tests/api/test_authorisation_matrix.py checks against the real apps.

A new route needs a line here, or that test fails naming it. One line per route and method:

    "POST /booking/requests/<int:request_id>/approve": Rule("401 401 403 ok ok", body={}),

The five outcomes are for the five visitors, in this order (``PERSONAS``):

    anonymous   nobody in particular
    link        the requester holding the private status link of centre A's request (no staff identity)
    other       staff of community centre B
    staff       staff of community centre A, where the caravan and the request are
    admin       an administrator

and each is one of

    ok       past the gate: 2xx, a redirect, or the domain or the input saying no (409, 412, 422, 428)
    mine     2xx and centre A's requester's e-mail address is in the answer
    scoped   2xx and it is not (a list filtered to the visitor's own centres)
    login    sent to the staff login page
    401 403 404 405 …  exactly that status (a page that refuses another centre's work with a message counts as 403)

The world each route meets (tests/api/test_authorisation_matrix.py ``build_world``): centres A and B, the
caravan at A with a requirement and a maintenance window, a pending request for it with its private link,
staff accounts, an API token of A's staff member, a dead letter in booking and in notify, a failed delivery to
the requester. ``<name>`` in a path, body, form, query or header is filled from it; ``<token>`` is the real
private link for ``link`` and a guessed one for everybody else. Forms are sent with a valid CSRF token (the
forms' protection itself is tested in tests/api/test_pages.py). ``fresh=True`` gives the next visitor a fresh
world after one got past the gate, for routes whose success removes what they act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PERSONAS = ("anonymous", "link", "other", "staff", "admin")
APPS = {"inventory": "inventory", "booking": "booking", "notify": "notify", "pages": "booking"}
# How the pages say "not yours" (the API says it with a 403).
REFUSAL_TEXTS = (
    "Deze aanvraag hoort bij een buurtcentrum waar je niet werkt",
    "You can only change what belongs to your own community centre",
    "Only an administrator may do this",
    "Alleen beheerders mogen gegevens van een persoon opvragen of wissen",
    # the management pages (services/inventory/web/beheer.py)
    "Je kan alleen aanpassen wat bij je eigen buurtcentrum hoort",
    "Alleen een beheerder mag de voorwaarden aanpassen",
    # notify's pages (services/notify/staff_pages.py: the call list, the calendar feeds)
    "Dit hoort bij een buurtcentrum waar je niet werkt",
)
PERSON = {"email": "an.requester@example.org"}  # centre A's requester (test_authorisation_matrix.EMAIL)


@dataclass(frozen=True)
class Rule:
    outcomes: str
    body: Any = None
    form: dict[str, Any] | None = None
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    fresh: bool = False


def route_key(app: str, method: str, path: str) -> str:
    prefix = "" if app == "pages" else f"/{app}"
    return f"{method} {prefix}{path}"


PUBLIC = Rule("ok ok ok ok ok")
MISSING = Rule("404 404 404 404 404")  # a static file that is not there: the route, not a file, is under test
STAFF = Rule("401 401 ok ok ok")
STAFF_PAGE = Rule("login login ok ok ok")
ADMIN = Rule("401 401 403 403 ok")
LINK = Rule("404 ok 404 404 404")  # only the holder of the link; everybody else is guessing
CENTRE = "401 401 403 ok ok"  # staff of the centre (and admins)
CENTRE_PAGE = "login login 403 ok ok"
WHEN = {"starts_at": "2030-04-01T10:00:00+02:00", "ends_at": "2030-04-02T10:00:00+02:00", "reason": "nazicht"}
ASSET = {
    "code": "naaimachine",
    "name_nl": "Naaimachine",
    "name_en": "Sewing machine",
    "category": "sewing_machine",
    "location_id": "<location_id>",
    "quantity": 2,
}
A_REQUEST = {
    "initiative": "Repair Café",
    "contact": {"name": "Els", "email": "els@example.org", "phone": None, "language": "nl"},
    "pickup_at": "2030-03-06T10:00",
    "return_at": "2030-03-06T15:00",
    "items": [{"asset_id": "<asset_id>", "quantity": 1, "answers": {"rijbewijs-b": True}}],
}
SERVICE_FRAME = {
    # every service's frame (shared/web.py): health, readiness, metrics, the API document and its page
    f"GET /{service}/{path}": PUBLIC
    for service in ("inventory", "booking", "notify")
    for path in ("healthz", "readyz", "metrics", "openapi.json", "docs", "docs.js")
} | {f"GET /{service}/static/<path:filename>": MISSING for service in ("inventory", "booking", "notify")}
PAGES_FRAME = {
    # what the pages frame (shared/pages) gives every app with pages: the language switch and its stylesheet
    f"GET {prefix}{path}": rule
    for prefix in ("", "/inventory", "/notify")
    for path, rule in (
        ("/taal/<code>", Rule("ok ok ok ok ok", params={"code": "en"})),
        ("/frame-static/<path:filename>", PUBLIC),
    )
}

INVENTORY = {
    # the catalogue is public; changes belong to the asset's centre; the catalogue of requirements and the
    # centres themselves to administrators
    "GET /inventory/assets": PUBLIC,
    "POST /inventory/assets": Rule(CENTRE, body=ASSET),
    "GET /inventory/assets/<int:asset_id>": PUBLIC,
    "PATCH /inventory/assets/<int:asset_id>": Rule(
        CENTRE, body={"name_nl": "Caravan"}, headers={"If-Match": '"v<asset_version>"'}
    ),
    "POST /inventory/assets/<int:asset_id>/retire": Rule(
        CENTRE, body={}, headers={"If-Match": '"v<asset_version>"'}, fresh=True
    ),
    "GET /inventory/assets/<int:asset_id>/maintenance-windows": PUBLIC,
    "POST /inventory/assets/<int:asset_id>/maintenance-windows": Rule(CENTRE, body=WHEN),
    "DELETE /inventory/assets/<int:asset_id>/maintenance-windows/<int:window_id>": Rule(CENTRE, fresh=True),
    "GET /inventory/locations": PUBLIC,
    "POST /inventory/locations": Rule(
        "401 401 403 403 ok",
        body={"code": "bc-nieuw", "name": "Nieuw", "street": "Straat 1", "postal_code": "9000", "opening_hours": []},
    ),
    "GET /inventory/locations/<int:location_id>": PUBLIC,
    "PATCH /inventory/locations/<int:location_id>": Rule(
        CENTRE, body={"phone": "09 266 00 99"}, headers={"If-Match": '"v<location_version>"'}
    ),
    "GET /inventory/requirements": PUBLIC,
    "POST /inventory/requirements": Rule(
        "401 401 403 403 ok", body={"code": "fiets", "kind": "confirm", "label_nl": "Fiets", "label_en": "Bike"}
    ),
    "GET /inventory/requirements/<int:requirement_id>": PUBLIC,
    "PATCH /inventory/requirements/<int:requirement_id>": Rule(
        "401 401 403 403 ok", body={"label_nl": "Rijbewijs B"}, headers={"If-Match": '"v<requirement_version>"'}
    ),
    # staff identity
    "POST /inventory/auth/login": Rule("ok ok ok ok ok", body={"email": "a@example.org", "password": "<password>"}),
    "POST /inventory/auth/logout": PUBLIC,
    "GET /inventory/auth/me": STAFF,
    "POST /inventory/auth/tokens": Rule("401 401 ok ok ok", body={"name": "agenda"}),
    # one's own tokens only: another's token is not found
    "GET /inventory/auth/tokens": STAFF,
    # the owner (staff of A) and administrators may revoke a token; anyone else does not learn that it exists
    "DELETE /inventory/auth/tokens/<token_id>": Rule("401 401 404 ok ok", fresh=True),
    "GET /inventory/staff-accounts": ADMIN,
    "POST /inventory/staff-accounts": Rule(
        ADMIN.outcomes, body={"email": "c@example.org", "name": "Staff C", "password": "<password>"}
    ),
    "GET /inventory/staff-accounts/<int:staff_id>": ADMIN,
    "PATCH /inventory/staff-accounts/<int:staff_id>": Rule(ADMIN.outcomes, body={"name": "Staff A"}),
    # the login form and the management pages
    "GET /inventory/login": PUBLIC,
    "POST /inventory/login": Rule("ok ok ok ok ok", form={"email": "a@example.org", "password": "<password>"}),
    "POST /inventory/logout": Rule(PUBLIC.outcomes, form={}),  # a form: CSRF-protected like every page's
    "GET /inventory/beheer": STAFF_PAGE,
    "GET /inventory/beheer/sleutels": STAFF_PAGE,
    "POST /inventory/beheer/sleutels": Rule("login login ok ok ok", form={"name": "agenda"}),
    # someone else's token is not found; its owner (staff of A) and administrators revoke it
    "POST /inventory/beheer/sleutels/<token_id>/intrekken": Rule("login login 404 ok ok", form={}, fresh=True),
    # a new asset: at one of the visitor's centres (another centre's is refused beside the field, a 403)
    "GET /inventory/beheer/materiaal/nieuw": STAFF_PAGE,
    "POST /inventory/beheer/materiaal/nieuw": Rule(
        CENTRE_PAGE,
        form={
            "code": "naaimachine",
            "name_nl": "Naaimachine",
            "name_en": "Sewing machine",
            "category": "sewing_machine",
            "location_id": "<location_id>",
            "quantity": "2",
            "lead_time_hours": "0",
            "min_loan_hours": "1",
            "max_loan_hours": "",
            "turnaround_after_hours": "0",
        },
    ),
    "POST /inventory/beheer/materiaal/<int:asset_id>/uit-gebruik": Rule(
        CENTRE_PAGE, form={"confirm": "yes", "version": "<asset_version>"}, fresh=True
    ),
    "GET /inventory/beheer/materiaal/<int:asset_id>": STAFF_PAGE,
    "POST /inventory/beheer/materiaal/<int:asset_id>": Rule(
        CENTRE_PAGE,
        form={
            "name_nl": "Caravan",
            "name_en": "Caravan",
            "quantity": "1",
            "lead_time_hours": "0",
            "min_loan_hours": "1",
            "max_loan_hours": "",
            "turnaround_after_hours": "0",
            "public": "yes",
            "version": "<asset_version>",
        },
    ),
    "POST /inventory/beheer/materiaal/<int:asset_id>/onderhoud": Rule(
        CENTRE_PAGE,
        form={"starts_date": "2030-04-01", "starts_time": "10:00", "ends_date": "2030-04-02", "reason": "nazicht"},
    ),
    "POST /inventory/beheer/materiaal/<int:asset_id>/onderhoud/<int:window_id>/verwijderen": Rule(
        CENTRE_PAGE, form={}, fresh=True
    ),
    # the centres: every staff member sees the list; a centre's own staff (and administrators) change it;
    # only administrators add one
    "GET /inventory/beheer/centra": STAFF_PAGE,
    "GET /inventory/beheer/centra/<int:location_id>": Rule(CENTRE_PAGE),
    "POST /inventory/beheer/centra/<int:location_id>": Rule(
        CENTRE_PAGE,
        form={
            "name": "Buurtcentrum A",
            "street": "Straat 1",
            "postal_code": "9000",
            "city": "Gent",
            "email": "a@example.org",
            "phone": "",
            "hours-0-0-opens": "09:00",
            "hours-0-0-closes": "12:00",
            "version": "<location_version>",
        },
    ),
    "POST /inventory/beheer/centra/<int:location_id>/sluitingen": Rule(
        CENTRE_PAGE,
        form={"closure_starts_on": "2030-12-24", "closure_ends_on": "2031-01-02", "closure_reason": "kerstvakantie"},
    ),
    "POST /inventory/beheer/centra/<int:location_id>/sluitingen/<int:closure_id>/verwijderen": Rule(
        CENTRE_PAGE, form={}, fresh=True
    ),
    "GET /inventory/beheer/centra/nieuw": Rule("login login 403 403 ok"),
    "POST /inventory/beheer/centra/nieuw": Rule(
        "login login 403 403 ok",
        form={"code": "bc-nieuw", "name": "Nieuw", "street": "Straat 1", "postal_code": "9000", "city": "Gent"},
    ),
    # staff accounts: administrators; one's own password: everyone logged in
    "GET /inventory/beheer/medewerkers": Rule("login login 403 403 ok"),
    "POST /inventory/beheer/medewerkers": Rule(
        "login login 403 403 ok",
        form={"name": "Staff C", "email": "c@example.org", "password": "<password>", "role": "staff"},
    ),
    "GET /inventory/beheer/medewerkers/<int:staff_id>": Rule("login login 403 403 ok"),
    "POST /inventory/beheer/medewerkers/<int:staff_id>": Rule(
        "login login 403 403 ok",
        form={"name": "Staff A", "role": "staff", "location_ids": "<location_id>", "active": "yes"},
    ),
    "POST /inventory/beheer/medewerkers/<int:staff_id>/nieuw-wachtwoord": Rule(
        "login login 403 403 ok", form={}, fresh=True
    ),
    "GET /inventory/beheer/wachtwoord": STAFF_PAGE,
    "POST /inventory/beheer/wachtwoord": Rule(
        "login login ok ok ok", form={"current_password": "fout", "new_password": "<password>", "again": "<password>"}
    ),
    "GET /inventory/beheer/voorwaarden/<int:requirement_id>": STAFF_PAGE,
    "POST /inventory/beheer/voorwaarden/<int:requirement_id>": Rule(
        "login login 403 403 ok",
        form={"label_nl": "Rijbewijs B", "label_en": "Driving licence B", "version": "<requirement_version>"},
    ),
}

BOOKING = {
    # anyone may ask; staff read and decide for their own centres; the link is the requester's key
    "POST /booking/requests": Rule("ok ok ok ok ok", body=A_REQUEST),
    "GET /booking/requests": Rule("401 401 scoped mine mine"),
    "GET /booking/requests/<int:request_id>": Rule("401 401 403 mine mine"),
    "GET /booking/requests/<int:request_id>/audit": Rule(CENTRE),
    "POST /booking/requests/<int:request_id>/approve": Rule(CENTRE, body={}),
    "POST /booking/requests/<int:request_id>/reject": Rule(CENTRE, body={"reason": "niet vrij"}),
    "POST /booking/requests/<int:request_id>/cancel": Rule(CENTRE, body={"reason": "niet nodig"}),
    "POST /booking/requests/<int:request_id>/withdraw": Rule(CENTRE, body={"reason": "belde af"}),
    "POST /booking/requests/<int:request_id>/pick-up": Rule(CENTRE, body={"checks": {}}),
    "POST /booking/requests/<int:request_id>/return": Rule(CENTRE, body={}),
    "POST /booking/requests/<int:request_id>/reschedule": Rule(CENTRE, body={"return_at": "2030-03-05T16:00"}),
    "PATCH /booking/requests/<int:request_id>/contact": Rule(CENTRE, body={"phone": "09 123 45 67"}),
    "PUT /booking/requests/<int:request_id>/items/<int:item_id>/requirements/<code>": Rule(
        CENTRE, body={"verified": True}, params={"code": "rijbewijs-b"}
    ),
    "POST /booking/requests/<int:request_id>/status-link": Rule(CENTRE, fresh=True),
    "GET /booking/status/<token>": Rule("404 mine 404 404 404"),
    "POST /booking/status/<token>/withdraw": Rule(LINK.outcomes, body={"reason": "niet meer nodig"}),
    "POST /booking/status/<token>/cancel": Rule(LINK.outcomes, body={"reason": "niet meer nodig"}),
    "PATCH /booking/status/<token>/contact": Rule(LINK.outcomes, body={"phone": "09 123 45 67"}),
    "GET /booking/availability": Rule(
        "ok ok ok ok ok", query="asset_id=<asset_id>&from=2030-03-05T00:00&to=2030-03-07T00:00"
    ),
    "GET /booking/search": Rule("ok ok ok ok ok", query="pickup_at=2030-03-06T10:00&return_at=2030-03-06T15:00"),
    "GET /booking/dead-letters": ADMIN,
    "POST /booking/dead-letters/<int:dead_letter_id>/replay": Rule(ADMIN.outcomes, fresh=True),
    # GDPR requests are for administrators only: an export holds the person's data, an erasure cannot be undone
    "POST /booking/privacy/export": Rule("401 401 403 403 mine", body=PERSON),
    "POST /booking/privacy/erase": Rule(ADMIN.outcomes, body=PERSON, fresh=True),
    "GET /booking/privacy/actions": ADMIN,
}

NOTIFY = {
    "GET /notify/deliveries": Rule("401 401 scoped mine mine"),
    "GET /notify/call-list": Rule(CENTRE, query="location_id=<location_id>&day=<day>"),
    "GET /notify/ical/locations/<int:location_id>.ics": Rule(CENTRE),
    "GET /notify/ical/assets/<int:asset_id>.ics": Rule("401 401 scoped ok ok"),  # lists only one's own centres
    # the demo's captured mail (NOTIFY_MAIL_BACKEND=capture, refused in production) holds private links: staff
    # read their own centres' mail, admins all; the anonymous visitor gets a page saying to log in
    "GET /notify/outbox-mail": Rule("401 401 scoped mine mine"),
    "GET /notify/dead-letters": ADMIN,
    "POST /notify/dead-letters/<int:dead_letter_id>/replay": Rule(ADMIN.outcomes, fresh=True),
    "GET /notify/berichten": Rule("login login scoped mine mine"),
    "GET /notify/bellijst": STAFF_PAGE,
    # ticking an entry of the call list: staff of the centre of the message (the world's failed delivery)
    "POST /notify/bellijst/<int:notification_id>": Rule(CENTRE_PAGE, form={"outcome": "reached"}),
    "GET /notify/agenda": STAFF_PAGE,
    "POST /notify/agenda": Rule(CENTRE_PAGE, form={"scope": "location", "target_id": "<location_id>"}),
    "POST /notify/agenda/<int:feed_id>/intrekken": Rule(CENTRE_PAGE, form={}, fresh=True),
    # the feed behind its secret address: no credential opens it, the address does (a guessed one is a 404)
    "GET /notify/feeds/<token>.ics": Rule("404 404 404 404 404"),
    "GET /notify/outbox-mail/<int:mail_id>.ics": Rule("404 404 404 ok ok"),
    "POST /notify/privacy/export": Rule("401 401 403 403 mine", body=PERSON),
}

PAGES = {
    # the public pages
    "GET /": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /privacy": PUBLIC,
    "GET /lenen/<code>": PUBLIC,
    "GET /lenen/<code>/aanvraag": PUBLIC,
    "POST /lenen/<code>/aanvraag": Rule("ok ok ok ok ok", form={"initiative": "Buurtfeest"}),
    "GET /aanvraag/ontvangen": PUBLIC,
    "GET /status/<token>": Rule("404 mine 404 404 404"),
    "POST /status/<token>/intrekken": Rule(LINK.outcomes, form={"reason": "niet meer nodig"}),
    "POST /status/<token>/annuleren": Rule(LINK.outcomes, form={"reason": "feest gaat niet door"}),
    "POST /status/<token>/contact": Rule(LINK.outcomes, form={"contact_name": "An", "phone": "09 123 45 67"}),
    # the staff pages: lists show one's own centres; decisions belong to the request's centre
    "GET /staff": Rule("login login scoped mine mine"),
    "GET /staff/": Rule("login login scoped mine mine"),
    "GET /staff/kalender": STAFF_PAGE,
    "GET /staff/uitlenen": STAFF_PAGE,
    "GET /staff/statistiek": STAFF_PAGE,
    "GET /staff/statistiek.csv": STAFF_PAGE,
    # any centre's staff may file a request for a resident at their counter; the asset's centre decides
    "GET /staff/balie": STAFF_PAGE,
    "GET /staff/balie/<code>": STAFF_PAGE,
    "POST /staff/balie/<code>": Rule("login login ok ok ok", form={"initiative": "Buurtfeest"}),
    "GET /staff/privacy": Rule("login login 403 403 ok"),
    "POST /staff/privacy": Rule(
        "login login 403 403 mine", form={"kind": "email", "value": PERSON["email"], "action": "export"}
    ),
    # one request's page, and an initiative's: another centre's staff find nothing there (a 404, never its data)
    "GET /staff/aanvragen/<int:request_id>": Rule("login login 404 mine mine"),
    "GET /staff/aanvragen/<int:request_id>/briefje": Rule("login login 404 mine mine"),
    "GET /staff/initiatieven/<int:initiative_id>": Rule("login login 404 mine mine"),
    # the world's request is pending: past the gate, the lifecycle refuses to move it (409)
    "POST /staff/aanvragen/<int:request_id>/verplaatsen": Rule(
        "login login 404 ok ok", form={"return_date": "2030-03-05", "return_time": "16:00"}
    ),
    "POST /staff/aanvragen/<int:request_id>/goedkeuren": Rule(CENTRE_PAGE, form={}),
    "POST /staff/aanvragen/<int:request_id>/weigeren": Rule(CENTRE_PAGE, form={"reason": "niet vrij"}),
    "POST /staff/aanvragen/<int:request_id>/meegeven": Rule(CENTRE_PAGE, form={}),
    "POST /staff/aanvragen/<int:request_id>/terugnemen": Rule(CENTRE_PAGE, form={}),
    "POST /staff/aanvragen/<int:request_id>/annuleren": Rule(CENTRE_PAGE, form={"reason": "caravan kapot"}),
    "POST /staff/aanvragen/<int:request_id>/voorwaarden/<int:item_id>/<code>": Rule(
        CENTRE_PAGE, form={"verified": "yes"}, params={"code": "rijbewijs-b"}
    ),
}

RULES: dict[str, Rule] = {**SERVICE_FRAME, **PAGES_FRAME, **INVENTORY, **BOOKING, **NOTIFY, **PAGES}
