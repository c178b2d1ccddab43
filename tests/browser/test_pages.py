"""The pages in a real Chromium: a new user requests the caravan, staff decide, a conflict is refused, languages."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.booking_fixtures import InventoryFeed
from tests.browser.conftest import ROOT, Live, check_accessibility, screenshot, visit

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

CARAVAN = "caravan-doorgeefbazaar"


def fill_caravan(page: Page, initiative: str, pickup: tuple[str, str], ret: tuple[str, str]) -> None:
    page.get_by_label("Naam van je initiatief of organisatie").fill(initiative)
    page.get_by_label("Naam van de contactpersoon").fill("An Peeters")
    page.get_by_label("E-mailadres").fill("an@example.org")
    page.locator("#pickup_date").fill(pickup[0])
    page.locator("#pickup_time").fill(pickup[1])
    page.locator("#return_date").fill(ret[0])
    page.locator("#return_time").fill(ret[1])
    page.get_by_label("Ja: Wagen met trekhaak").check()
    page.get_by_label("Nummerplaat van de wagen die trekt").fill("1-abc-234")
    page.get_by_label("Vertel kort wat je organiseert").fill("Ruilmarkt op het buurtfeest")
    page.get_by_label("Ik ga akkoord met de").check()


def submit(page: Page) -> None:
    page.get_by_role("button", name="Aanvraag versturen").click()


def test_request_caravan_staff_approves_second_conflicts(page: Page, live: Live, demo: InventoryFeed) -> None:
    # The catalogue: the caravan first, its needs as badges explained in a sentence.
    visit(page, live("/"), "01-catalogue")
    caravan = page.locator(".asset-card").first
    expect(caravan).to_contain_text("Caravan doorgeefbazaar")
    expect(caravan).to_contain_text("Trekhaak nodig")
    expect(caravan).to_contain_text("Extra nummerplaat nodig")

    # Date first: what is free from Saturday 9 March to Monday 11 (no centre is open on Sunday), and where.
    page.locator("#van_datum").fill("2030-03-09")
    page.locator("#tot_datum").fill("2030-03-11")
    page.get_by_role("button", name="Toon wat vrij is").click()
    expect(page.locator(".results")).to_contain_text("Buurtcentrum Dampoort")

    visit(page, live(f"/lenen/{CARAVAN}"), "02-asset")
    expect(page.locator("h1")).to_have_text("Caravan doorgeefbazaar")
    expect(page.locator(".hours")).to_contain_text("zaterdag")
    expect(page.locator("#kalender-titel")).to_contain_text("maart 2030")
    page.get_by_role("link", name=re.compile("april 2030")).click()
    expect(page.locator("#kalender-titel")).to_contain_text("april 2030")

    # The form, as a new user fills it: mistakes first.
    page.get_by_role("link", name="Aanvragen").first.click()
    expect(page.locator("h1")).to_have_text("Caravan doorgeefbazaar aanvragen")
    check_accessibility(page, "request form")
    screenshot(page, "03-request-form")
    page.get_by_label("E-mailadres").fill("an@")
    page.locator("#pickup_date").fill("2030-03-05")
    page.locator("#pickup_time").fill("10:00")
    page.locator("#return_date").fill("2030-03-06")
    page.locator("#return_time").fill("10:00")
    submit(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Vul de naam van je initiatief of organisatie in.")
    expect(summary).to_contain_text("Dit is geen geldig e-mailadres")
    expect(page.locator("#initiative-fout")).to_be_visible()
    expect(page.get_by_label("Naam van je initiatief of organisatie")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#pickup_date")).to_have_value("2030-03-05")  # what was typed is kept
    check_accessibility(page, "request form with errors")
    screenshot(page, "04-request-form-errors")

    # Fix those; the domain's own rules speak next: too soon, unanswered questions, a wrong plate, consent.
    page.get_by_label("Naam van je initiatief of organisatie").fill("Buurtfeest Dampoort")
    page.get_by_label("Naam van de contactpersoon").fill("An Peeters")
    page.get_by_label("E-mailadres").fill("an@example.org")
    page.get_by_label("Nummerplaat van de wagen die trekt").fill("XX")
    submit(page)
    expect(page.locator("#pickup_date-fout")).to_contain_text("minstens 3 dagen op voorhand")
    expect(page.locator("#answer-trekhaak-fout")).to_contain_text("Beantwoord de vraag ‘Wagen met trekhaak’.")
    expect(page.locator("#answer-extra-nummerplaat-fout")).to_be_visible()
    expect(page.locator("#consent-fout")).to_contain_text("privacyverklaring")
    page.get_by_role("link", name="Beantwoord de vraag ‘Wagen met trekhaak’.").click()  # the summary links to the field
    check_accessibility(page, "request form with domain errors")

    fill_caravan(page, "Buurtfeest Dampoort", ("2030-03-09", "10:30"), ("2030-03-11", "10:00"))
    submit(page)
    expect(page.locator("h1")).to_have_text("Bedankt! We hebben je aanvraag ontvangen.")
    expect(page.locator("body")).to_contain_text("zaterdag 9 maart 2030 om 10:30")
    status_link = page.locator("#status-link").get_attribute("href")
    assert status_link and "/status/" in status_link
    check_accessibility(page, "confirmation")
    screenshot(page, "05-confirmation")

    visit(page, status_link, "06-status")
    expect(page.locator(".status")).to_have_text("Wacht op een beslissing")
    expect(page.locator(".history")).to_contain_text("Aanvraag verstuurd")

    # A second initiative wants the caravan on the Monday it comes back.
    page.goto(live(f"/lenen/{CARAVAN}/aanvraag"))
    fill_caravan(page, "Schoolfeest Sint-Amandsberg", ("2030-03-11", "09:30"), ("2030-03-12", "11:00"))
    submit(page)
    expect(page.locator("h1")).to_have_text("Bedankt! We hebben je aanvraag ontvangen.")
    second_ref = page.locator(".ref").first.inner_text()

    # Staff log in (the inventory's form) and find both, flagged.
    page.goto(live("/staff"))
    expect(page).to_have_url(re.compile("/inventory/login"))
    check_accessibility(page, "login")
    screenshot(page, "07-login")
    page.get_by_label("E-mailadres").fill("dampoort@uitleen.demo")
    page.get_by_label("Wachtwoord").fill("fout")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("klopt niet")
    page.get_by_label("Wachtwoord").fill("uitleen-demo")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page).to_have_url(live("/staff"))
    cards = page.locator(".request-card")
    expect(cards).to_have_count(2)
    first = cards.nth(0)
    expect(first).to_contain_text("Buurtfeest Dampoort")
    expect(first.locator(".flag-competing")).to_contain_text(second_ref)
    expect(first).to_contain_text("1-ABC-234")
    check_accessibility(page, "staff dashboard")
    screenshot(page, "08-staff-dashboard")
    shutil.copy(ROOT / "test-artifacts" / "08-staff-dashboard.png", ROOT / "test-artifacts" / "readme-dashboard.png")

    first.get_by_role("button", name=re.compile("^Goedkeuren")).click()
    expect(page.locator(".flash-ok")).to_contain_text("is goedgekeurd")
    remaining = page.locator(".request-card")
    expect(remaining).to_have_count(1)
    expect(remaining.locator(".flag-conflict")).to_contain_text("Al uitgeleend aan")
    screenshot(page, "09-staff-conflict")
    remaining.get_by_role("button", name=re.compile("^Goedkeuren")).click()
    error = page.locator(".flash-error")
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text("Niet gelukt: Het materiaal is dan niet vrij (al uitgeleend aan")
    expect(page.locator(".request-card")).to_have_count(1)
    check_accessibility(page, "staff dashboard after a refused approval")

    # The requester sees the decision.
    page.goto(status_link)
    expect(page.locator(".status")).to_have_text("Goedgekeurd")


def test_language_switch(page: Page, live: Live, demo: InventoryFeed) -> None:
    page.goto(live(f"/lenen/{CARAVAN}"))
    page.keyboard.press("Tab")  # the keyboard's first stop skips to the content
    expect(page.get_by_role("link", name="Naar de inhoud")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Pass-on bazaar caravan")
    expect(page.locator("body")).to_contain_text("Tow hitch needed")
    expect(page.locator("#kalender-titel")).to_contain_text("March 2030")
    check_accessibility(page, "asset page in English")
    page.goto(live(f"/lenen/{CARAVAN}/aanvraag"))
    expect(page.locator("h1")).to_have_text("Request: Pass-on bazaar caravan")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_contain_text("Fill in the name of your initiative or organisation.")
    check_accessibility(page, "request form in English")
    screenshot(page, "10-request-form-english")
    page.goto(live("/privacy"))
    check_accessibility(page, "privacy notice")
    page.get_by_role("link", name="Nederlands").click()
    expect(page.locator("h1")).to_have_text("Privacyverklaring")
    page.goto(live("/lenen/bestaat-niet"))
    expect(page.locator("h1")).to_have_text("Deze pagina bestaat niet (meer)")
    check_accessibility(page, "not found")


def log_in(page: Page, live: Live, email: str = "dampoort@uitleen.demo") -> None:
    page.goto(live("/inventory/login?next=/staff"))
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("uitleen-demo")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page).to_have_url(live("/staff"))


def test_desk_request_calendar_hand_over_return_statistics(page: Page, live: Live, demo: InventoryFeed) -> None:
    from datetime import datetime

    from shared import clock

    log_in(page, live)
    # A resident phones: staff fill in the request on their behalf (no e-mail, consent by phone).
    visit(page, live("/staff/balie"), "11-walk-in-choose")
    page.get_by_role("link", name="Caravan doorgeefbazaar").click()
    page.get_by_label("Naam van het initiatief of de organisatie van de bewoner").fill("Speelstraat Muide")
    page.get_by_label("Naam van de bewoner").fill("Mohamed El Amrani")  # the desk form speaks about the resident
    page.get_by_label("Telefoonnummer").fill("0470 12 34 56")
    page.locator("#pickup_date").fill("2030-03-05")
    page.locator("#pickup_time").fill("10:00")
    page.locator("#return_date").fill("2030-03-06")
    page.locator("#return_time").fill("11:00")
    page.get_by_label("Ja: Wagen met trekhaak").check()
    page.get_by_label("Nummerplaat van de wagen die trekt").fill("2-XYZ-987")
    page.get_by_label("De bewoner kreeg uitleg over de").check()
    page.get_by_role("button", name="Aanvraag versturen").click()
    expect(page.locator("#consent_by-fout")).to_be_visible()  # how did the resident agree?
    check_accessibility(page, "walk-in form with errors")
    page.get_by_label("Aan de telefoon").check()
    page.get_by_role("button", name="Aanvraag versturen").click()
    # the confirmation speaks to the staff member, about the resident, and offers a slip to print or read out
    expect(page.locator("h1")).to_have_text("De aanvraag van de bewoner is ontvangen.")
    expect(page.locator("body")).to_contain_text("de bewoner wordt gebeld op 0470 12 34 56")
    reference = page.locator(".ref").first.inner_text()
    page.get_by_role("link", name="Briefje voor de bewoner afdrukken").click()
    slip = page.locator(".slip")
    expect(slip.locator(".ref")).to_have_text(reference)
    expect(slip).to_contain_text("Noem dit nummer als je belt of langskomt.")
    expect(slip).to_contain_text("We bellen je op 0470 12 34 56 zodra er een beslissing is.")
    expect(slip).to_contain_text("Breng mee bij het ophalen")
    check_accessibility(page, "slip for the resident")
    screenshot(page, "11b-slip")

    page.goto(live("/staff"))
    page.locator(".request-card").first.get_by_role("button", name=re.compile("^Goedkeuren")).click()
    expect(page.locator(".flash-ok")).to_contain_text(reference)

    # The calendar shows the loan, a week and a month at a time.
    visit(page, live("/staff/kalender?vanaf=2030-03-04"), "12-calendar-week")
    expect(page.locator(".planning")).to_contain_text(reference)
    page.get_by_role("link", name="Maand").click()
    expect(page.locator(".lead")).to_contain_text("maart 2030")
    # the month names each loan once, in words, as a link to its request (it showed 4-character fragments,
    # clipped at the 17th at 1280 px)
    loan = page.locator(".agenda li", has_text=reference)
    expect(loan).to_have_count(1)
    expect(loan).to_contain_text("Speelstraat Muide")
    expect(loan.get_by_role("link")).to_have_attribute("href", re.compile(r"^/staff/aanvragen/\d+$"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_accessibility(page, "calendar month")
    screenshot(page, "13-calendar-month")

    # Hand over with the checklist; later it is overdue (red), then it comes back.
    visit(page, live("/staff/uitlenen"), "14-hand-over")
    card = page.locator(f".request-card:has-text('{reference}')")
    card.get_by_label("Wagen met trekhaak").check()
    card.get_by_role("button", name=re.compile("^Meegegeven")).click()
    # one check left undone: refused, saying which (or staff write why they hand it over anyway)
    expect(page.get_by_role("alert")).to_contain_text("Niet alles is nagekeken (extra-nummerplaat)")
    card = page.locator(f".request-card:has-text('{reference}')")
    for box in card.get_by_role("group", name="Nagekeken bij het meegeven").get_by_role("checkbox").all():
        box.check()
    card.get_by_role("button", name=re.compile("^Meegegeven")).click()
    expect(page.locator(".flash-ok")).to_contain_text("is meegegeven")
    clock.set_clock(datetime(2030, 3, 7, 9, 0, tzinfo=clock.BRUSSELS))
    log_in(page, live)  # the next morning: yesterday's session has run out
    page.goto(live("/staff/uitlenen"))
    late = page.locator(".request-card.overdue")
    expect(late).to_contain_text("Te laat")
    check_accessibility(page, "return with an overdue loan")
    screenshot(page, "15-return-overdue")
    late.get_by_label("In welke staat kwam het terug?").fill("Proper, alles aanwezig")
    late.get_by_role("button", name=re.compile("^Teruggebracht")).click()
    expect(page.locator(".flash-ok")).to_contain_text("is teruggebracht")

    # Statistics: charts and a CSV export.
    visit(page, live("/staff/statistiek?jaar=2030"), "16-statistics")
    expect(page.locator(".bigfigure").first).to_have_text("1")
    expect(page.locator("body")).to_contain_text("Buurtcentrum Dampoort")
    csv = page.request.get(live("/staff/statistiek.csv?jaar=2030"))
    assert csv.ok and "uitleningen per materiaal;Caravan doorgeefbazaar;1" in csv.text()


def test_manage_assets_and_maintenance(page: Page, live: Live, demo: InventoryFeed) -> None:
    log_in(page, live, "beheer@uitleen.demo")
    visit(page, live("/inventory/beheer"), "17-manage-assets")
    page.get_by_role("link", name="Caravan doorgeefbazaar").click()
    check_accessibility(page, "manage one asset")
    page.get_by_label("Aantal stuks").fill("twee")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.get_by_role("alert")).to_contain_text("Geef een geheel getal.")
    page.get_by_label("Aantal stuks").fill("1")
    page.get_by_label("Uren om na te kijken na elke uitlening").fill("12")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.locator(".flash-ok")).to_have_text("Bewaard.")

    section = page.locator("#onderhoud")
    section.locator("#starts_date").fill("2030-03-20")
    section.locator("#starts_time").fill("09:00")
    section.locator("#ends_date").fill("2030-03-22")
    section.locator("#ends_time").fill("17:00")
    section.get_by_label("Reden").fill("Nieuwe banden")
    section.get_by_role("button", name="Onderhoud toevoegen").click()
    expect(page.locator(".flash-ok")).to_contain_text("Onderhoud toegevoegd")
    screenshot(page, "18-manage-asset")

    page.get_by_role("link", name="Terug naar de lijst").click()
    page.get_by_role("link", name="Wagen met trekhaak").click()
    page.get_by_label("Naam (Nederlands)").fill("")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.get_by_role("alert")).to_contain_text("Vul dit in.")
    check_accessibility(page, "manage a requirement with an error")
    page.get_by_label("Naam (Nederlands)").fill("Auto met trekhaak")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.locator(".flash-ok")).to_have_text("Bewaard.")

    demo.relay()  # the relay carries inventory's events to booking's copy
    page.goto(live("/staff/kalender?vanaf=2030-03-20"))
    expect(page.locator(".planning")).to_contain_text("Onderhoud: Nieuwe banden")
    page.goto(live(f"/lenen/{CARAVAN}"))
    expect(page.locator("td.day-taken").first).to_contain_text("20")
    page.goto(live(f"/lenen/{CARAVAN}/aanvraag"))
    expect(page.get_by_label("Ja: Auto met trekhaak")).to_be_visible()  # the new label reached the pages


def test_the_request_works_without_javascript(browser: Browser, live: Live, demo: InventoryFeed) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    try:
        page.goto(live(f"/lenen/{CARAVAN}/aanvraag"))
        fill_caravan(page, "Buurtfeest zonder script", ("2030-03-09", "10:30"), ("2030-03-11", "10:00"))
        page.get_by_label("E-mailadres").fill("")
        submit(page)
        expect(page.locator("#email-fout")).to_contain_text("Geef een e-mailadres of een telefoonnummer")
        page.get_by_label("Telefoonnummer").fill("09 266 00 02")
        page.get_by_label("Ik ga akkoord met de").check()
        submit(page)
        expect(page.locator("h1")).to_have_text("Bedankt! We hebben je aanvraag ontvangen.")
        screenshot(page, "19-confirmation-phone-no-js")
    finally:
        context.close()


def test_the_vans_questions_appear_when_the_citys_van_is_chosen(page: Page, live: Live, demo: InventoryFeed) -> None:
    visit(page, live("/lenen/give-box-mobiel/aanvraag"), "20-give-box-form")
    licence = page.get_by_label("Rijbewijs B")
    expect(licence).to_be_hidden()
    page.get_by_label("Ik leen ook Bestelwagen van de stad").check()
    expect(licence).to_be_visible()
    check_accessibility(page, "give-box form with the city's van")
    page.get_by_label("Ik kom met mijn eigen bestelwagen").check()
    expect(licence).to_be_hidden()


def test_the_request_page_and_a_reschedule_from_it(page: Page, live: Live, demo: InventoryFeed) -> None:
    """Staff open a loan's own page from its card, move it (a Sunday is refused beside the field), on a phone too."""
    log_in(page, live)
    page.goto(live("/staff/balie/caravan-doorgeefbazaar"))
    page.get_by_label("Naam van het initiatief of de organisatie van de bewoner").fill("Speelstraat Muide")
    page.get_by_label("Naam van de bewoner").fill("Mohamed El Amrani")  # the desk form speaks about the resident
    page.get_by_label("Telefoonnummer").fill("0470 12 34 56")
    for field, value in (("pickup_date", "2030-03-05"), ("pickup_time", "10:00")):
        page.locator(f"#{field}").fill(value)
    page.locator("#return_date").fill("2030-03-06")
    page.locator("#return_time").fill("11:00")
    page.get_by_label("Ja: Wagen met trekhaak").check()
    page.get_by_label("Nummerplaat van de wagen die trekt").fill("2-XYZ-987")
    page.get_by_label("De bewoner kreeg uitleg over de").check()
    page.get_by_label("Aan de telefoon").check()
    page.get_by_role("button", name="Aanvraag versturen").click()
    reference = page.locator(".ref").first.inner_text()
    page.goto(live("/staff"))
    page.locator(".request-card").first.get_by_role("button", name=re.compile("^Goedkeuren")).click()
    page.goto(live("/staff/uitlenen"))
    page.get_by_role("link", name=re.compile(reference)).click()
    expect(page.locator("h1")).to_contain_text(reference)
    expect(page.locator(".history")).to_contain_text("Goedgekeurd")
    check_accessibility(page, "request page")
    screenshot(page, "18-request-page")

    page.locator("#return_date").fill("2030-03-10")  # a Sunday: the centre is closed
    page.get_by_role("button", name="Nieuwe tijden bewaren").click()
    expect(page.locator("#return_date-fout")).to_contain_text("gesloten")
    expect(page.locator("#return_date")).to_have_value("2030-03-10")
    check_accessibility(page, "request page with a refused reschedule")
    page.locator("#return_date").fill("2030-03-07")
    page.get_by_role("button", name="Nieuwe tijden bewaren").click()
    expect(page.locator(".flash-ok")).to_contain_text("is verplaatst")
    expect(page.locator(".history")).to_contain_text("Datum gewijzigd")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "wider than the screen"
    check_accessibility(page, "request page on a phone")
    screenshot(page, "19-request-page-phone")
