"""Everything that happens to a request after it is submitted: decide, hand over, take back, change.

Each command locks the request row first (two staff clicking at once are served one after the other), checks
the lifecycle rule, does its work, and leaves the audit row and the event in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from services.booking.domain import conflicts
from services.booking.domain.errors import NotYourCentre, RequestNotFound, RequirementNotMet
from services.booking.domain.lifecycle import Actor, check_allowed, record_audit, transition
from services.booking.domain.requests import check_answer
from services.booking.models import BookingRequest, ItemRequirement, RequestItem
from shared import clock
from shared.auth import Principal
from shared.errors import Forbidden, InvalidInput, NotFound


def get_request(session: Session, request_id: int, for_update: bool = False) -> BookingRequest:
    """Raises RequestNotFound."""
    query = (
        sa.select(BookingRequest)
        .where(BookingRequest.id == request_id)
        .options(selectinload(BookingRequest.items).selectinload(RequestItem.requirements))
    )
    if for_update:
        query = query.with_for_update(of=BookingRequest).execution_options(populate_existing=True)
    request = session.scalar(query)
    if request is None:
        raise RequestNotFound(f"There is no request {request_id}.")
    return request


def get_request_for(
    session: Session, request_id: int, principal: Principal, for_update: bool = False
) -> BookingRequest:
    """A request as its centre's staff (or an admin) may see it: requesters' details stay within the centre.

    Raises RequestNotFound, NotYourCentre."""
    request = get_request(session, request_id, for_update=for_update)
    if not principal.works_at(request.location_id):
        raise NotYourCentre("This request is for an asset of a community centre you do not work for.")
    return request


def unmet_requirements(request: BookingRequest) -> list[dict[str, Any]]:
    """Requirements unanswered or marked not met by staff: they block approval."""
    return [
        {
            "item_id": item.id,
            "asset_id": item.asset_id,
            "code": req.code,
            "answer": req.answer,
            "verified": req.verified,
        }
        for item in request.items
        for req in item.requirements
        if req.answer is None or req.verified is False
    ]


def approve(
    session: Session, request: BookingRequest, actor: Actor, override_buffers: bool = False, reason: str | None = None
) -> BookingRequest:
    """Raises InvalidTransition, NotYourCentre, RequirementNotMet, BookingConflict, InvalidInput."""
    check_allowed("approve", request, actor)
    if override_buffers and not (reason and reason.strip()):
        raise InvalidInput("Overriding the turnaround buffers needs a reason.", field="reason")
    unmet = unmet_requirements(request)
    if unmet:
        raise RequirementNotMet(
            "A requirement is unanswered or marked not met: " + ", ".join(u["code"] for u in unmet), unmet
        )
    conflicts.allocate(session, request, override_buffers=override_buffers)
    details = {"buffers_overridden": True} if override_buffers else None
    transition(session, request, "approve", actor, reason, details)
    return request


def reject(session: Session, request: BookingRequest, actor: Actor, reason: str | None) -> BookingRequest:
    check_allowed("reject", request, actor, reason)
    transition(session, request, "reject", actor, reason)
    return request


def withdraw(session: Session, request: BookingRequest, actor: Actor, reason: str | None = None) -> BookingRequest:
    check_allowed("withdraw", request, actor, reason)
    transition(session, request, "withdraw", actor, reason)
    return request


def cancel(session: Session, request: BookingRequest, actor: Actor, reason: str | None) -> BookingRequest:
    check_allowed("cancel", request, actor, reason)
    conflicts.release(session, request)
    transition(session, request, "cancel", actor, reason)
    return request


def pick_up(
    session: Session,
    request: BookingRequest,
    actor: Actor,
    checks: dict[str, Any] | None = None,
    notes: str | None = None,
) -> BookingRequest:
    """Hand-over: records the moment and the preconditions checked at the desk."""
    check_allowed("pick_up", request, actor)
    request.actual_pickup_at = clock.now()
    request.pickup_checks = {"checks": checks or {}, "notes": notes}
    transition(session, request, "pick_up", actor, None, request.pickup_checks)
    return request


def take_back(
    session: Session, request: BookingRequest, actor: Actor, condition: str | None = None, damage: str | None = None
) -> BookingRequest:
    """Return: records the moment, the condition and any damage; an early return frees the rest of the loan."""
    check_allowed("return", request, actor)
    now = clock.now()
    request.actual_return_at = now
    request.return_condition = condition
    request.damage = damage
    conflicts.shorten_to(session, request, now)
    transition(session, request, "return", actor, None, {"condition": condition, "damage": damage})
    return request


def reschedule(
    session: Session,
    request: BookingRequest,
    actor: Actor,
    pickup_at: datetime | None,
    return_at: datetime,
    reason: str | None = None,
) -> BookingRequest:
    """Extend or shorten an approved or running loan; checked for conflicts like a new booking.

    Raises InvalidTransition, NotYourCentre, InvalidInput, BookingConflict.
    """
    check_allowed("reschedule", request, actor)
    if pickup_at is not None and pickup_at != request.pickup_at and request.status != "approved":
        raise InvalidInput("The pick-up time of a loan already picked up cannot change.", field="pickup_at")
    new_pickup = pickup_at or request.pickup_at
    if return_at <= new_pickup:
        raise InvalidInput("Return must be after pick-up.", field="return_at")
    before = {"pickup_at": request.pickup_at.isoformat(), "return_at": request.return_at.isoformat()}
    request.pickup_at, request.return_at = new_pickup, return_at
    overridden = any(a.buffers_overridden for a in _allocations(session, request))
    conflicts.allocate(session, request, override_buffers=overridden, replace_existing=True)
    # extended past now: an overdue loan is running again
    target = "picked_up" if request.status == "overdue" and return_at > clock.now() else None
    transition(session, request, "reschedule", actor, reason, {"before": before}, target=target)
    return request


def _allocations(session: Session, request: BookingRequest) -> list[conflicts.Allocation]:
    return list(session.scalars(sa.select(conflicts.Allocation).where(conflicts.Allocation.request_id == request.id)))


def change_contact(session: Session, request: BookingRequest, actor: Actor, data: dict[str, Any]) -> BookingRequest:
    """Correct contact details; at least an email or a phone number must remain."""
    check_allowed("change_contact", request, actor)
    email = data.get("email", request.contact_email) or None
    phone = data.get("phone", request.contact_phone) or None
    if not email and not phone:
        raise InvalidInput("Keep an email or a phone number.", field="email")
    request.contact_name = (data.get("name") or request.contact_name).strip()
    request.contact_email, request.contact_phone = email, phone
    request.language = data.get("language", request.language)
    transition(session, request, "change_contact", actor)
    return request


def verify_requirement(
    session: Session, request: BookingRequest, actor: Actor, item_id: int, code: str, verified: bool, answer: Any = None
) -> ItemRequirement:
    """Staff mark a requirement met (True) or not met (False), optionally correcting the answer."""
    if actor.kind != "staff":
        raise Forbidden("Only staff verify requirements.")
    check_allowed("change_contact", request, actor)  # the same states and centre rule as a contact change
    item = next((i for i in request.items if i.id == item_id), None)
    requirement = next((r for r in item.requirements if r.code == code), None) if item else None
    if requirement is None:
        raise NotFound(f"Request {request.id} has no requirement {code!r} on item {item_id}.")
    if answer is not None:
        normalised, problem = check_answer(requirement.kind, answer)
        if problem:
            raise InvalidInput(problem, field="answer")
        requirement.answer = normalised
    requirement.verified = verified
    requirement.verified_by = actor.staff_id
    record_audit(
        session,
        request,
        "verify_requirement",
        actor,
        request.status,
        None,
        {"item_id": item_id, "code": code, "verified": verified},
    )
    session.flush()
    return requirement
