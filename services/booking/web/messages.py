"""The pages' words for the domain's codes and the schemas' codes: Dutch msgids, English in the Babel catalogue.

``say(problem)`` turns a ``FieldProblem`` (or a code and its parameters) into a sentence in the reader's
language; parameters are worded here too (an asset's name in the reader's language, 336 hours as "14 dagen", an
instant as "zaterdag 12 september 2026 om 10:00", the opening hours Monday first). Some codes are said
differently to staff filing for a resident (``staff=True``) than to the resident herself.
tests/unit/test_booking_messages.py checks every domain code has words here.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString

from services.booking.domain.errors import Code
from services.booking.domain.vocabulary import SystemReason
from services.booking.web.i18n import in_language, lang, long_datetime
from services.booking.web.texts import HOLIDAYS, STATUSES, WEEKDAYS
from shared.errors import DomainError, FieldProblem
from shared.pages.i18n import long_date

C = Code
MESSAGES: dict[str, LazyString] = {
    C.CONTACT_MISSING: _l("Geef een e-mailadres of een telefoonnummer, zodat we je kunnen bereiken."),
    C.PROXY_CONSENT_MISSING: _l("Duid aan hoe de bewoner instemde: aan de balie of aan de telefoon."),
    C.ASSET_UNKNOWN: _l("Dit materiaal bestaat niet (meer)."),
    C.ASSET_RETIRED: _l("%(asset)s wordt niet meer uitgeleend."),
    C.ASSET_REPEATED: _l("%(asset)s staat al in de aanvraag; verhoog het aantal."),
    C.QUANTITY_EXCEEDS: _l("Er zijn maar %(available)s stuks van %(asset)s."),
    C.ITEMS_AT_SEVERAL_LOCATIONS: _l("Alles van één aanvraag haal je op dezelfde plaats op; doe twee aanvragen."),
    C.RETURN_NOT_AFTER_PICKUP: _l("Het terugbrengen moet na het ophalen komen."),
    C.PICKUP_IN_PAST: _l("Deze datum is al voorbij. Kies een dag in de toekomst."),
    C.LEAD_TIME: _l("%(asset)s vraag je minstens %(hours)s op voorhand aan: ten vroegste ophalen op %(earliest)s."),
    C.LOAN_TOO_SHORT: _l("%(asset)s leen je minstens %(hours)s."),
    C.LOAN_TOO_LONG: _l("%(asset)s leen je hoogstens %(hours)s."),
    C.OUTSIDE_OPENING_HOURS: _l(
        "Het %(moment)s kan niet op dat uur: %(location)s is op %(weekday)s open van %(day_hours)s."
    ),
    C.CLOSED_ON_HOLIDAY: _l(
        "Op %(holiday)s (een feestdag) is %(location)s gesloten; kies een andere dag om %(moment_te)s."
    ),
    C.CLOSED_FOR_CLOSURE: _l(
        "%(location)s is gesloten van %(first_day)s tot en met %(last_day)s (%(reason)s); "
        "kies een andere dag om %(moment_te)s."
    ),
    C.ANSWER_MISSING: _l("Beantwoord de vraag ‘%(requirement)s’."),
    C.CONFIRMATION_NEEDED: _l("Bevestig ‘%(requirement)s’, of leen erbij wat erin voorziet."),
    C.PLATE_INVALID: _l(
        "Dit is geen Belgische nummerplaat. Bijvoorbeeld 1-ABC-234 (of ABC-123 voor een oudere plaat)."
    ),
    C.DRIVER_CATEGORY_UNKNOWN: _l("Kies een rijbewijscategorie uit de lijst."),
    C.DRIVER_CATEGORY_INSUFFICIENT: _l(
        "Met een rijbewijs %(answer)s mag je dit niet rijden: daarvoor is een rijbewijs B (of hoger) nodig."
    ),
    C.ANSWER_NOT_TEXT: _l("Geef dit antwoord als tekst."),
    C.ANSWER_NOT_FOR_ASSET: _l("Deze vraag hoort niet bij dit materiaal."),
    C.REASON_REQUIRED: _l("Vul in waarom je annuleert."),  # the requester needs a reason only to cancel
    C.OVERRIDE_NEEDS_REASON: _l("Geef een reden om zonder de tijd voor nazicht te boeken."),
    C.PICKUP_FIXED_ONCE_OUT: _l("Het ophaalmoment van een uitlening die al meegegeven is, kan niet meer veranderen."),
    C.CONTACT_KEEP_ONE: _l("Geef een e-mailadres of een telefoonnummer, zodat we je kunnen bereiken."),
    C.CHECKS_NOT_DONE: _l(
        "Niet alles is nagekeken (%(requirements)s). Vink aan wat je nakeek, of schrijf waarom je het toch meegeeft."
    ),
    C.REQUEST_NOT_FOUND: _l("Deze aanvraag bestaat niet."),
    C.REQUIREMENT_NOT_FOUND: _l("Deze voorwaarde hoort niet bij deze aanvraag."),
    C.LINK_NOT_FOUND: _l("Deze link leidt nergens (meer) naartoe."),
    C.INVALID_TRANSITION: _l("Dat kan niet meer: de aanvraag is intussen ‘%(status)s’."),
    C.ACTOR_NOT_ALLOWED: _l("Dat mag je hier niet doen."),
    C.NOT_YOUR_CENTRE: _l("Deze aanvraag hoort bij een buurtcentrum waar je niet werkt."),
    C.BOOKING_CONFLICT: _l("Het materiaal is dan niet vrij (%(what)s)."),
    C.REQUIREMENT_NOT_MET: _l(
        "Niet goedgekeurd: een voorwaarde is niet beantwoord of niet in orde (%(requirements)s)."
    ),
    C.IDEMPOTENCY_KEY_REUSED: _l("Deze aanvraag was al verstuurd. Kijk je gegevens na en verstuur opnieuw."),
    C.IDEMPOTENCY_KEY_INVALID: _l("Er liep iets mis met het formulier. Verstuur het opnieuw."),
    C.OPEN_REQUESTS: _l("Deze persoon heeft nog lopende aanvragen (%(references)s). Sluit die eerst af."),
    C.WINDOW_EMPTY: _l("Het terugbrengen moet na het ophalen komen."),
    C.WINDOW_TOO_LONG: _l("Kies een kortere periode."),
    # why the system changed a request (audit and history)
    SystemReason.NOT_DECIDED_IN_TIME: _l("niemand besliste op tijd"),
    SystemReason.NOT_PICKED_UP: _l("niet opgehaald"),
    # the schemas' codes (shared.errors.schema_code and our own fields)
    "required": _l("Vul dit in."),
    "invalid": _l("Kijk dit na."),
    "email_invalid": _l("Dit is geen geldig e-mailadres. Bijvoorbeeld: naam@voorbeeld.be"),
    "phone_invalid": _l("Dit is geen geldig telefoonnummer. Bijvoorbeeld: 09 266 00 02 of +32 470 12 34 56"),
    "too_long": _l("Dit is te lang (hoogstens %(max)s tekens)."),
    "length_between": _l("Dit is te lang (hoogstens %(max)s tekens)."),
    "integer_invalid": _l("Geef een aantal, bijvoorbeeld 1."),
    "between": _l("Geef een aantal tussen %(min)s en %(max)s."),
    "at_least": _l("Geef een aantal van minstens %(min)s."),
    "type_invalid": _l("Kijk dit na."),
    "one_of": _l("Kies een van de mogelijkheden."),
    "unknown_field": _l("Dit veld hoort niet bij het formulier."),
    "control_characters": _l("Hier staan tekens in die niet mogen."),
    "single_line": _l("Eén regel, zonder regeleinden of stuurtekens."),
    "answer_invalid": _l("Antwoord met ja, of met een korte tekst."),
    "datetime_missing": _l("Kies een dag en een uur."),
    "datetime_invalid": _l("Dit is geen geldige datum met uur."),
    "date_invalid": _l("Dit is geen geldige datum."),
    "date_out_of_range": _l("Kies een datum tussen 1970 en 2199."),
    "time_nonexistent": _l("Dat uur bestaat die dag niet (de klok springt een uur vooruit). Kies een ander uur."),
    "time_ambiguous": _l("Dat uur komt die dag twee keer voor (de klok gaat een uur terug). Kies een ander uur."),
    "offset_invalid": _l("Dit is geen geldige tijdzone."),
}

# Where a field says it better (the form's own questions).
FIELD_MESSAGES: dict[tuple[str, str], LazyString] = {
    ("required", "initiative"): _l("Vul de naam van je initiatief of organisatie in."),
    ("length_between", "initiative"): _l("Vul de naam van je initiatief of organisatie in."),
    ("required", "contact.name"): _l("Vul de naam van de contactpersoon in."),
    ("length_between", "contact.name"): _l("Vul de naam van de contactpersoon in."),
    ("datetime_missing", "pickup_at"): _l("Kies de dag en het uur waarop je ophaalt."),
    ("datetime_missing", "return_at"): _l("Kies de dag en het uur waarop je terugbrengt."),
    ("between", "items.0.quantity"): _l("Geef een aantal, bijvoorbeeld 1."),
}

# Staff filing for a resident at the desk: speak to the staff member, about the resident.
STAFF_MESSAGES: dict[str, LazyString] = {
    C.CONTACT_MISSING: _l("Noteer een e-mailadres of een telefoonnummer van de bewoner."),
    C.CONTACT_KEEP_ONE: _l("Noteer een e-mailadres of een telefoonnummer van de bewoner."),
    C.REASON_REQUIRED: _l("Geef een reden; de aanvrager leest die."),
    C.PICKUP_IN_PAST: _l("Deze datum is al voorbij. Kies een dag in de toekomst."),
    C.IDEMPOTENCY_KEY_REUSED: _l("Deze aanvraag was al verstuurd. Kijk de gegevens na en verstuur opnieuw."),
}


def hours_text(hours: int) -> str:
    """336 as "14 dagen", 36 as "36 uur": days when the hours make whole days."""
    if hours >= 24 and hours % 24 == 0:
        return ngettext("%(num)d dag", "%(num)d dagen", hours // 24)
    return ngettext("%(num)d uur", "%(num)d uur", hours)


def weekday_name(weekday: int) -> str:
    return str(WEEKDAYS[weekday])


def opening_text(opening: list[Mapping[str, Any]], weekday: int | None = None) -> str:
    """'09:00–12:00 en 13:00–17:00' for one weekday, or 'maandag 09:00–17:00; dinsdag …' for the week."""
    spans = [s for s in opening if weekday is None or s["weekday"] == weekday]
    if weekday is not None:
        return _(" en ").join(f"{s['opens'][:5]}–{s['closes'][:5]}" for s in spans)
    days: dict[int, list[str]] = {}
    for span in sorted(spans, key=lambda s: (s["weekday"], s["opens"])):
        days.setdefault(span["weekday"], []).append(f"{span['opens'][:5]}–{span['closes'][:5]}")
    return "; ".join(f"{weekday_name(day)} {_(' en ').join(times)}" for day, times in sorted(days.items()))


def _worded(params: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    words: dict[str, Any] = dict(params)
    if "asset_nl" in params:
        words["asset"] = in_language(params.get("asset_nl"), params.get("asset_en"))
    if "hours" in params:
        words["hours"] = hours_text(int(params["hours"]))
    if isinstance(params.get("earliest"), datetime):
        words["earliest"] = long_datetime(params["earliest"])
    if "moment" in params:
        words["moment"] = _("ophalen") if params["moment"] == "pickup" else _("terugbrengen")
        words["moment_te"] = _("op te halen") if params["moment"] == "pickup" else _("terug te brengen")
    if "holiday" in params:
        words["holiday"] = HOLIDAYS.get(str(params["holiday"]), str(params["holiday"]))
    for name in ("first_day", "last_day"):  # a closure's days, ISO dates
        if isinstance(params.get(name), str):
            with suppress(ValueError):
                words[name] = long_date(date.fromisoformat(params[name]))
    if "weekday" in params:
        words["weekday"] = weekday_name(int(params["weekday"]))
        words["day_hours"] = opening_text(params.get("opening") or [], int(params["weekday"]))
    if "opening" in params:
        words["opening"] = opening_text(params["opening"])
    if "requirement" in params:
        words["requirement"] = labels.get(str(params["requirement"]), str(params["requirement"]))
    if "requirements" in params:
        words["requirements"] = ", ".join(labels.get(str(c), str(c)) for c in params["requirements"])
    if "status" in params:
        words["status"] = str(STATUSES.get(str(params["status"]), params["status"])).lower()
    for name in ("references", "choices", "accepted"):
        if isinstance(params.get(name), list | tuple):
            words[name] = ", ".join(str(v) for v in params[name])
    return words


def say(
    code: str,
    params: Mapping[str, Any] | None = None,
    field: str | None = None,
    labels: Mapping[str, str] | None = None,
    staff: bool = False,
) -> str:
    """The reader's words for ``code`` (on ``field``), parameters filled in."""
    params = params or {}
    if code == C.OUTSIDE_OPENING_HOURS and not opening_text(params.get("opening") or [], int(params["weekday"])):
        template: Any = _l(
            "Op %(weekday)s is %(location)s gesloten; kies een andere dag om %(moment_te)s. Open: %(opening)s."
        )
    elif code == C.BOOKING_CONFLICT:
        return _conflict(params)
    elif code == C.DATES_TAKEN:
        return _taken(params, staff)
    else:
        template = (
            (STAFF_MESSAGES.get(code) if staff else None)
            or FIELD_MESSAGES.get((code, field or ""))
            or MESSAGES.get(code)
            or MESSAGES["invalid"]
        )
    try:
        return str(template) % _worded(params, labels or {})
    except (KeyError, ValueError, TypeError):  # a parameter missing: the words without it, never a 500
        return str(MESSAGES["invalid"])


