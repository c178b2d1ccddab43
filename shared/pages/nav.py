"""The paths that cross from one app to another, in one place.

Inside an app every URL comes from ``url_for``. Across apps it cannot: the staff navigation spans booking's
pages (at ``/``), inventory (``/inventory``) and notify (``/notify``), and the login lives in inventory. The
gateway and the embedded mode mount the apps at these same prefixes (docs/architecture.md), so these paths
hold everywhere. ``tests/api/test_pages_frame.py`` checks that each one is a page of the app it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import redirect
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from werkzeug.wrappers import Response

from shared.pages.redirects import current_path

HOME = "/"
STAFF_HOME = "/staff"
LOGIN = "/inventory/login"
LOGOUT = "/inventory/logout"
PRIVACY = "/privacy"
PASSWORD_PAGE = "/inventory/beheer/wachtwoord"  # one's own password (inventory's beheer)
CENTRE_PAGE = "/inventory/beheer/centra/{id}"  # a centre's e-mail, phone and opening hours (inventory's beheer)


@dataclass(frozen=True)
class NavEntry:
    path: str
    label: str  # a lazy Dutch msgid, translated when shown
    # Also current on the pages below it (/staff/balie/<code> under /staff/balie).
    with_subpages: bool = False
    admin_only: bool = False

    def is_current(self, here: str) -> bool:
        here = here.rstrip("/") or "/"
        return here == self.path or (self.with_subpages and here.startswith(self.path + "/"))


STAFF_NAV = (
    NavEntry(STAFF_HOME, lazy_pgettext("menu", "Aanvragen")),  # the noun; elsewhere "Aanvragen" is a button
    NavEntry("/staff/uitlenen", _l("Meegeven en terugnemen")),
    NavEntry("/staff/kalender", _l("Kalender")),
    NavEntry("/staff/balie", _l("Aanvraag aan de balie"), with_subpages=True),
    NavEntry("/staff/statistiek", _l("Statistiek")),
    NavEntry("/staff/privacy", _l("Privacy"), admin_only=True),
    NavEntry("/inventory/beheer", _l("Materiaal beheren"), with_subpages=True),
    NavEntry("/notify/berichten", _l("Berichten")),
    NavEntry("/notify/bellijst", _l("Bellijst")),
)


def login_redirect() -> Response:
    """To the staff login, which sends the visitor back here afterwards (the path percent-encoded)."""
    return redirect(f"{LOGIN}?next={quote(current_path(), safe='/')}")
