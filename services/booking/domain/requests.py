"""Submitting a request: validation in words the borrower understands, then the request, its link, its event.

Every broken rule is reported at once, each naming its field (``items.0.answers.trekhaak``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.booking.domain.events import emit_request_event
from services.booking.domain.lifecycle import Actor, record_audit
from services.booking.domain.links import issue_link, status_path
from services.booking.domain.plates import InvalidPlate, normalise_plate
from services.booking.models import (
    BookingRequest,
    Initiative,
    InvAsset,
    InvLocation,
    InvRequirement,
    ItemRequirement,
    RequestItem,
)
from shared import clock
from shared.clock import to_local
from shared.errors import InvalidInput, pointer_for

DRIVER_CATEGORIES = ("AM", "A1", "A2", "A", "B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Created:
    request: BookingRequest
    token: str


class Problems:
    """Collects field errors so the borrower sees all of them at once."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, field: str, detail: str) -> None:
        self.errors.append({"field": field, "pointer": pointer_for(field), "in": "body", "detail": detail})

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors[0]["detail"], errors=self.errors)


def new_reference() -> str:
    return "UIT-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def initiative_key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


def get_or_create_initiative(session: Session, name: str) -> Initiative:
    """A returning initiative is recognised by its name (case and spacing do not matter); race-free."""
    key = initiative_key(name)
    values = {"name": _SPACES.sub(" ", name).strip(), "name_key": key, "created_at": clock.now()}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(Initiative).values(**values).on_conflict_do_nothing(index_elements=["name_key"]))
    initiative = session.scalar(sa.select(Initiative).where(Initiative.name_key == key))
    assert initiative is not None
    return initiative


def _within_opening_hours(location: InvLocation, instant: datetime) -> bool:
    if not location.opening_hours:
        return True  # no timetable known: by appointment, staff decide
    local = to_local(instant)
    moment = local.time().replace(tzinfo=None)
    for interval in location.opening_hours:
        if interval["weekday"] == local.weekday() and (
            time.fromisoformat(interval["opens"]) <= moment <= time.fromisoformat(interval["closes"])
        ):
            return True
    return False


def _format_hours(location: InvLocation) -> str:
    days = ["ma", "di", "wo", "do", "vr", "za", "zo"]
    return ", ".join(f"{days[h['weekday']]} {h['opens']}-{h['closes']}" for h in location.opening_hours)


