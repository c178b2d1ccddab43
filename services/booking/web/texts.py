"""Words for people that the inventory copy does not carry: badge explanations and category descriptions.

Each badge is explained in one sentence. Unknown codes fall back to the requirement's own label.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

BADGES = {
    "trekhaak": (_l("Trekhaak nodig"), _l("Je trekt de caravan zelf, met een wagen die een trekhaak heeft.")),
    "extra-nummerplaat": (
        _l("Extra nummerplaat nodig"),
        _l("Een aanhangwagen draagt een kopie van de nummerplaat van de wagen die trekt; die breng je mee."),
    ),
    "bestelwagen": (
        _l("Bestelwagen nodig"),
        _l("Dit past alleen in een bestelwagen: kom met je eigen bestelwagen of leen die van de stad erbij."),
    ),
    "rijbewijs-b": (_l("Rijbewijs B nodig"), _l("Wie rijdt, heeft een rijbewijs B.")),
}

CATEGORIES = {
    "caravan": _l("Een caravan ingericht als doorgeefbazaar voor sport-, spel- en schoolmateriaal."),
    "give_box": _l("Een kast op wieltjes om spullen te ruilen op je buurtfeest of evenement."),
    "sewing_machine": _l("Naaimachines van het naaiatelier, voor kleine textielherstellingen."),
    "repair_kit": _l("Gereedschapskoffer om een Repair Café te houden."),
    "vehicle": _l("Bestelwagen om materiaal te vervoeren."),
}

# Belgium's legal holidays (domain/holidays.py), as a sentence names them: "Op Kerstmis is … gesloten".
HOLIDAYS = {
    "new_year": _l("Nieuwjaar"),
    "easter_monday": _l("paasmaandag"),
    "labour_day": _l("de Dag van de Arbeid"),
    "ascension": _l("Onze-Lieve-Heer-Hemelvaart"),
    "whit_monday": _l("pinkstermaandag"),
    "national_day": _l("de nationale feestdag"),
    "assumption": _l("Onze-Lieve-Vrouw-Hemelvaart"),
    "all_saints": _l("Allerheiligen"),
    "armistice": _l("Wapenstilstand"),
    "christmas": _l("Kerstmis"),
}
WEEKDAYS = (_l("maandag"), _l("dinsdag"), _l("woensdag"), _l("donderdag"), _l("vrijdag"), _l("zaterdag"), _l("zondag"))

STATUSES = {
    "requested": _l("Wacht op een beslissing"),
    "approved": _l("Goedgekeurd"),
    "rejected": _l("Geweigerd"),
    "withdrawn": _l("Ingetrokken"),
    "expired": _l("Vervallen (niemand besliste op tijd)"),
    "cancelled": _l("Geannuleerd"),
    "no_show": _l("Niet opgehaald"),
    "picked_up": _l("Opgehaald"),
    "overdue": _l("Te laat terug"),
    "returned": _l("Teruggebracht"),
}

ACTIONS = {
    "submit": _l("Aanvraag verstuurd"),
    "approve": _l("Goedgekeurd"),
    "reject": _l("Geweigerd"),
    "withdraw": _l("Ingetrokken"),
    "expire": _l("Vervallen"),
    "cancel": _l("Geannuleerd"),
    "no_show": _l("Niet opgehaald"),
    "pick_up": _l("Opgehaald"),
    "mark_overdue": _l("Te laat"),
    "return": _l("Teruggebracht"),
    "reschedule": _l("Datum gewijzigd"),
    "change_contact": _l("Contactgegevens aangepast"),
    # staff's own steps (the requester's history leaves them out)
    "verify_requirement": _l("Voorwaarde nagekeken"),
    "reissue_link": _l("Nieuwe statuslink gemaakt"),
    "anonymise": _l("Persoonsgegevens gewist"),
}

ACTORS = {"requester": _l("door jou"), "staff": _l("door de buurtwerker"), "system": _l("automatisch")}

# What a call on notify's call list was about (the message's kind, services/notify/domain/schedule.py), and how
# it went: the request's contact history (notify.call.recorded).
CALL_SUBJECTS = {
    "request_received": _l("aanvraag ontvangen"),
    "approved": _l("goedgekeurd"),
    "rejected": _l("geweigerd"),
    "withdrawn": _l("ingetrokken"),
    "cancelled": _l("geannuleerd"),
    "expired": _l("vervallen"),
    "rescheduled": _l("nieuwe tijden"),
    "pickup_reminder": _l("herinnering ophalen"),
    "return_reminder": _l("herinnering terugbrengen"),
    "overdue_notice": _l("te laat terug"),
}
CALL_OUTCOMES = {"reached": _l("gebeld"), "unreached": _l("niet bereikt")}

# Who acted, as staff read the audit trail (the requester's history says "door jou").
STAFF_ACTORS = {
    "requester": _l("door de aanvrager"),
    "staff": _l("door een medewerker"),
    "system": _l("automatisch"),
}


_WORDED: dict[str, dict[str, Any]] = {}


def _worded(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _worded(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_worded(item) for item in value)
    # Markup, as the lazy string was shown: its ``__html__`` is the translation itself, unescaped
    return Markup(str(value))


def page_words(language: str) -> dict[str, Any]:
    """The pages' names for badges, categories, weekdays, statuses, actions and actors in ``language``, worded
    once per process (a lazy string asks Flask-Babel for the locale and the catalogue each time it is shown).
    Call it in a request whose language is ``language``."""
    found = _WORDED.get(language)
    if found is None:
        found = _WORDED[language] = {
            "badges": _worded(BADGES),
            "categories": _worded(CATEGORIES),
            "weekday_names": _worded(WEEKDAYS),
            "status_names": _worded(STATUSES),
            "action_names": _worded(ACTIONS),
            "actor_names": _worded(ACTORS),
        }
    return found
