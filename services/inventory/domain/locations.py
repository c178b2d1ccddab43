"""Locations (community centres and other pick-up points) and their opening hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from services.inventory.domain.concurrency import check_version, flush_versioned
from services.inventory.domain.errors import ClosureNotFound, DuplicateCode, LocationNotFound, check_one_line
from services.inventory.domain.events import emit, location_snapshot
from services.inventory.domain.permissions import check_can_manage_location, check_is_admin
from services.inventory.models import Closure, Location, OpeningHours
from shared import clock
from shared.auth import Principal
from shared.errors import InvalidInput

LOCATION_FIELDS = ("code", "name", "street", "postal_code", "city", "phone", "email")
# what reaches mail (the centre's name and address in a reminder, its address as a recipient) is one line
ONE_LINE_FIELDS = LOCATION_FIELDS


def check_opening_hours(hours: Sequence[dict[str, Any]]) -> None:
    """Each interval closes after it opens and no two intervals of one weekday overlap.

    Raises InvalidInput naming the offending entry (``opening_hours.<index>.closes``).
    """
    by_day: dict[int, list[tuple[time, time, int]]] = {}
    for index, interval in enumerate(hours):
        opens, closes = interval["opens"], interval["closes"]
        if closes <= opens:
            raise InvalidInput(
                f"Closing time {closes:%H:%M} must be after opening time {opens:%H:%M}.",
                field=f"opening_hours.{index}.closes",
            )
        by_day.setdefault(interval["weekday"], []).append((opens, closes, index))
    for intervals in by_day.values():
        intervals.sort()
        for (_, previous_close, _), (opens, _, index) in pairwise(intervals):
            if opens < previous_close:
                raise InvalidInput(
                    "This interval overlaps another one on the same day.",
                    field=f"opening_hours.{index}.opens",
                )


def get_location(session: Session, location_id: int) -> Location:
    options = [selectinload(Location.opening_hours), selectinload(Location.closures)]
    location = session.get(Location, location_id, options=options)
    if location is None:
        raise LocationNotFound(f"There is no location {location_id}.")
    return location


def list_locations(session: Session) -> list[Location]:
    query = (
        sa.select(Location)
        .options(selectinload(Location.opening_hours), selectinload(Location.closures))
        .order_by(Location.name)
    )
    return list(session.scalars(query))


def _ensure_code_free(session: Session, code: str, own_id: int | None = None) -> None:
    existing = session.scalar(sa.select(Location.id).where(Location.code == code))
    if existing is not None and existing != own_id:
        raise DuplicateCode(f"A location with code {code!r} already exists.", field="code")


def _set_hours(location: Location, hours: Sequence[dict[str, Any]]) -> None:
    check_opening_hours(hours)
    location.opening_hours = [OpeningHours(weekday=h["weekday"], opens=h["opens"], closes=h["closes"]) for h in hours]


def create_location(session: Session, data: dict[str, Any], actor: Principal | None) -> Location:
    """Raises Forbidden (admins only), DuplicateCode, InvalidInput (opening hours)."""
    check_is_admin(actor)
    check_one_line(data, ONE_LINE_FIELDS)
    _ensure_code_free(session, data["code"])
    location = Location(**{k: data.get(k) for k in LOCATION_FIELDS if k in data})
    _set_hours(location, data.get("opening_hours", []))
    session.add(location)
    session.flush()
    emit(session, "location.created", location_snapshot(location))
    return location


def update_location(
    session: Session, location_id: int, data: dict[str, Any], expected_version: int | None, actor: Principal | None
) -> Location:
    """Raises LocationNotFound, PreconditionFailed, DuplicateCode, InvalidInput."""
    location = get_location(session, location_id)
    check_can_manage_location(actor, location.id)
    check_version(location.version, expected_version)
    check_one_line(data, ONE_LINE_FIELDS)
    if "code" in data:
        _ensure_code_free(session, data["code"], own_id=location.id)
    for key in LOCATION_FIELDS:
        if key in data:
            setattr(location, key, data[key])
    if "opening_hours" in data:
        _set_hours(location, data["opening_hours"])
        # Changing only child rows would not bump the version; a changed timetable is a changed location.
        location.updated_at = clock.now()
    flush_versioned(session)
    session.refresh(location)
    emit(session, "location.updated", location_snapshot(location))
    return location


# --- closures -------------------------------------------------------------------------------------------------

CLOSURE_REASON_LENGTH = 200


def check_closure(starts_on: date, ends_on: date, reason: str) -> None:
    """The last day is not before the first; the reason is one line of 1-200 characters (it reaches pages and
    mails as the word for why the centre is closed).

    Raises InvalidInput naming ``ends_on`` (code ``closure_ends_before_start``) or ``reason`` (``reason_required``,
    ``too_long``, ``single_line``)."""
    if ends_on < starts_on:
        raise InvalidInput(code="closure_ends_before_start", field="ends_on")
    if not reason.strip():
        raise InvalidInput(code="reason_required", field="reason")
    if len(reason) > CLOSURE_REASON_LENGTH:
        raise InvalidInput(code="too_long", field="reason", params={"max": CLOSURE_REASON_LENGTH})
    check_one_line({"reason": reason}, ("reason",))


def _changed(session: Session, location: Location) -> Location:
    # A closure is a child row: like a changed timetable, it is a changed location (new version, new snapshot).
    # flag_modified: the row is written (and its version raised) even when the clock has not moved.
    location.updated_at = clock.now()
    flag_modified(location, "updated_at")
    flush_versioned(session)
    session.refresh(location)
    emit(session, "location.updated", location_snapshot(location))
    return location


def add_closure(
    session: Session, location_id: int, starts_on: date, ends_on: date, reason: str, actor: Principal | None
) -> Closure:
    """Close the centre from ``starts_on`` to ``ends_on`` (both included). Raises LocationNotFound, Forbidden,
    InvalidInput (see ``check_closure``)."""
    location = get_location(session, location_id)
    check_can_manage_location(actor, location.id)
    reason = reason.strip()
    check_closure(starts_on, ends_on, reason)
    closure = Closure(starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor.staff_id if actor else None)
    location.closures.append(closure)
    _changed(session, location)
    return closure


def remove_closure(session: Session, location_id: int, closure_id: int, actor: Principal | None) -> None:
    """Open the centre again on those days. Raises LocationNotFound, Forbidden, ClosureNotFound."""
    location = get_location(session, location_id)
    check_can_manage_location(actor, location.id)
    closure = next((c for c in location.closures if c.id == closure_id), None)
    if closure is None:
        raise ClosureNotFound(f"There is no closure {closure_id} at location {location_id}.")
    location.closures.remove(closure)
    _changed(session, location)
