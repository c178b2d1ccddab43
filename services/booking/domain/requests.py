"""Submitting a request: ``check_request`` judges it without changing anything, ``create_request`` stores it.

Every broken rule is reported at once, each naming its field (``items.0.answers.trekhaak``) with a code and its
parameters; the pages and the API say them in their own words. The same rules answer the catalogue's "what can
I borrow on these dates?" (``dates_problems``), so a search never offers what a submission would refuse.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.booking.domain.commands import Answer, SubmitRequest, WantedItem
from services.booking.domain.conflicts import taken
from services.booking.domain.errors import Code, problem
from services.booking.domain.events import RequestEvent, emit_request_event
from services.booking.domain.holidays import holiday_on
from services.booking.domain.lifecycle import Actor, record_audit
from services.booking.domain.links import issue_link
from services.booking.domain.plates import InvalidPlate, normalise_plate
from services.booking.domain.vocabulary import Action, Status
from services.booking.models import (
    BookingRequest,
    Initiative,
    InvAsset,
    InvLocation,
    InvRequirement,
    ItemRequirement,
    RequestItem,
)
from services.inventory.contract import AssetStatus, RequirementKind
from shared import clock
from shared.clock import BRUSSELS, to_local
from shared.db import insert_at_commit
from shared.errors import FieldProblem, InvalidInput

DRIVER_CATEGORIES = ("AM", "A1", "A2", "A", "B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE")
# Who holds one of these may drive what a B licence allows (C1, C, D1 and D are only issued to B holders).
COVERS_B = frozenset({"B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE"})
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SPACES = re.compile(r"\s+")
# A pick-up this close to now still counts as now (the form was filled in a few minutes ago).
PAST_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class PlannedRequirement:
    code: str
    kind: str
    answer: str | None
    provided_by_item: bool = False


@dataclass(frozen=True)
class PlannedItem:
    asset: InvAsset
    quantity: int
    requirements: tuple[PlannedRequirement, ...]


@dataclass(frozen=True)
class Plan:
    """A submission that passed every rule: what ``create_request`` will store."""

    command: SubmitRequest
    location_id: int
    items: tuple[PlannedItem, ...]
    # the centre's row, held so that the event's snapshot finds it in the session rather than reading it again
    location: InvLocation | None = None
    # the requirements the items ask, by code, as read for the check (the snapshot's labels: not read again)
    requirements: Mapping[str, InvRequirement] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Created:
    request: BookingRequest
    token: str
    snapshot: dict[str, Any]


def new_reference() -> str:
    return "UIT-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def initiative_key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


# --- the rules ------------------------------------------------------------------------------------------------


def closure_on(location: InvLocation | None, day: date) -> dict[str, Any] | None:
    """The centre's closure (inventory's, ``{id, starts_on, ends_on, reason}``) that covers ``day``, if any."""
    stamp = day.isoformat()  # ISO dates compare as text
    for closure in (location.closures or []) if location is not None else []:
        if closure["starts_on"] <= stamp <= closure["ends_on"]:
            return closure
    return None


def opening_spans(location: InvLocation | None, day: date) -> list[tuple[datetime, datetime]] | None:
    """The centre's opening spans on ``day`` as instants ([] when it does not open; None when no timetable is
    known: by appointment, staff decide). The one reading of the timetable behind submission and the calendars:
    a legal holiday and a day the centre closed (``closure_on``) are closed days."""
    if location is None or not location.opening_hours:
        return None
    if holiday_on(day) is not None:
        return []  # a legal holiday: every centre is closed
    if closure_on(location, day) is not None:
        return []  # the centre closed these days (Christmas break, a staff day)
    return [
        (
            datetime.combine(day, time.fromisoformat(span["opens"]), tzinfo=BRUSSELS).astimezone(UTC),
            datetime.combine(day, time.fromisoformat(span["closes"]), tzinfo=BRUSSELS).astimezone(UTC),
        )
        for span in location.opening_hours
        if span["weekday"] == day.weekday()
    ]


def within_opening_hours(location: InvLocation | None, instant: datetime) -> bool:
    spans = opening_spans(location, to_local(instant).date())
    if spans is None:
        return True  # no timetable known: by appointment, staff decide
    return any(opens <= instant <= closes for opens, closes in spans)


def opening_by_day(location: InvLocation) -> list[dict[str, Any]]:
    """The timetable Monday first, each day's spans in order (what an error shows, in this order)."""
    return sorted(location.opening_hours or [], key=lambda span: (span["weekday"], span["opens"]))


