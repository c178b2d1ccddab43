"""The request's state machine: which action leads from which state to which, and who may take it.

Every transition goes through ``transition``: it checks the rule, changes the status, writes the audit trail
row and emits the event, all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.booking.domain.errors import InvalidTransition, NotYourCentre
from services.booking.domain.events import emit_request_event
from services.booking.models import AuditEntry, BookingRequest
from shared import clock
from shared.auth import Principal
from shared.errors import Forbidden, InvalidInput


@dataclass(frozen=True)
class Actor:
    """Who acts: the requester (through the private link), a staff member, or the system (periodic scans)."""

    kind: str  # requester | staff | system
    principal: Principal | None = None

    @property
    def staff_id(self) -> int | None:
        return self.principal.staff_id if self.principal else None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "staff_id": self.staff_id}


REQUESTER = Actor("requester")
SYSTEM = Actor("system")


def staff_actor(principal: Principal) -> Actor:
    return Actor("staff", principal)


@dataclass(frozen=True)
class Rule:
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (reschedule, contact change)
    actors: tuple[str, ...]
    event: str
    reason_required: bool = False


RULES: dict[str, Rule] = {
    "approve": Rule(("requested",), "approved", ("staff",), "approved"),
    "reject": Rule(("requested",), "rejected", ("staff",), "rejected", reason_required=True),
    "withdraw": Rule(("requested",), "withdrawn", ("requester", "staff"), "withdrawn"),
    "expire": Rule(("requested",), "expired", ("system",), "expired"),
    "cancel": Rule(("approved",), "cancelled", ("staff", "requester"), "cancelled", reason_required=True),
    "no_show": Rule(("approved",), "no_show", ("system", "staff"), "no_show"),
    "pick_up": Rule(("approved",), "picked_up", ("staff",), "picked_up"),
    "mark_overdue": Rule(("picked_up",), "overdue", ("system",), "overdue"),
    "return": Rule(("picked_up", "overdue"), "returned", ("staff",), "returned"),
    "reschedule": Rule(("approved", "picked_up", "overdue"), None, ("staff",), "rescheduled"),
    "change_contact": Rule(
        ("requested", "approved", "picked_up", "overdue"), None, ("requester", "staff"), "contact_changed"
    ),
}


def can(action: str, status: str, actor: Actor, location_id: int | None = None) -> bool:
    """Whether ``actor`` may take ``action`` on a request in ``status`` at ``location_id``."""
    rule = RULES[action]
    if status not in rule.sources or actor.kind not in rule.actors:
        return False
    return not (
        actor.kind == "staff"
        and location_id is not None
        and actor.principal is not None
        and not actor.principal.works_at(location_id)
    )


def check_allowed(action: str, request: BookingRequest, actor: Actor, reason: str | None = None) -> Rule:
    """Raises InvalidTransition (409, naming the current state), NotYourCentre / Forbidden (403), InvalidInput."""
    rule = RULES[action]
    if actor.kind not in rule.actors:
        raise Forbidden(f"A {actor.kind} may not {action.replace('_', ' ')} a request.")
    if actor.kind == "staff" and actor.principal is not None and not actor.principal.works_at(request.location_id):
        raise NotYourCentre("This request is for an asset of a community centre you do not work for.")
    if request.status not in rule.sources:
        raise InvalidTransition(action, request.status)
    if rule.reason_required and not (reason and reason.strip()):
        raise InvalidInput("Give a reason; the requester will read it.", field="reason")
    return rule


def record_audit(
    session: Session,
    request: BookingRequest,
    action: str,
    actor: Actor,
    from_status: str | None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        request_id=request.id,
        at=clock.now(),
        action=action,
        actor_kind=actor.kind,
        staff_id=actor.staff_id,
        from_status=from_status,
        to_status=request.status,
        reason=reason,
        details=details,
    )
    session.add(entry)
    return entry


def transition(
    session: Session,
    request: BookingRequest,
    action: str,
    actor: Actor,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    event_extra: dict[str, Any] | None = None,
    target: str | None = None,
) -> None:
    """Take ``action`` (already checked with ``check_allowed``): status, audit row, event.

    ``target`` overrides the rule's target (a reschedule that takes an overdue loan back to running).
    """
    rule = RULES[action]
    before = request.status
    if (target or rule.target) is not None:
        request.status = target or rule.target or request.status
    request.updated_at = clock.now()
    session.flush()
    record_audit(session, request, action, actor, before, reason, details)
    emit_request_event(session, request, rule.event, actor.to_dict(), reason, event_extra)
    session.flush()
