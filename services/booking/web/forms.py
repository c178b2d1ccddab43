"""From an HTML form to the API's input shape, and from the domain's field errors back to the form's fields.

The form is parsed with the API's own schema and then handed to ``create_request``: the rules live there only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from services.booking.api.schemas import RequestInSchema
from services.booking.domain.requests import DRIVER_CATEGORIES
from services.booking.models import InvAsset, InvRequirement
from services.booking.web.catalogue import requirements_for
from services.booking.web.i18n import localise_detail
from shared.errors import flatten_messages
from shared.timeparse import whole_number

FIELD_ORDER = (
    "initiative",
    "contact_name",
    "email",
    "phone",
    "language",
    "pickup_date",
    "return_date",
    "quantity",
    "purpose",
    "consent",
    "consent_by",
)


@dataclass
class Question:
    """One requirement the borrower answers; ``via`` is set for the questions of an extra item (the city's van)."""

    requirement: InvRequirement
    name: str
    provider: InvAsset | None = None
    via: InvAsset | None = None


@dataclass
class FormErrors:
    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str | None, message: str) -> None:
        if name is None:
            self.general.append(message)
        elif message not in self.fields.setdefault(name, []):
            self.fields[name].append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def ordered(self) -> list[tuple[str, str]]:
        order = {name: index for index, name in enumerate(FIELD_ORDER)}
        names = sorted(self.fields, key=lambda n: (order.get(n, 50), n))
        return [(name, message) for name in names for message in self.fields[name]]


def questions_for(session: Session, asset: InvAsset) -> list[Question]:
    """The asset's requirements, and (when one can be met by borrowing another asset) that asset's own."""
    result = []
    for requirement in requirements_for(session, asset.requirement_codes):
        provider = session.get(InvAsset, requirement.provided_by_asset_id) if requirement.provided_by_asset_id else None
        if provider is not None and (provider.status != "active" or provider.location_id != asset.location_id):
            provider = None
        result.append(Question(requirement, f"answer-{requirement.code}", provider))
        if provider is not None:
            for extra in requirements_for(session, provider.requirement_codes):
                result.append(Question(extra, f"extra-{extra.code}", via=provider))
    return result


def _answer(question: Question, form: Mapping[str, str]) -> Any:
    value = form.get(question.name, "").strip()
    if question.requirement.kind == "confirm":
        return True if value in ("yes", "own") else None
    return value or None


def borrows_provider(question: Question, form: Mapping[str, str]) -> bool:
    return question.provider is not None and form.get(question.name) == "borrow"


def build_request_data(
    asset: InvAsset, questions: list[Question], form: Mapping[str, str], on_behalf: bool = False
) -> dict[str, Any]:
    """The API's input body from the form's fields (strings as typed; the schema and the domain judge them)."""
    answers: dict[str, Any] = {}
    extra_items: list[dict[str, Any]] = []
    for question in questions:
        if question.via is not None:
            continue
        if borrows_provider(question, form) and question.provider is not None:
            provider = question.provider
            extra_answers = {
                q.requirement.code: _answer(q, form) for q in questions if q.via is not None and q.via.id == provider.id
            }
            extra_items.append({"asset_id": provider.id, "quantity": 1, "answers": _without_none(extra_answers)})
            continue  # the item that provides it answers the requirement
        answers[question.requirement.code] = _answer(question, form)
    quantity_text = form.get("quantity", "1").strip() or "1"
    consent_by = form.get("consent_by")
    proxy = {"proxy": {"consent": consent_by} if consent_by in ("desk", "phone") else None} if on_behalf else {}
    return {
        **proxy,
        "initiative": form.get("initiative", "").strip(),
        "contact": {
            "name": form.get("contact_name", "").strip(),
            "email": form.get("email", "").strip() or None,
            "phone": form.get("phone", "").strip() or None,
            "language": form.get("language", "nl") if form.get("language") in ("nl", "en") else "nl",
        },
        "purpose": form.get("purpose", "").strip(),
        "pickup_at": _instant(form, "pickup"),
        "return_at": _instant(form, "return"),
        "items": [
            {
                "asset_id": asset.id,
                "quantity": form_quantity(quantity_text),
                "answers": _without_none(answers),
            },
            *extra_items,
        ],
    }


