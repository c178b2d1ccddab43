"""A staff page of each app (booking, inventory, notify) in a real Chromium, in Dutch and in English, on a phone
(390 px wide) and on a desk screen (1280 px): the one layout, its navigation reachable, no serious or critical
axe-core violation, and the language switch leading back to the same page in the other language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.booking_fixtures import InventoryFeed
from tests.browser.conftest import AXE, Live, check_accessibility, screenshot

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

# (app, path, the page's heading in Dutch, in English)
STAFF_PAGES = [
    ("booking", "/staff/kalender", "Kalender van al het materiaal", "Calendar of all assets"),
    ("inventory", "/inventory/beheer", "Materiaal beheren", "Manage assets"),
    ("notify", "/notify/berichten", "Berichten", "Messages"),
    ("notify", "/notify/bellijst", "Bellijst", "Call list"),
    ("notify", "/notify/agenda", "Agenda's", "Calendars"),
]
FITS = "document.documentElement.scrollWidth <= window.innerWidth"  # nothing wider than the screen


@pytest.mark.parametrize("width", [390, 1280])
def test_a_staff_page_of_each_app_in_both_languages(browser: Browser, live: Live, demo: InventoryFeed, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="nl-BE")
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live("/inventory/login?next=/staff"))
        page.get_by_label("E-mailadres").fill("beheer@uitleen.demo")
        page.get_by_label("Wachtwoord").fill("uitleen-demo")
        page.get_by_role("button", name="Aanmelden").click()
        expect(page).to_have_url(live("/staff"))
        for app, path, dutch, english in STAFF_PAGES:
            page.goto(live(path))
            expect(page.locator("h1")).to_have_text(dutch)
            expect(page.locator("html")).to_have_attribute("lang", "nl")
            nav = page.get_by_role("navigation", name="Medewerkers")
            expect(nav.get_by_role("button", name="Afmelden")).to_be_visible()
            expect(nav.get_by_role("link", name="Bellijst")).to_be_visible()
            check_accessibility(page, f"{app} staff page in Dutch at {width} px")
            if app == "notify":  # notify's pages are held to it (its tables scroll inside their own region)
                assert page.evaluate(FITS), f"{path} is wider than {width} px"
            screenshot(page, f"frame-{app}-{path.rsplit('/', 1)[1]}-nl-{width}")
            page.get_by_role("link", name="English").click()
            expect(page).to_have_url(live(path))
            expect(page.locator("h1")).to_have_text(english)
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.get_by_role("navigation", name="Staff").get_by_role("button", name="Log out")).to_be_visible()
            check_accessibility(page, f"{app} staff page in English at {width} px")
            screenshot(page, f"frame-{app}-{path.rsplit('/', 1)[1]}-en-{width}")
            page.get_by_role("link", name="Nederlands").click()
            expect(page.locator("h1")).to_have_text(dutch)
    finally:
        context.close()
