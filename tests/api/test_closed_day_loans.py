"""A closure planned after a loan was approved for those days (issue 12, points 15 and 19: no silent changes):
submission refuses closed days, but an approved loan stays where it is, so the staff dashboard names every coming
pick-up or return on a day its centre is closed, with the reason, until staff move the loan or the closure goes.
Only the reader's centres. Fed through booking's consumer handlers; on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.api.test_centre_closures import plan_closure
from tests.api.test_inventory_centre_pages import centre, hidden, logged_in
from tests.api.test_quantity_shortfall import approved, staff
from tests.support.embedded import Embedded


def notice(html: str) -> str:
    found = re.search(r'<div class="card notice" role="status" id="gesloten-dagen">(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", found.group(1)) if found else ""


def test_a_closure_over_an_approved_loan_is_flagged_until_it_is_removed(demo_suite: Embedded) -> None:
    admin = staff(demo_suite)
    loan = approved(demo_suite, admin, 1, "2030-03-12T10:00", "2030-03-14T10:00", "Naaiatelier")
    other = approved(demo_suite, admin, 1, "2030-03-19T10:00", "2030-03-21T10:00", "Herstelcafé")
    assert notice(admin.get("/staff").get_data(as_text=True)) == ""

    manager = logged_in(demo_suite, "beheer@uitleen.demo")
    nieuw_gent = centre(demo_suite, "bc-nieuw-gent")
    assert plan_closure(manager, nieuw_gent.id, "2030-03-14", "2030-03-15", "personeelsdag")[0] == 303
    demo_suite.feed.relay()

    flagged = notice(admin.get("/staff").get_data(as_text=True))
    assert loan["reference"] in flagged and other["reference"] not in flagged
    assert "terugbrengen op donderdag 14 maart 2030" in flagged and "personeelsdag" in flagged
    assert "ophalen op" not in flagged  # the pick-up on the 12th is still an open day
    dampoort = centre(demo_suite, "bc-dampoort")
    elsewhere = staff(demo_suite, role="staff", centres=frozenset({dampoort.id}))
    assert notice(elsewhere.get("/staff").get_data(as_text=True)) == ""  # another centre's loans are not theirs

    page = manager.get(f"/inventory/beheer/centra/{nieuw_gent.id}").get_data(as_text=True)
    action = re.search(r'action="(/inventory/beheer/centra/\d+/sluitingen/\d+/verwijderen)"', page)
    assert action
    assert manager.post(action.group(1), data={"csrf_token": hidden(page, "csrf_token")}).status_code == 303
    demo_suite.feed.relay()
    assert notice(admin.get("/staff").get_data(as_text=True)) == ""