def form_quantity(text: str) -> int | str:
    """The number typed, or the text itself for the schema to refuse with its message (never an exception)."""
    number = whole_number(text)
    return text if number is None else number


def _without_none(answers: dict[str, Any]) -> dict[str, Any]:
    return {code: value for code, value in answers.items() if value is not None}


def _instant(form: Mapping[str, str], prefix: str) -> str:
    day, moment = form.get(f"{prefix}_date", "").strip(), form.get(f"{prefix}_time", "").strip()
    return f"{day}T{moment}" if day and moment else ""


# --- errors -------------------------------------------------------------------------------------------------

_ITEM_ANSWER = re.compile(r"^items\.(\d+)\.answers\.(.+)$")
_ITEM_FIELD = re.compile(r"^items\.(\d+)\.(asset_id|quantity)$")
_SIMPLE = {
    "initiative": "initiative",
    "contact.name": "contact_name",
    "contact.email": "email",
    "contact.phone": "phone",
    "contact.language": "language",
    "contact": "email",
    "purpose": "purpose",
    "pickup_at": "pickup_date",
    "return_at": "return_date",
    "proxy.consent": "consent_by",
    "proxy": "consent_by",
}


def form_field(path: str) -> str | None:
    """The form field where the domain's (or the schema's) field path is shown; None: above the form."""
    if path in _SIMPLE:
        return _SIMPLE[path]
    answer = _ITEM_ANSWER.match(path)
    if answer:
        return ("answer-" if answer.group(1) == "0" else "extra-") + answer.group(2)
    item = _ITEM_FIELD.match(path)
    if item and item.group(2) == "quantity":
        return "quantity"
    return None


def schema_message(path: str, message: str) -> str:
    """marshmallow's English messages, said plainly in the reader's language."""
    if message in ("Missing data for required field.", "Field may not be null.") or message.startswith(
        "Length must be between 1"
    ):
        if path == "initiative":
            return _("Vul de naam van je initiatief of organisatie in.")
        if path == "contact.name":
            return _("Vul de naam van de contactpersoon in.")
        return _("Vul dit in.")
    if message == "Not a valid email address.":
        return _("Dit is geen geldig e-mailadres. Bijvoorbeeld: naam@voorbeeld.be")
    if message.startswith("Longer than maximum length") or message.startswith("Length must be"):
        return _("Dit is te lang.")
    if message in ("Not a valid integer.", "Must be greater than or equal to 1 and less than or equal to 1000."):
        return _("Geef een aantal, bijvoorbeeld 1.")
    if message.startswith("Geen geldig telefoonnummer"):
        return _("Dit is geen geldig telefoonnummer. Bijvoorbeeld: 09 266 00 02 of +32 470 12 34 56")
    if message == "Vul een datum en uur in.":
        if path == "return_at":
            return _("Kies de dag en het uur waarop je terugbrengt.")
        return _("Kies de dag en het uur waarop je ophaalt.")
    return localise_detail(message)


def domain_message(path: str, detail: str) -> str:
    if path == "contact.email" and detail.startswith("Geef een e-mailadres of een telefoonnummer"):
        return _("Geef een e-mailadres of een telefoonnummer, zodat we je kunnen bereiken.")
    if detail.startswith("Beantwoord deze voorwaarde") or detail.startswith("Bevestig deze voorwaarde"):
        return _("Beantwoord deze vraag.")
    if detail.startswith("Het ophaalmoment ligt in het verleden"):
        return _("Deze datum is al voorbij. Kies een dag in de toekomst.")
    if detail.startswith("Het terugbrengmoment moet na het ophaalmoment"):
        return _("Het terugbrengen moet na het ophalen komen.")
    return localise_detail(detail)


def load_with_schema(data: dict[str, Any], errors: FormErrors) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = RequestInSchema().load(data)
    except ma.ValidationError as error:
        for path, message in flatten_messages(error.messages):
            errors.add(form_field(path), schema_message(path, message))
        return None
    return loaded


def add_domain_errors(errors: FormErrors, problems: Iterable[dict[str, str]]) -> None:
    for problem in problems:
        path = problem.get("field", "")
        errors.add(form_field(path), domain_message(path, problem.get("detail", "")))


DRIVER_CHOICES = DRIVER_CATEGORIES