def _names(asset: InvAsset) -> dict[str, str]:
    return {"asset_nl": asset.name_nl, "asset_en": asset.name_en}


# How far ahead the earliest pick-up is looked for in the timetable (a centre closed for longer: by appointment).
EARLIEST_SEARCH_DAYS = 60


def earliest_pickup(asset: InvAsset, now: datetime, location: InvLocation | None = None) -> datetime:
    """The first moment a request for ``asset`` may be picked up: its lead time respected (rounded up to the full
    hour) and, when ``location`` has a timetable, inside its opening hours (else the next opening), so a hint never
    names a closed hour such as midnight. A moment this returns passes ``dates_problems``' lead-time and opening
    rules."""
    earliest = now + timedelta(hours=asset.lead_time_hours)
    if earliest.minute or earliest.second or earliest.microsecond:
        earliest = earliest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    first_day = to_local(earliest).date()
    for offset in range(EARLIEST_SEARCH_DAYS):
        spans = opening_spans(location, first_day + timedelta(days=offset))
        if spans is None:
            return earliest  # no timetable: by appointment, any hour may be agreed
        for opens, closes in sorted(spans):
            moment = max(earliest, opens)
            if moment < closes:
                return moment
    return earliest


def dates_problems(
    pickup_at: datetime,
    return_at: datetime,
    assets: Sequence[InvAsset],
    location: InvLocation | None,
    is_staff: bool,
    now: datetime,
) -> list[FieldProblem]:
    """What is wrong with these dates for these assets at this location (nothing: the dates can be asked for).

    The one rule behind the request form, the API and the dates-first search.
    """
    if return_at <= pickup_at:
        return [problem("return_at", Code.RETURN_NOT_AFTER_PICKUP)]
    problems = []
    if pickup_at < now - PAST_TOLERANCE:
        problems.append(problem("pickup_at", Code.PICKUP_IN_PAST))
    hours = (return_at - pickup_at).total_seconds() / 3600
    for asset in assets:
        if not is_staff and pickup_at < now + timedelta(hours=asset.lead_time_hours) - PAST_TOLERANCE:
            earliest = earliest_pickup(asset, now, location)
            problems.append(
                problem("pickup_at", Code.LEAD_TIME, hours=asset.lead_time_hours, earliest=earliest, **_names(asset))
            )
        if hours < asset.min_loan_hours:
            problems.append(problem("return_at", Code.LOAN_TOO_SHORT, hours=asset.min_loan_hours, **_names(asset)))
        if asset.max_loan_hours is not None and hours > asset.max_loan_hours:
            problems.append(problem("return_at", Code.LOAN_TOO_LONG, hours=asset.max_loan_hours, **_names(asset)))
    if location is not None:
        for field, moment, instant in (("pickup_at", "pickup", pickup_at), ("return_at", "return", return_at)):
            day = to_local(instant).date()
            holiday, closure = holiday_on(day), closure_on(location, day)
            if holiday is not None and location.opening_hours:
                problems.append(
                    problem(field, Code.CLOSED_ON_HOLIDAY, moment=moment, location=location.name, holiday=str(holiday))
                )
            elif closure is not None and location.opening_hours:
                problems.append(
                    problem(
                        field,
                        Code.CLOSED_FOR_CLOSURE,
                        moment=moment,
                        location=location.name,
                        reason=closure["reason"],
                        first_day=closure["starts_on"],
                        last_day=closure["ends_on"],
                    )
                )
            elif not within_opening_hours(location, instant):
                problems.append(
                    problem(
                        field,
                        Code.OUTSIDE_OPENING_HOURS,
                        moment=moment,
                        location=location.name,
                        weekday=to_local(instant).weekday(),
                        opening=opening_by_day(location),
                    )
                )
    return problems


