"""The new user's walk on the embedded default, for real: `make run`'s process (SQLite, its own worker and beat,
no servers) on a free port, driven by Chromium, in Dutch and in English, on a phone (390 px).

A resident who only has a phone asks for a sewing machine: the form's mistakes are named beside their fields
with the input kept, and the dates already taken are listed before anything is sent. Staff of the centre approve
it; the decision lands on the centre's call list (the resident has no e-mail), staff note the call, and the
request's own page shows that call. Every page passes axe-core (no serious or critical violation) and fits the
phone's width. The other browser tests run on PostgreSQL; this one is what a newcomer runs.
"""

from __future__ import annotations

import re
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from services.booking.domain.holidays import holiday_on
from shared import clock
from tests.browser.conftest import AXE, check_accessibility, screenshot
from tests.e2e.test_embedded_mode import free_port, start, stop, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ASSET = "naaimachines-bloemekenswijk"  # Bloemekenswijk: weekdays 9-12, 13-17 but on Wednesdays; 24 h lead time
STAFF = "bloemekenswijk@uitleen.demo"
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def embedded() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="uitleen-walk-") as var_dir:
        port = free_port()
        process = start(Path(var_dir), port)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, process, seconds=120)
            wait_for_the_demo(base)
            yield base
        finally:
            stop(process)


def wait_for_the_demo(base: str, seconds: float = 60) -> None:
    """The demo reaches booking's copy through the worker, moments after the first start."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/lenen/{ASSET}", timeout=5) as answer:
                if answer.status == 200:
                    return
        except urllib.error.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{ASSET} never appeared in the catalogue")


def next_weekday(after: date, weekday: int) -> date:
    """The first ``weekday`` (0 = Monday) after ``after`` that is not a Belgian legal holiday."""
    day = after + timedelta(days=1)
    while day.weekday() != weekday or holiday_on(day) is not None:
        day += timedelta(days=1)
    return day


def phone_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-BE")
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def looked_at(page: Page, name: str) -> None:
    check_accessibility(page, name)
    assert page.evaluate(FITS), f"{page.url} is wider than the phone"
    screenshot(page, f"embedded-walk-{name}")


def test_a_phone_only_resident_is_called_about_the_decision(browser: Browser, embedded: str) -> None:
    pickup = next_weekday(
        clock.now().astimezone(clock.BRUSSELS).date() + timedelta(days=2), 1
    )  # a Tuesday, well beyond the lead time
    back = next_weekday(pickup, 3)  # the Thursday after
    resident = phone_page(browser)
    resident.goto(f"{embedded}/lenen/{ASSET}/aanvraag")
    expect(resident.locator("html")).to_have_attribute("lang", "nl")
    looked_at(resident, "form-nl")

    # mistakes on purpose: no contact at all, a return before the pick-up
    resident.get_by_label("Naam van je initiatief of organisatie").fill("Naaiatelier Bloemekenswijk")
    resident.get_by_label("Naam van de contactpersoon").fill("Fatma Yilmaz")
    resident.locator("#pickup_date").fill(back.isoformat())
    resident.locator("#pickup_time").fill("10:00")
    resident.locator("#return_date").fill(pickup.isoformat())
    resident.locator("#return_time").fill("10:00")
    resident.get_by_label("Vertel kort wat je organiseert").fill("Herstelnamiddag voor kleren")
    if resident.locator("#quantity").count():
        resident.locator("#quantity").fill("2")
    resident.get_by_label("Ik ga akkoord met de").check()
    resident.get_by_role("button", name="Aanvraag versturen").click()
    expect(resident.locator(".error-summary, [role=alert]").first).to_be_visible()
    expect(resident.get_by_label("Naam van de contactpersoon")).to_have_value("Fatma Yilmaz")  # input kept
    expect(resident.get_by_label("Vertel kort wat je organiseert")).to_have_value("Herstelnamiddag voor kleren")
    looked_at(resident, "form-nl-mistakes")

    resident.get_by_label("Telefoonnummer").fill("0470 12 34 56")
    resident.locator("#pickup_date").fill(pickup.isoformat())
    resident.locator("#return_date").fill(back.isoformat())
    if not resident.get_by_label("Ik ga akkoord met de").is_checked():
        resident.get_by_label("Ik ga akkoord met de").check()
    resident.get_by_role("button", name="Aanvraag versturen").click()
    reference = resident.locator(".ref").first.inner_text()
    assert re.fullmatch(r"UIT-[0-9A-Z]{8}", reference)
    looked_at(resident, "confirmation-nl")

    staff = phone_page(browser)
    staff.goto(f"{embedded}/inventory/login?next=/staff")
    staff.get_by_label("E-mailadres").fill(STAFF)
    staff.get_by_label("Wachtwoord").fill("uitleen-demo")
    staff.get_by_role("button", name="Aanmelden").click()
    expect(staff).to_have_url(f"{embedded}/staff")
    expect(staff.locator("body")).to_contain_text(reference)
    looked_at(staff, "dashboard-nl")
    request_page = staff.locator("h2 a", has_text=reference).first.get_attribute("href")
    assert request_page and request_page.startswith("/staff/aanvragen/")
    staff.get_by_role("button", name=f"Goedkeuren {reference}").click()
    expect(staff.locator("body")).to_contain_text(reference)

    # the worker copies the approval to notify, which puts the resident on the centre's call list
    deadline = time.monotonic() + 60
    while True:
        staff.goto(f"{embedded}/notify/bellijst")
        if reference in staff.locator("main").inner_text() or time.monotonic() > deadline:
            break
        time.sleep(1)
    expect(staff.locator("main")).to_contain_text(reference)
    expect(staff.locator("main")).to_contain_text("0470 12 34 56")
    looked_at(staff, "call-list-nl")
    entry = staff.locator("form", has=staff.get_by_role("button", name=f"Gebeld {reference}")).first
    entry.locator("input[name=note]").fill("Ze komt dinsdag om tien uur")
    entry.get_by_role("button", name=f"Gebeld {reference}").click()

    # the call reaches the request's own page in booking (an event, through the same worker)
    deadline = time.monotonic() + 60
    while True:
        staff.goto(embedded + request_page)
        calls = staff.locator("section", has=staff.locator("#gebeld"))
        if "Ze komt dinsdag om tien uur" in calls.inner_text() or time.monotonic() > deadline:
            break
        time.sleep(1)
    expect(calls).to_contain_text("Ze komt dinsdag om tien uur")
    looked_at(staff, "request-page-nl")

    # the same resident's pages in English
    resident.get_by_role("link", name="English").click()
    expect(resident.locator("html")).to_have_attribute("lang", "en")
    resident.goto(f"{embedded}/lenen/{ASSET}/aanvraag")
    expect(resident.locator("h1")).to_contain_text("Request")
    resident.get_by_role("button", name="Send request").click()
    expect(resident.locator(".error-summary, [role=alert]").first).to_be_visible()
    looked_at(resident, "form-en-mistakes")