def _conflict(params: Mapping[str, Any]) -> str:
    parts = []
    if params.get("references"):
        parts.append(_("al uitgeleend aan %(refs)s", refs=", ".join(params["references"])))
    if params.get("maintenance"):
        parts.append(_("er is onderhoud gepland"))
    return str(MESSAGES[C.BOOKING_CONFLICT]) % {"what": "; ".join(parts) or _("bezet")}


def _taken(params: Mapping[str, Any], staff: bool) -> str:
    if params.get("on_loan") and params.get("maintenance"):
        what = _("Op die dagen is het al uitgeleend en is er onderhoud gepland.")
    elif params.get("maintenance"):
        what = _("Op die dagen is er onderhoud gepland.")
    else:
        what = _("Op die dagen is het al uitgeleend.")
    if staff:
        return what + " " + _("Kies andere dagen, of vink aan dat de aanvraag toch als wens mag gelden.")
    return what + " " + _("Kies andere dagen, of vink aan dat je het toch als wens aanvraagt.")


def say_problem(problem: FieldProblem, labels: Mapping[str, str] | None = None, staff: bool = False) -> str:
    return say(problem.code, problem.params, problem.field, labels, staff)


def say_error(error: DomainError, labels: Mapping[str, str] | None = None, staff: bool = False) -> str:
    """A refusal as one sentence (its first field problem's, or its own)."""
    if error.problems:
        return say_problem(error.problems[0], labels, staff)
    return say(error.code, error.params, None, labels, staff)


__all__ = ["MESSAGES", "hours_text", "lang", "opening_text", "say", "say_error", "say_problem"]