def check_answer(
    requirement: str, kind: str, value: Answer | None, field: str
) -> tuple[str | None, FieldProblem | None]:
    """(normalised answer, problem). A confirmation needs true; a plate is normalised; a licence must cover B."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, problem(field, Code.ANSWER_MISSING, requirement=requirement)
    if kind == RequirementKind.CONFIRM:
        if value is not True and str(value).lower() not in ("true", "yes", "ja"):
            return None, problem(field, Code.CONFIRMATION_NEEDED, requirement=requirement)
        return "yes", None
    if not isinstance(value, str):
        return None, problem(field, Code.ANSWER_NOT_TEXT, requirement=requirement)
    if kind == RequirementKind.LICENSE_PLATE:
        try:
            return normalise_plate(value), None
        except InvalidPlate:
            return None, problem(field, Code.PLATE_INVALID, requirement=requirement)
    if kind == RequirementKind.DRIVER_CATEGORY:
        category = value.strip().upper()
        if category not in DRIVER_CATEGORIES:
            return None, problem(
                field, Code.DRIVER_CATEGORY_UNKNOWN, requirement=requirement, choices=list(DRIVER_CATEGORIES)
            )
        if category not in COVERS_B:
            return None, problem(
                field,
                Code.DRIVER_CATEGORY_INSUFFICIENT,
                requirement=requirement,
                answer=category,
                accepted=sorted(COVERS_B),
            )
        return category, None
    return value.strip()[:200], None


# Built once with bound parameters: a submission only binds its values to SQLAlchemy's cached compilation.
_ASSETS_WITH_CENTRES = (
    sa.select(InvAsset, InvLocation)
    .outerjoin(InvLocation, InvLocation.id == InvAsset.location_id)
    .where(InvAsset.id.in_(sa.bindparam("ids", expanding=True)))
)
_REQUIREMENTS = sa.select(InvRequirement).where(InvRequirement.code.in_(sa.bindparam("codes", expanding=True)))
_INITIATIVES: sa.Table = Initiative.__table__  # type: ignore[assignment]
_INITIATIVE = sa.select(_INITIATIVES.c.id, _INITIATIVES.c.name).where(_INITIATIVES.c.name_key == sa.bindparam("key"))


def _load_assets(
    session: Session, wanted: Sequence[WantedItem], is_staff: bool, problems: list[FieldProblem]
) -> tuple[list[tuple[int, WantedItem, InvAsset]], dict[int, InvLocation]]:
    """The wanted items whose asset can be borrowed, with their index in the submission, and the assets' centres
    (one statement for both)."""
    ids = {item.asset_id for item in wanted}
    by_id: dict[int, InvAsset] = {}
    locations: dict[int, InvLocation] = {}
    if ids:
        for row_asset, row_location in session.execute(_ASSETS_WITH_CENTRES, {"ids": sorted(ids)}):
            by_id[row_asset.id] = row_asset
            if row_location is not None:
                locations[row_location.id] = row_location
    found: list[tuple[int, WantedItem, InvAsset]] = []
    seen: set[int] = set()
    for index, item in enumerate(wanted):
        asset = by_id.get(item.asset_id)
        field = f"items.{index}.asset_id"
        if asset is None or (not asset.public and not is_staff):
            problems.append(problem(field, Code.ASSET_UNKNOWN))
        elif asset.status != AssetStatus.ACTIVE:
            problems.append(problem(field, Code.ASSET_RETIRED, **_names(asset)))
        elif asset.id in seen:
            problems.append(problem(field, Code.ASSET_REPEATED, **_names(asset)))
        else:
            if item.quantity > asset.quantity:
                problems.append(
                    problem(f"items.{index}.quantity", Code.QUANTITY_EXCEEDS, available=asset.quantity, **_names(asset))
                )
            seen.add(asset.id)
            found.append((index, item, asset))
    return found, locations


def _requirements(session: Session, assets: Iterable[InvAsset]) -> dict[str, InvRequirement]:
    codes = {code for asset in assets for code in asset.requirement_codes}
    if not codes:
        return {}
    return {r.code: r for r in session.scalars(_REQUIREMENTS, {"codes": sorted(codes)})}


def _plan_item(
    index: int,
    item: WantedItem,
    asset: InvAsset,
    catalogue: dict[str, InvRequirement],
    requested_ids: set[int],
    problems: list[FieldProblem],
) -> PlannedItem:
    planned = []
    for code in asset.requirement_codes:
        known = catalogue.get(code)
        kind = known.kind if known else RequirementKind.TEXT
        if known and known.provided_by_asset_id in requested_ids and code not in item.answers:
            planned.append(PlannedRequirement(code, kind, None, provided_by_item=True))
            continue
        answer, wrong = check_answer(code, kind, item.answers.get(code), f"items.{index}.answers.{code}")
        if wrong:
            problems.append(wrong)
        planned.append(PlannedRequirement(code, kind, answer))
    for code in item.answers:
        if code not in asset.requirement_codes:
            problems.append(problem(f"items.{index}.answers.{code}", Code.ANSWER_NOT_FOR_ASSET, requirement=code))
    return PlannedItem(asset, item.quantity, tuple(planned))


def check_request(session: Session, command: SubmitRequest, actor: Actor, now: datetime | None = None) -> Plan:
    """Judge a submission against every rule, changing nothing. Returns the plan ``create_request`` stores.

    Raises InvalidInput listing every problem by field.
    """
    now = now or clock.now()
    problems: list[FieldProblem] = []
    # A resident booked at the desk may have neither: staff hand her the slip with the reference to quote.
    if not command.contact.email and not command.contact.phone and not actor.is_staff:
        problems.append(problem("contact.email", Code.CONTACT_MISSING))
    if actor.is_staff and command.consent is None:
        problems.append(problem("proxy.consent", Code.PROXY_CONSENT_MISSING))
    found, locations = _load_assets(session, command.items, actor.is_staff, problems)
    location_ids = {asset.location_id for _index, _item, asset in found}
    if len(location_ids) > 1:
        problems.append(problem("items", Code.ITEMS_AT_SEVERAL_LOCATIONS))
    location = locations.get(next(iter(location_ids))) if len(location_ids) == 1 else None
    assets = [asset for _index, _item, asset in found]
    problems += dates_problems(command.pickup_at, command.return_at, assets, location, actor.is_staff, now)
    catalogue = _requirements(session, assets)
    requested = {asset.id for asset in assets}
    items = tuple(_plan_item(index, item, asset, catalogue, requested, problems) for index, item, asset in found)
    if not problems and not command.file_if_taken:
        in_the_way = taken(
            session, [(item.asset, item.quantity) for item in items], command.pickup_at, command.return_at
        )
        if in_the_way:
            problems.append(
                problem("pickup_at", Code.DATES_TAKEN, on_loan=in_the_way.on_loan, maintenance=in_the_way.maintenance)
            )
    if problems:
        raise InvalidInput.of(problems)
    return Plan(command, assets[0].location_id, items, location, catalogue)


# --- storing --------------------------------------------------------------------------------------------------


def get_or_create_initiative(session: Session, name: str) -> Initiative:
    """A returning initiative is recognised by its name (case and spacing do not matter); race-free.

    One statement for one seen before (most are); a new one is inserted with ``ON CONFLICT DO NOTHING`` so that two
    first submissions at once make one initiative. Returns it unattached to the session (its id and name).
    """
    key = initiative_key(name)
    found = session.execute(_INITIATIVE, {"key": key}).first()
    if found is None:
        values = {"name": _SPACES.sub(" ", name).strip(), "name_key": key, "created_at": clock.now()}
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(Initiative).values(**values).on_conflict_do_nothing(index_elements=["name_key"]))
        found = session.execute(_INITIATIVE, {"key": key}).one()
    # read with Core and returned unattached (the request built from it is not in the session either): loading
    # an ORM object cost more than the statement
    return Initiative(id=found.id, name=found.name, name_key=key)


_INSERT_REQUEST = sa.insert(BookingRequest.__table__).returning(BookingRequest.__table__.c.id)  # type: ignore[arg-type]
_INSERT_ITEMS = sa.insert(RequestItem.__table__).returning(  # type: ignore[arg-type]
    RequestItem.__table__.c.id,  # type: ignore[attr-defined]
    sort_by_parameter_order=True,
)


def create_request(session: Session, plan: Plan, actor: Actor, link_days: int) -> Created:
    """Store a checked submission with its private link, audit row and ``booking.request.submitted`` event.

    Written with Core, not the ORM's unit of work (the hottest write of the service): the request and its items
    each in one ``INSERT … RETURNING id``; the requirement answers, the link, the audit row and the outbox row
    together in the commit's one deferred statement (nothing reads them back before it). The returned request is
    built from the same values, never read again, and not attached to the session (nothing may change it later
    in this transaction).
    """
    command = plan.command
    now = clock.now()
    initiative = get_or_create_initiative(session, command.initiative)
    values: dict[str, Any] = {
        "reference": new_reference(),
        "status": str(Status.REQUESTED),
        "initiative_id": initiative.id,
        "contact_name": command.contact.name.strip(),
        "contact_email": command.contact.email or None,
        "contact_phone": command.contact.phone or None,
        "language": str(command.contact.language),
        "purpose": command.purpose,
        "location_id": plan.location_id,
        "pickup_at": command.pickup_at,
        "return_at": command.return_at,
        "proxy_by_staff_id": actor.staff_id if actor.is_staff else None,
        "proxy_consent": str(command.consent) if actor.is_staff and command.consent else None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    request_id = session.execute(_INSERT_REQUEST, values).scalar_one()
    items = [{"request_id": request_id, "asset_id": item.asset.id, "quantity": item.quantity} for item in plan.items]
    item_ids = session.scalars(_INSERT_ITEMS, items).all()
    request = BookingRequest(id=request_id, initiative=initiative, **values)
    for item_id, item, planned in zip(item_ids, items, plan.items, strict=True):
        requirements = [_store_requirement(session, item_id, r) for r in planned.requirements]
        request.items.append(RequestItem(id=item_id, requirements=requirements, **item))
    token = issue_link(session, request, link_days)
    record_audit(session, request, Action.SUBMIT, actor, None)
    snapshot = emit_request_event(
        session, request, RequestEvent.SUBMITTED, actor.to_dict(), secret=token, labels=plan.requirements
    )
    return Created(request, token, snapshot)


def _store_requirement(session: Session, item_id: int, planned: PlannedRequirement) -> ItemRequirement:
    """The answer's row, inserted at commit; returns it as an unattached object for the snapshot."""
    row = {
        "item_id": item_id,
        "code": planned.code,
        "kind": str(planned.kind),
        "answer": planned.answer,
        "provided_by_item": planned.provided_by_item,
        "verified": True if planned.provided_by_item else None,
        "verified_by": None,
    }
    insert_at_commit(session, ItemRequirement.__table__, row)  # type: ignore[arg-type]
    return ItemRequirement(**row)
