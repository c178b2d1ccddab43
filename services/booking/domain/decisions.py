"""Everything that happens to a request after it is submitted: decide, hand over, take back, change.

Each function takes the request already locked by the caller (``services/booking/application.py``), checks the
lifecycle rule, does its work and leaves the audit row and the event in the caller's transaction. It returns the
request's snapshot as the event has it (None for a change nobody else hears of), so the answer is built once.

An approval and a reschedule issue a fresh private link whose token travels in the event's secret only: notify
puts it in the approval mail and the reminders of the new dates, and forgets it once each is sent (a stored
link is only ever a hash here).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from services.booking.domain import conflicts
from services.booking.domain.commands import (
    Approve,
    Cancel,
    ChangeContact,
    Decision,
    PickUp,
    Reject,
    Reschedule,
    Return,
    VerifyRequirement,
    Withdraw,
)
from services.booking.domain.errors import Code, RequestNotFound, RequirementNotFound, RequirementNotMet, invalid
from services.booking.domain.lifecycle import Actor, check_allowed, transition
from services.booking.domain.links import issue_link
from services.booking.domain.requests import check_answer, dates_problems
from services.booking.domain.vocabulary import Action, Status
from services.booking.models import Allocation, BookingRequest, InvAsset, RequestItem
from shared import clock
from shared.errors import InvalidInput

Snapshot = dict[str, Any] | None


# Built once (a bound id): reading the request only binds its id to SQLAlchemy's cached compilation.
_REQUEST = (
    sa.select(BookingRequest)
    .where(BookingRequest.id == sa.bindparam("request_id"))
    .options(
        joinedload(BookingRequest.items).joinedload(RequestItem.requirements),
        joinedload(BookingRequest.initiative, innerjoin=True),
        joinedload(BookingRequest.location),
    )
)
_REQUEST_LOCKED = _REQUEST.with_for_update(of=BookingRequest).execution_options(populate_existing=True)


def get_request(session: Session, request_id: int, for_update: bool = False) -> BookingRequest:
    """The request with its items, their requirements and its initiative, in one statement (the request row
    locked when ``for_update``). Raises RequestNotFound."""
    query = _REQUEST_LOCKED if for_update else _REQUEST
    request = session.scalars(query, {"request_id": request_id}).unique().first()
    if request is None:
        raise RequestNotFound()
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
        if (req.answer is None and not req.provided_by_item) or req.verified is False
    ]


def approve(session: Session, request: BookingRequest, actor: Actor, command: Approve, link_days: int) -> Snapshot:
    """Raises InvalidTransition, NotYourCentre, RequirementNotMet, BookingConflict, InvalidInput."""
    check_allowed(Action.APPROVE, request, actor)
    if command.override_buffers and not (command.reason and command.reason.strip()):
        raise invalid("reason", Code.OVERRIDE_NEEDS_REASON)
    unmet = unmet_requirements(request)
    if unmet:
        raise RequirementNotMet(unmet)
    # keep what allocate locked and read: the snapshot below reads the same asset rows from the session
    allocated = conflicts.allocate(session, request, override_buffers=command.override_buffers)
    details = {"buffers_overridden": True} if command.override_buffers else None
    token = issue_link(session, request, link_days)
    snapshot = transition(session, request, Action.APPROVE, actor, command.reason, details, secret=token)
    del allocated
    return snapshot


def reject(session: Session, request: BookingRequest, actor: Actor, command: Reject, link_days: int) -> Snapshot:
    check_allowed(Action.REJECT, request, actor, command.reason)
    return transition(session, request, Action.REJECT, actor, command.reason)


def withdraw(session: Session, request: BookingRequest, actor: Actor, command: Withdraw, link_days: int) -> Snapshot:
    check_allowed(Action.WITHDRAW, request, actor, command.reason)
    return transition(session, request, Action.WITHDRAW, actor, command.reason)


def cancel(session: Session, request: BookingRequest, actor: Actor, command: Cancel, link_days: int) -> Snapshot:
    check_allowed(Action.CANCEL, request, actor, command.reason)
    conflicts.release(session, request)
    return transition(session, request, Action.CANCEL, actor, command.reason)


def hand_over_checks(request: BookingRequest, ticked: dict[str, bool]) -> dict[str, bool]:
    """Every requirement of the request with whether staff ticked it at the desk (a missing tick is False)."""
    codes = [req.code for item in request.items for req in item.requirements]
    return {code: bool(ticked.get(code)) for code in codes}


def pick_up(session: Session, request: BookingRequest, actor: Actor, command: PickUp, link_days: int) -> Snapshot:
    """Hand-over: records the moment and the checks done at the desk. A check not done refuses the hand-over,
    unless staff give the reason they hand over anyway (kept in the audit).

    Raises InvalidInput (checks_not_done) besides the lifecycle's refusals.
    """
    check_allowed(Action.PICK_UP, request, actor)
    checks = hand_over_checks(request, dict(command.checks))
    missing = sorted(code for code, done in checks.items() if not done)
    override = (command.override_reason or "").strip() or None
    if missing and override is None:
        raise invalid("checks", Code.CHECKS_NOT_DONE, requirements=missing)
    request.actual_pickup_at = clock.now()
    request.pickup_checks = {
        "checks": checks,
        "notes": command.notes,
        "not_done_because": override if missing else None,
    }
    return transition(session, request, Action.PICK_UP, actor, None, request.pickup_checks)


def take_back(session: Session, request: BookingRequest, actor: Actor, command: Return, link_days: int) -> Snapshot:
    """Return: records the moment, the condition and any damage; an early return frees the rest of the loan."""
    check_allowed(Action.RETURN, request, actor)
    now = clock.now()
    request.actual_return_at = now
    request.return_condition = command.condition
    request.damage = command.damage
    conflicts.shorten_to(session, request, now)
    return transition(
        session, request, Action.RETURN, actor, None, {"condition": command.condition, "damage": command.damage}
    )


def reschedule(
    session: Session, request: BookingRequest, actor: Actor, command: Reschedule, link_days: int
) -> Snapshot:
    """Extend or shorten an approved or running loan; checked like a new booking: the dates by the submission's
    rule (opening hours, loan length, not in the past; staff need no lead time), then for conflicts.

    Raises InvalidTransition, NotYourCentre, InvalidInput, BookingConflict.
    """
    check_allowed(Action.RESCHEDULE, request, actor)
    if command.pickup_at is not None and command.pickup_at != request.pickup_at and request.status != Status.APPROVED:
        raise invalid("pickup_at", Code.PICKUP_FIXED_ONCE_OUT)
    new_pickup = command.pickup_at or request.pickup_at
    if command.return_at <= new_pickup:
        raise invalid("return_at", Code.RETURN_NOT_AFTER_PICKUP)
    check_new_dates(session, request, new_pickup, command.return_at)
    before = {"pickup_at": request.pickup_at.isoformat(), "return_at": request.return_at.isoformat()}
    request.pickup_at, request.return_at = new_pickup, command.return_at
    overridden = bool(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Allocation)
            .where(Allocation.request_id == request.id, Allocation.buffers_overridden.is_(True))
        )
    )
    conflicts.allocate(session, request, override_buffers=overridden, replace_existing=True)
    # extended past now: an overdue loan is running again
    target = Status.PICKED_UP if request.status == Status.OVERDUE and command.return_at > clock.now() else None
    token = issue_link(session, request, link_days)
    return transition(
        session, request, Action.RESCHEDULE, actor, command.reason, {"before": before}, target=target, secret=token
    )


def check_new_dates(session: Session, request: BookingRequest, pickup_at: datetime, return_at: datetime) -> None:
    """The submission's date rule on a reschedule. A pick-up left as it was is not judged again: it was agreed
    (and may be past, the loan running). Raises InvalidInput naming every problem."""
    assets = [asset for item in request.items if (asset := session.get(InvAsset, item.asset_id)) is not None]
    problems = dates_problems(pickup_at, return_at, assets, request.location, True, clock.now())
    if pickup_at == request.pickup_at:
        problems = [p for p in problems if p.field != "pickup_at"]
    if problems:
        raise InvalidInput.of(problems)


def change_contact(
    session: Session, request: BookingRequest, actor: Actor, command: ChangeContact, link_days: int
) -> Snapshot:
    """Correct contact details; at least an email or a phone number must remain."""
    check_allowed(Action.CHANGE_CONTACT, request, actor)
    email = command.email if "email" in command.given else request.contact_email
    phone = command.phone if "phone" in command.given else request.contact_phone
    # only a desk request (filed by staff for a resident) may be left without both, and only by staff
    if not email and not phone and not (actor.is_staff and request.proxy_by_staff_id is not None):
        raise invalid("email", Code.CONTACT_KEEP_ONE)
    before = _contact_of(request)
    request.contact_name = (command.name or request.contact_name).strip()
    request.contact_email, request.contact_phone = email or None, phone or None
    if command.language is not None:
        request.language = str(command.language)
    after = _contact_of(request)
    # the audit says which details changed, not their values (those are personal data, erased with the request)
    changed = sorted(name for name in before if before[name] != after[name])
    return transition(session, request, Action.CHANGE_CONTACT, actor, None, {"changed": changed})


def _contact_of(request: BookingRequest) -> dict[str, str | None]:
    return {
        "name": request.contact_name,
        "email": request.contact_email,
        "phone": request.contact_phone,
        "language": request.language,
    }


def verify_requirement(
    session: Session, request: BookingRequest, actor: Actor, command: VerifyRequirement, link_days: int
) -> Snapshot:
    """Staff mark a requirement met (True) or not met (False), optionally correcting the answer."""
    check_allowed(Action.VERIFY_REQUIREMENT, request, actor)
    item = next((i for i in request.items if i.id == command.item_id), None)
    requirement = next((r for r in item.requirements if r.code == command.code), None) if item else None
    if requirement is None:
        raise RequirementNotFound(params={"item_id": command.item_id, "requirement": command.code})
    if command.answer is not None:
        normalised, wrong = check_answer(requirement.code, requirement.kind, command.answer, "answer")
        if wrong:
            raise invalid("answer", Code(wrong.code), **wrong.params)
        requirement.answer = normalised
    requirement.verified = command.verified
    requirement.verified_by = actor.staff_id
    details = {"item_id": command.item_id, "code": command.code, "verified": command.verified}
    transition(session, request, Action.VERIFY_REQUIREMENT, actor, None, details)
    return None


DECIDE: dict[type, Callable[[Session, BookingRequest, Actor, Any, int], Snapshot]] = {
    Approve: approve,
    Reject: reject,
    Withdraw: withdraw,
    Cancel: cancel,
    PickUp: pick_up,
    Return: take_back,
    Reschedule: reschedule,
    ChangeContact: change_contact,
    VerifyRequirement: verify_requirement,
}


def decide(session: Session, request: BookingRequest, actor: Actor, command: Decision, link_days: int) -> Snapshot:
    """Run ``command`` on the locked ``request`` (the one dispatch table from command to rule)."""
    return DECIDE[type(command)](session, request, actor, command, link_days)