def check_answer(kind: str, value: Any) -> tuple[str | None, str | None]:
    """(normalised answer, problem). A confirm needs true; a plate is normalised; a category must exist."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "Beantwoord deze voorwaarde. / Please answer this requirement."
    if kind == "confirm":
        if value is not True and str(value).lower() not in ("true", "yes", "ja"):
            return None, "Bevestig deze voorwaarde (true), of voeg het materiaal toe dat erin voorziet."
        return "yes", None
    if not isinstance(value, str):
        return None, "Give this answer as text."
    if kind == "license_plate":
        try:
            return normalise_plate(value), None
        except InvalidPlate as error:
            return None, str(error)
    if kind == "driver_category":
        category = value.strip().upper()
        if category not in DRIVER_CATEGORIES:
            return None, f"Onbekende rijbewijscategorie; kies uit {', '.join(DRIVER_CATEGORIES)}."
        return category, None
    return value.strip()[:200], None


def _check_times(
    problems: Problems, data: dict[str, Any], assets: list[InvAsset], location: InvLocation | None, is_staff: bool
) -> None:
    pickup, ret = data["pickup_at"], data["return_at"]
    if ret <= pickup:
        problems.add(
            "return_at", "Het terugbrengmoment moet na het ophaalmoment liggen. / Return must be after pick-up."
        )
        return
    hours = (ret - pickup).total_seconds() / 3600
    now = clock.now()
    if pickup < now - timedelta(minutes=5):
        problems.add("pickup_at", "Het ophaalmoment ligt in het verleden. / Pick-up is in the past.")
    for asset in assets:
        if not is_staff and pickup < now + timedelta(hours=asset.lead_time_hours):
            problems.add(
                "pickup_at",
                f"{asset.name_nl}: vraag minstens {asset.lead_time_hours} uur op voorhand aan. "
                f"/ Request at least {asset.lead_time_hours} hours ahead.",
            )
        if hours < asset.min_loan_hours:
            problems.add("return_at", f"{asset.name_nl}: minstens {asset.min_loan_hours} uur lenen.")
        if asset.max_loan_hours is not None and hours > asset.max_loan_hours:
            problems.add("return_at", f"{asset.name_nl}: hoogstens {asset.max_loan_hours} uur lenen.")
    if location is not None:
        for field in ("pickup_at", "return_at"):
            if not _within_opening_hours(location, data[field]):
                problems.add(field, f"Buiten de openingsuren van {location.name} ({_format_hours(location)}).")


def _load_assets(session: Session, problems: Problems, items: list[dict[str, Any]], is_staff: bool) -> list[InvAsset]:
    found = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        asset = session.get(InvAsset, item["asset_id"])
        if asset is None or (not asset.public and not is_staff):
            problems.add(f"items.{index}.asset_id", "Dit materiaal bestaat niet. / There is no such asset.")
            continue
        if asset.status != "active":
            problems.add(f"items.{index}.asset_id", f"{asset.name_nl} wordt niet meer uitgeleend (retired).")
            continue
        if asset.id in seen:
            problems.add(f"items.{index}.asset_id", "Dit materiaal staat al in de aanvraag; verhoog het aantal.")
            continue
        if item["quantity"] > asset.quantity:
            problems.add(f"items.{index}.quantity", f"Er zijn maar {asset.quantity} stuks van {asset.name_nl}.")
        seen.add(asset.id)
        found.append(asset)
    return found


def _build_items(
    session: Session, problems: Problems, items: list[dict[str, Any]], assets: list[InvAsset]
) -> list[RequestItem]:
    by_id = {a.id: a for a in assets}
    requested_ids = set(by_id)
    result = []
    for index, item in enumerate(items):
        asset = by_id.get(item["asset_id"])
        if asset is None:
            continue
        answers = item.get("answers") or {}
        requirements = []
        for code in asset.requirement_codes:
            catalogue = session.scalar(sa.select(InvRequirement).where(InvRequirement.code == code))
            kind = catalogue.kind if catalogue else "text"
            if catalogue and catalogue.provided_by_asset_id in requested_ids and code not in answers:
                requirements.append(ItemRequirement(code=code, kind=kind, answer="provided by item", verified=True))
                continue
            answer, problem = check_answer(kind, answers.get(code))
            if problem:
                problems.add(f"items.{index}.answers.{code}", problem)
            requirements.append(ItemRequirement(code=code, kind=kind, answer=answer))
        for code in answers:
            if code not in asset.requirement_codes:
                problems.add(f"items.{index}.answers.{code}", "Deze voorwaarde hoort niet bij dit materiaal.")
        result.append(RequestItem(asset_id=asset.id, quantity=item["quantity"], requirements=requirements))
    return result


def create_request(session: Session, data: dict[str, Any], actor: Actor, link_days: int) -> Created:
    """Validate and store a new request; emits booking.request.submitted with the private link's path.

    Raises InvalidInput listing every problem by field.
    """
    problems = Problems()
    is_staff = actor.kind == "staff"
    contact = data["contact"]
    if not contact.get("email") and not contact.get("phone"):
        problems.add("contact.email", "Geef een e-mailadres of een telefoonnummer. / Give an email or a phone number.")
    if is_staff and not data.get("proxy"):
        problems.add("proxy.consent", "Noteer hoe de aanvrager instemde (desk of phone).")
    assets = _load_assets(session, problems, data["items"], is_staff)
    location_ids = {a.location_id for a in assets}
    if len(location_ids) > 1:
        problems.add("items", "Alle materiaal van één aanvraag wordt op dezelfde plaats opgehaald; doe twee aanvragen.")
    location = session.get(InvLocation, next(iter(location_ids))) if len(location_ids) == 1 else None
    _check_times(problems, data, assets, location, is_staff)
    items = _build_items(session, problems, data["items"], assets)
    problems.raise_if_any()
    request = BookingRequest(
        reference=new_reference(),
        status="requested",
        initiative=get_or_create_initiative(session, data["initiative"]),
        contact_name=contact["name"].strip(),
        contact_email=contact.get("email") or None,
        contact_phone=contact.get("phone") or None,
        language=contact.get("language", "nl"),
        purpose=data.get("purpose", ""),
        location_id=assets[0].location_id,
        pickup_at=data["pickup_at"],
        return_at=data["return_at"],
        proxy_by_staff_id=actor.staff_id if is_staff else None,
        proxy_consent=data["proxy"]["consent"] if is_staff else None,
        created_at=clock.now(),
        items=items,
    )
    session.add(request)
    session.flush()
    token = issue_link(session, request, link_days)
    record_audit(session, request, "submit", actor, None)
    emit_request_event(session, request, "submitted", actor.to_dict(), extra={"status_url": status_path(token)})
    session.flush()
    return Created(request, token)
