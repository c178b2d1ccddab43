"""From an HTML form to a typed command, and from field problems back to the form's fields, in the reader's words.

The request form is turned into the API's input shape and loaded with the API's own schema (``RequestInSchema``),
so the form and the API make the same ``SubmitRequest``; the rules live in the domain only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from markupsafe import Markup
from sqlalchemy.orm import Session

from services.booking.api.schemas import RequestInSchema
from services.booking.domain.commands import SubmitRequest
from services.booking.domain.requests import DRIVER_CATEGORIES
from services.booking.models import InvAsset, InvRequirement
from services.booking.queries.catalogue import requirements_by_code, requirements_for
from services.booking.web.i18n import in_language
from services.booking.web.messages import say_problem
from services.inventory.contract import AssetStatus, RequirementKind
from shared.errors import FieldProblem, schema_problems
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
            if message not in self.general:
                self.general.append(message)
        elif message not in self.fields.setdefault(name, []):
            self.fields[name].append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def ordered(self) -> list[tuple[str, str]]:
        order = {name: index for index, name in enumerate(FIELD_ORDER)}
        names = sorted(self.fields, key=lambda n: (order.get(n, 50), n))
        return [(name, message) for name in names for message in self.fields[name]]

    def first(self) -> dict[str, str]:
        """One message per field (the small forms of the status page)."""
        return {name: messages[0] for name, messages in self.fields.items()}


def questions_for(session: Session, asset: InvAsset) -> list[Question]:
    """The asset's requirements, and (when one can be met by borrowing another asset) that asset's own."""
    result = []
    for requirement in requirements_for(session, asset.requirement_codes):
        provider = session.get(InvAsset, requirement.provided_by_asset_id) if requirement.provided_by_asset_id else None
        if provider is not None and (
            provider.status != AssetStatus.ACTIVE or provider.location_id != asset.location_id
        ):
            provider = None
        result.append(Question(requirement, f"answer-{requirement.code}", provider))
        if provider is not None:
            for extra in requirements_for(session, provider.requirement_codes):
                result.append(Question(extra, f"extra-{extra.code}", via=provider))
    return result


def labels_of(questions: Iterable[Question]) -> dict[str, str]:
    """Requirement code -> its label in the reader's language (errors name the question they are about)."""
    return {q.requirement.code: in_language(q.requirement.label_nl, q.requirement.label_en) for q in questions}


def requirement_labels(session: Session, codes: Iterable[str]) -> dict[str, str]:
    return {code: in_language(r.label_nl, r.label_en) for code, r in requirements_by_code(session, codes).items()}


def _answer(question: Question, form: Mapping[str, str]) -> Any:
    value = form.get(question.name, "").strip()
    if question.requirement.kind == RequirementKind.CONFIRM:
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
        # the form asks before filing a request for taken dates (the checkbox appears with the refusal)
        "file_if_taken": form.get("file_if_taken") == "yes",
        "pickup_at": _instant(form, "pickup"),
        "return_at": _instant(form, "return"),
        "items": [
            {"asset_id": asset.id, "quantity": form_quantity(quantity_text), "answers": _without_none(answers)},
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


def parse_request(
    asset: InvAsset, questions: list[Question], form: Mapping[str, str], errors: FormErrors, staff: bool
) -> SubmitRequest | None:
    """The form as the command the API would make of the same input; None (and ``errors``) when the schema says no."""
    data = build_request_data(asset, questions, form, staff)
    try:
        command: SubmitRequest = RequestInSchema().load(data)
    except ma.ValidationError as error:
        add_problems(errors, schema_problems(error.messages), labels_of(questions), staff)
        return None
    return command


# --- problems -> fields --------------------------------------------------------------------------------------

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
    # the status page's contact form
    "name": "contact_name",
    "email": "email",
    "phone": "phone",
    "language": "language",
}


def form_field(path: str) -> str | None:
    """The form field where a problem on ``path`` (the domain's or the schema's) is shown; None: above the form."""
    if path in _SIMPLE:
        return _SIMPLE[path]
    answer = _ITEM_ANSWER.match(path)
    if answer:
        return ("answer-" if answer.group(1) == "0" else "extra-") + answer.group(2)
    item = _ITEM_FIELD.match(path)
    if item and item.group(2) == "quantity":
        return "quantity"
    return None


def add_problems(
    errors: FormErrors, problems: Iterable[FieldProblem], labels: Mapping[str, str] | None = None, staff: bool = False
) -> None:
    for problem in problems:
        errors.add(form_field(problem.field), say_problem(problem, labels, staff))


DRIVER_CHOICES = DRIVER_CATEGORIES


def described(errors: FormErrors, name: str, hint: Any = False) -> Markup:
    """A field's ``aria-describedby`` (its hint, its error) and ``aria-invalid``: the templates' global, once a
    macro (a Jinja macro call costs more than the rest of the field's markup)."""
    ids = []
    if hint:
        ids.append(f"{name}-uitleg")
    failed = errors.fields.get(name)
    if failed:
        ids.append(f"{name}-fout")
    text = Markup(' aria-describedby="%s"') % " ".join(ids) if ids else Markup("")
    return text + Markup(' aria-invalid="true"') if failed else text


def field_errors(errors: FormErrors, name: str) -> Markup:
    """The problems said beside a field (``<p id="<name>-fout">``), as the macro wrote them, blank lines and all."""
    messages = errors.fields.get(name)
    if not messages:
        return Markup("\n\n")
    said = Markup("").join(Markup("<span>%s</span> ") % message for message in messages)
    return Markup('\n\n<p class="field-error" id="%s-fout">') % name + said + Markup("</p>\n\n")
