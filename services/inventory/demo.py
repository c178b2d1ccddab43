"""The Ghent demo data of ../shared/DOMAIN.md: community centres, the caravan, the give-box, sewing machines.

Loaded through the domain functions, so every row also leaves its event in the outbox like a real change.
Loading twice changes nothing. Addresses and opening hours are illustrative, not the centres' real ones. Every
centre has an address in the non-routable demo domain (``uitleen.demo``, like the staff accounts), so staff alerts
(a new request, an escalation, the digest) are sent in ``make run`` rather than skipped; a demo centre loaded
before it had one gets it on the next load.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.inventory.domain import assets, locations, requirements, staff
from services.inventory.models import Asset, Location, Requirement, StaffAccount

DEMO_PASSWORD = "uitleen-demo"

WEEKDAYS_OFFICE = [
    *({"weekday": d, "opens": time(9), "closes": time(12)} for d in range(5)),
    *({"weekday": d, "opens": time(13), "closes": time(17)} for d in (0, 1, 3, 4)),
]
WITH_SATURDAY = [*WEEKDAYS_OFFICE, {"weekday": 5, "opens": time(10), "closes": time(13)}]

LOCATIONS: list[dict[str, Any]] = [
    {
        "code": "bc-bloemekenswijk",
        "email": "bc-bloemekenswijk@uitleen.demo",
        "name": "Buurtcentrum Bloemekenswijk",
        "street": "Ottogracht 1",
        "postal_code": "9000",
        "phone": "09 266 00 01",
        "opening_hours": WITH_SATURDAY,
    },
    {
        "code": "bc-dampoort",
        "email": "bc-dampoort@uitleen.demo",
        "name": "Buurtcentrum Dampoort",
        "street": "Dampoortstraat 2",
        "postal_code": "9000",
        "phone": "09 266 00 02",
        "opening_hours": WITH_SATURDAY,
    },
    {
        "code": "bc-nieuw-gent",
        "email": "bc-nieuw-gent@uitleen.demo",
        "name": "Buurtcentrum Nieuw Gent–Sint-Amandsberg",
        "street": "Sint-Amandsbergse Steenweg 3",
        "postal_code": "9040",
        "phone": "09 266 00 03",
        "opening_hours": WEEKDAYS_OFFICE,
    },
    {
        "code": "bc-sluizeken",
        "email": "bc-sluizeken@uitleen.demo",
        "name": "Buurtcentrum Sluizeken",
        "street": "Sluizeken 4",
        "postal_code": "9000",
        "phone": "09 266 00 04",
        "opening_hours": WEEKDAYS_OFFICE,
    },
    {
        "code": "bc-gentbrugge",
        "email": "bc-gentbrugge@uitleen.demo",
        "name": "Buurtcentrum Gentbrugge",
        "street": "Brusselsesteenweg 5",
        "postal_code": "9050",
        "phone": "09 266 00 05",
        "opening_hours": WEEKDAYS_OFFICE,
    },
    {
        "code": "bc-rooigem",
        "email": "bc-rooigem@uitleen.demo",
        "name": "Buurtcentrum Rooigem",
        "street": "Rooigemlaan 6",
        "postal_code": "9000",
        "phone": "09 266 00 06",
        "opening_hours": WEEKDAYS_OFFICE,
    },
    {
        "code": "bc-muide",
        "email": "bc-muide@uitleen.demo",
        "name": "Buurtcentrum Muide",
        "street": "Muidepoort 7",
        "postal_code": "9000",
        "phone": "09 266 00 07",
        "opening_hours": WEEKDAYS_OFFICE,
    },
    {
        "code": "bc-brugse-poort",
        "email": "bc-brugse-poort@uitleen.demo",
        "name": "Buurtcentrum Brugse Poort",
        "street": "Bevrijdingslaan 8",
        "postal_code": "9000",
        "phone": "09 266 00 08",
        "opening_hours": WITH_SATURDAY,
    },
]

REQUIREMENTS: list[dict[str, Any]] = [
    {
        "code": "trekhaak",
        "kind": "confirm",
        "label_nl": "Wagen met trekhaak",
        "label_en": "Car with a tow hitch",
        "explanation_nl": "Je trekt de caravan zelf, met een wagen die een trekhaak heeft.",
        "explanation_en": "You tow the caravan yourself, with a car that has a tow hitch.",
    },
    {
        "code": "extra-nummerplaat",
        "kind": "license_plate",
        "label_nl": "Extra nummerplaat",
        "label_en": "Extra license plate",
        "explanation_nl": "Een aanhangwagen draagt een kopie van de nummerplaat van de wagen die trekt: geef die "
        "nummerplaat op en breng de extra plaat mee.",
        "explanation_en": "A trailer carries a copy of the towing car's plate: give that plate number and bring "
        "the extra plate along.",
    },
    {
        "code": "bestelwagen",
        "kind": "confirm",
        "label_nl": "Bestelwagen (camionette)",
        "label_en": "A van",
        "explanation_nl": "De give-box past alleen in een bestelwagen: kom met je eigen bestelwagen, of leen die "
        "van de stad erbij.",
        "explanation_en": "The give-box only fits in a van: bring your own, or borrow the city's van too.",
    },
    {
        "code": "rijbewijs-b",
        "kind": "driver_category",
        "label_nl": "Rijbewijs B",
        "label_en": "Driving licence B",
        "explanation_nl": "Wie de bestelwagen rijdt, heeft een rijbewijs B.",
        "explanation_en": "Whoever drives the van holds a category B licence.",
    },
]

ASSETS: list[dict[str, Any]] = [
    {
        "code": "bestelwagen-stad",
        "name_nl": "Bestelwagen van de stad",
        "name_en": "The city's van",
        "description_nl": "Bestelwagen om de mobiele give-box of ander materiaal te vervoeren.",
        "description_en": "Van to carry the mobile give-box or other material.",
        "category": "vehicle",
        "location": "bc-bloemekenswijk",
        "turnaround_after_hours": 2,
        "lead_time_hours": 48,
        "min_loan_hours": 2,
        "max_loan_hours": 72,
        "requirement_codes": ["rijbewijs-b"],
    },
    {
        "code": "give-box-mobiel",
        "name_nl": "Mobiele give-box",
        "name_en": "Mobile give-box",
        "description_nl": "Een kast op wieltjes om spullen te ruilen op je buurtfeest of evenement.",
        "description_en": "A cabinet on wheels for swapping goods at your street party or event.",
        "category": "give_box",
        "location": "bc-bloemekenswijk",
        "turnaround_after_hours": 12,
        "lead_time_hours": 48,
        "min_loan_hours": 3,
        "max_loan_hours": 168,
        "requirement_codes": ["bestelwagen"],
    },
    {
        "code": "caravan-doorgeefbazaar",
        "name_nl": "Caravan doorgeefbazaar",
        "name_en": "Pass-on bazaar caravan",
        "description_nl": "Een caravan ingericht als doorgeefbazaar voor sport-, spel- en schoolmateriaal.",
        "description_en": "A caravan fitted out as a pass-on bazaar for sport, play and school material.",
        "category": "caravan",
        "location": "bc-dampoort",
        "turnaround_after_hours": 24,
        "lead_time_hours": 72,
        "min_loan_hours": 3,
        "max_loan_hours": 336,
        "requirement_codes": ["trekhaak", "extra-nummerplaat"],
    },
    {
        "code": "naaimachines-nieuw-gent",
        "name_nl": "Naaimachine (naaiatelier Nieuw Gent)",
        "name_en": "Sewing machine (Nieuw Gent workshop)",
        "description_nl": "Naaimachines van het naaiatelier, voor kleine textielherstellingen.",
        "description_en": "Sewing machines of the sewing workshop, for small textile repairs.",
        "category": "sewing_machine",
        "location": "bc-nieuw-gent",
        "quantity": 6,
        "lead_time_hours": 24,
        "min_loan_hours": 2,
        "max_loan_hours": 336,
    },
    {
        "code": "naaimachines-bloemekenswijk",
        "name_nl": "Naaimachine (naaiatelier Bloemekenswijk)",
        "name_en": "Sewing machine (Bloemekenswijk workshop)",
        "description_nl": "Naaimachines van het naaiatelier, voor kleine textielherstellingen.",
        "description_en": "Sewing machines of the sewing workshop, for small textile repairs.",
        "category": "sewing_machine",
        "location": "bc-bloemekenswijk",
        "quantity": 4,
        "lead_time_hours": 24,
        "min_loan_hours": 2,
        "max_loan_hours": 336,
    },
    {
        "code": "repair-cafe-koffer",
        "name_nl": "Repair Café-koffer",
        "name_en": "Repair Café kit",
        "description_nl": "Gereedschapskoffer om een Repair Café te houden: schroevendraaiers, multimeter, "
        "soldeerbout.",
        "description_en": "A tool case for running a Repair Café: screwdrivers, multimeter, soldering iron.",
        "category": "repair_kit",
        "location": "bc-brugse-poort",
        "quantity": 3,
        "lead_time_hours": 48,
        "turnaround_after_hours": 4,
        "min_loan_hours": 3,
        "max_loan_hours": 168,
    },
]

STAFF: list[dict[str, Any]] = [
    {"email": "beheer@uitleen.demo", "name": "Beheerder Demo", "role": "admin", "location_codes": []},
    {
        "email": "dampoort@uitleen.demo",
        "name": "Buurtwerker Dampoort",
        "role": "staff",
        "location_codes": ["bc-dampoort"],
    },
    {
        "email": "bloemekenswijk@uitleen.demo",
        "name": "Buurtwerker Bloemekenswijk",
        "role": "staff",
        "location_codes": ["bc-bloemekenswijk"],
    },
]


def load_demo_data(session: Session) -> dict[str, int]:
    """Create what is missing of the demo data (caller commits); returns how many rows of each were added."""
    added = {"locations": 0, "requirements": 0, "assets": 0, "staff": 0}
    for data in LOCATIONS:
        existing = session.scalar(sa.select(Location).where(Location.code == data["code"]))
        if existing is None:
            locations.create_location(session, data, actor=None)
            added["locations"] += 1
        elif existing.email is None:  # loaded before the demo centres had an address
            locations.update_location(session, existing.id, {"email": data["email"]}, None, actor=None)
    for data in REQUIREMENTS:
        if session.scalar(sa.select(Requirement.id).where(Requirement.code == data["code"])) is None:
            requirements.create_requirement(session, data, actor=None)
            added["requirements"] += 1
    for data in ASSETS:
        if session.scalar(sa.select(Asset.id).where(Asset.code == data["code"])) is None:
            location_id = session.scalar(sa.select(Location.id).where(Location.code == data["location"]))
            fields = {k: v for k, v in data.items() if k != "location"}
            assets.create_asset(session, {**fields, "location_id": location_id}, actor=None)
            added["assets"] += 1
    _link_van(session)
    for data in STAFF:
        if session.scalar(sa.select(StaffAccount.id).where(StaffAccount.email == data["email"])) is None:
            staff.create_staff(session, password=DEMO_PASSWORD, **data)
            added["staff"] += 1
    return added


def _link_van(session: Session) -> None:
    """'Needs a van' can be met by borrowing the city's van too."""
    van = session.scalar(sa.select(Asset).where(Asset.code == "bestelwagen-stad"))
    requirement = session.scalar(sa.select(Requirement).where(Requirement.code == "bestelwagen"))
    if van is not None and requirement is not None and requirement.provided_by_asset_id != van.id:
        requirements.update_requirement(session, requirement.id, {"provided_by_asset_id": van.id}, None, actor=None)
