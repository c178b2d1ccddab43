"""A page costs the same number of SQL statements whatever its month holds (counted, never timed).

Every page a visitor or the desk opens most is read over April 2030 twice: once while the month holds one of
each kind of request (approved, pending, out on loan, returned early, a maintenance window), and once after 40
more requests on different days and four assets (partial quantities of the sewing machines, the caravan with
its day-long turnaround, loans picked up and brought back early, a second maintenance window). Each statement
sent through booking's engine is counted (``before_cursor_execute``): the count must not grow, and a public page
stays at 10 statements or fewer. On PostgreSQL and on the embedded default (SQLite) (``tests/support/busy_month``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shared.auth import SESSION_COOKIE
from tests.support.busy_month import ADMIN, CARAVAN, MONTH, SEWING, Desk, Suite, forty_more, one_of_each

PUBLIC_LIMIT = 10


def pages(token: str) -> dict[str, str]:
    day, month = MONTH.isoformat(), MONTH.strftime("%Y-%m")
    return {
        "catalogue": "/",
        "what can I borrow": f"/?van_datum={day}&van_uur=10:00&tot_datum={day}&tot_uur=16:00",
        "asset page with its month": f"/lenen/{SEWING}?maand={month}",
        "caravan page with its month": f"/lenen/{CARAVAN}?maand={month}",
        "request form": f"/lenen/{SEWING}/aanvraag",
        "status page": f"/status/{token}",
        "staff dashboard": "/staff",
        "staff calendar, week": f"/staff/kalender?vanaf={day}",
        "staff calendar, month": f"/staff/kalender?weergave=maand&vanaf={day}",
        "staff loans desk": "/staff/uitlenen",
    }


def count_pages(suite: Suite, token: str) -> dict[str, int]:
    """Statements each page sends through booking's engine (each page opened once before, so nothing is cold)."""
    public = suite.pages.test_client()
    staff = suite.pages.test_client()
    staff.set_cookie(SESSION_COOKIE, ADMIN)
    counted = {"n": 0}

    def one(*_: Any) -> None:
        counted["n"] += 1

    counts = {}
    sa.event.listen(suite.booking.engine, "before_cursor_execute", one)
    try:
        for label, path in pages(token).items():
            client = staff if path.startswith("/staff") else public
            assert client.get(path).status_code == 200, path
            counted["n"] = 0
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            counts[label] = counted["n"]
    finally:
        sa.event.remove(suite.booking.engine, "before_cursor_execute", one)
    return counts


def test_no_page_sends_more_statements_when_its_month_fills(suite: Suite) -> None:
    desk = Desk(suite)
    token = one_of_each(suite, desk)
    few = count_pages(suite, token)
    forty_more(suite, desk)
    many = count_pages(suite, token)
    with suite.booking.session_factory() as session:
        held = session.scalar(sa.text("SELECT count(*) FROM requests"))
    assert held == 45
    grew = {label: (few[label], many[label]) for label in few if many[label] != few[label]}
    assert not grew, f"statements (one of each, 40 more) grew with the bookings: {grew}"
    over = {label: n for label, n in many.items() if not label.startswith("staff") and n > PUBLIC_LIMIT}
    assert not over, f"public pages above {PUBLIC_LIMIT} statements: {over}"
