"""The request's state machine: which action leads from which state to which, and who may take it.

``RULES`` is the whole truth: the pages ask it (``can``) what to offer, the commands enforce it
(``check_allowed``), and every transition goes through ``transition``, which changes the status, writes the audit
row and emits the event, all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from services.booking.domain.errors import ActorNotAllowed, Code, InvalidTransition, NotYourCentre, invalid
from services.booking.domain.events import RequestEvent, emit_request_event
from services.booking.domain.vocabulary import Action, ActorKind, Status
from services.booking.models import AuditEntry, BookingRequest
from shared import clock
from shared.auth import Principal
from shared.db import UTCDateTime, insert_at_commit


@dataclass(frozen=True)
class Actor:
    """Who acts: the requester (through the private link), a staff member, or the system (periodic scans)."""

    kind: ActorKind
    principal: Principal | None = None

    @property
    def staff_id(self) -> int | None:
        return self.principal.staff_id if self.principal else None

    @property
    def is_staff(self) -> bool:
        return self.kind == ActorKind.STAFF

    def works_at(self, location_id: int) -> bool:
        """Staff act for their own centres (admins for all); requester and system act on what they hold."""
        return self.principal is None or self.principal.works_at(location_id)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "staff_id": self.staff_id}


REQUESTER = Actor(ActorKind.REQUESTER)
SYSTEM = Actor(ActorKind.SYSTEM)


def staff_actor(principal: Principal) -> Actor:
    return Actor(ActorKind.STAFF, principal)


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | None  # None: the status stays (reschedule, contact change, a requirement checked)
    actors: frozenset[ActorKind]
    event: RequestEvent | None  # None: nothing others must hear of (a requirement checked, a new link)
    reason_required: bool = False


def _rule(
    sources: tuple[Status, ...],
    target: Status | None,
    actors: tuple[ActorKind, ...],
    event: RequestEvent | None,
    reason_required: bool = False,
) -> Rule:
    return Rule(frozenset(sources), target, frozenset(actors), event, reason_required)


S, A, E = Status, ActorKind, RequestEvent
RUNNING = (S.APPROVED, S.PICKED_UP, S.OVERDUE)
RULES: dict[Action, Rule] = {
    Action.APPROVE: _rule((S.REQUESTED,), S.APPROVED, (A.STAFF,), E.APPROVED),
    Action.REJECT: _rule((S.REQUESTED,), S.REJECTED, (A.STAFF,), E.REJECTED, reason_required=True),
    Action.WITHDRAW: _rule((S.REQUESTED,), S.WITHDRAWN, (A.REQUESTER, A.STAFF), E.WITHDRAWN),
    Action.EXPIRE: _rule((S.REQUESTED,), S.EXPIRED, (A.SYSTEM,), E.EXPIRED),
    Action.CANCEL: _rule((S.APPROVED,), S.CANCELLED, (A.STAFF, A.REQUESTER), E.CANCELLED, reason_required=True),
    Action.NO_SHOW: _rule((S.APPROVED,), S.NO_SHOW, (A.SYSTEM, A.STAFF), E.NO_SHOW),
    Action.PICK_UP: _rule((S.APPROVED,), S.PICKED_UP, (A.STAFF,), E.PICKED_UP),
    Action.MARK_OVERDUE: _rule((S.PICKED_UP,), S.OVERDUE, (A.SYSTEM,), E.OVERDUE),
    Action.RETURN: _rule((S.PICKED_UP, S.OVERDUE), S.RETURNED, (A.STAFF,), E.RETURNED),
    Action.RESCHEDULE: _rule(RUNNING, None, (A.STAFF,), E.RESCHEDULED),
    Action.CHANGE_CONTACT: _rule((S.REQUESTED, *RUNNING), None, (A.REQUESTER, A.STAFF), E.CONTACT_CHANGED),
    Action.VERIFY_REQUIREMENT: _rule((S.REQUESTED, *RUNNING), None, (A.STAFF,), None),
    Action.REISSUE_LINK: _rule(tuple(Status), None, (A.STAFF,), None),
}


def can(action: Action, status: Status | str, actor: Actor, location_id: int | None = None) -> bool:
    """Whether ``actor`` may take ``action`` on a request in ``status`` at ``location_id``."""
    rule = RULES[action]
    if Status(status) not in rule.sources or actor.kind not in rule.actors:
        return False
    return location_id is None or actor.works_at(location_id)


def check_allowed(action: Action, request: BookingRequest, actor: Actor, reason: str | None = None) -> Rule:
    """Raises ActorNotAllowed / NotYourCentre (403), InvalidTransition (409, naming the current state),
    InvalidInput (a reason is required)."""
    rule = RULES[action]
    if actor.kind not in rule.actors:
        raise ActorNotAllowed(actor.kind, action)
    if not actor.works_at(request.location_id):
        raise NotYourCentre()
    if Status(request.status) not in rule.sources:
        raise InvalidTransition(action, Status(request.status))
    if rule.reason_required and not (reason and reason.strip()):
        raise invalid("reason", Code.REASON_REQUIRED)
    return rule


def record_audit(
    session: Session,
    request: BookingRequest,
    action: Action,
    actor: Actor,
    from_status: str | None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """The audit row of ``action``, written at commit with the transaction's other write-only rows."""
    insert_at_commit(
        session,
        AuditEntry.__table__,  # type: ignore[arg-type]
        {
            "request_id": request.id,
            "at": clock.now(),
            "action": str(action),
            "actor_kind": str(actor.kind),
            "staff_id": actor.staff_id,
            "from_status": from_status,
            "to_status": request.status,
            "reason": reason,
            "details": details,
        },
    )


_SET_STATUS = (
    sa.update(BookingRequest.__table__)  # type: ignore[arg-type]
    .where(
        BookingRequest.__table__.c.id == sa.bindparam("request_id"),  # type: ignore[attr-defined]
        BookingRequest.__table__.c.version == sa.bindparam("old_version"),  # type: ignore[attr-defined]
    )
    .values(
        status=sa.bindparam("new_status"),
        updated_at=sa.bindparam("at", type_=UTCDateTime()),
        version=BookingRequest.__table__.c.version + 1,  # type: ignore[attr-defined]
    )
    .returning(BookingRequest.__table__.c.version)  # type: ignore[attr-defined]
)


def set_status(session: Session, request: BookingRequest, status: str) -> None:
    """Write the request's status, ``updated_at`` and next version in one Core ``UPDATE … RETURNING`` (what the
    ORM's flush would send, without its unit of work), and give the loaded object the same values as committed
    state. Like the ORM's versioned update, it raises StaleDataError when the row's version is not the one read
    (the caller holds the row lock, so this does not happen)."""
    now = clock.now()
    params = {"request_id": request.id, "old_version": request.version, "new_status": status, "at": now}
    version = session.execute(_SET_STATUS, params).scalar_one_or_none()
    if version is None:
        raise StaleDataError(f"request {request.id} is no longer at version {request.version}")
    for name, value in (("status", status), ("updated_at", now), ("version", version)):
        set_committed_value(request, name, value)


def transition(
    session: Session,
    request: BookingRequest,
    action: Action,
    actor: Actor,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    target: Status | None = None,
    reason_code: str | None = None,
    secret: str | None = None,
) -> dict[str, Any] | None:
    """Take ``action`` (already checked with ``check_allowed``): status, audit row, event.

    ``target`` overrides the rule's target (a reschedule that takes an overdue loan back to running);
    ``reason_code`` is the system's reason (a code each surface words); ``secret`` a fresh private link's token for
    the event's mails (see ``emit_request_event``). Returns the event's snapshot of the request
    (built once: the API answers with it too), or None when the rule emits no event.
    """
    rule = RULES[action]
    before = request.status
    new_status = target or rule.target
    if sa.inspect(request).modified:
        # the command changed the request's own fields as well: the ORM writes them with the status
        if new_status is not None:
            request.status = str(new_status)
        request.updated_at = clock.now()
        session.flush()  # the new version number is the snapshot's
    else:
        set_status(session, request, str(new_status) if new_status is not None else request.status)
    if reason_code is not None:
        details = {**(details or {}), "reason_code": reason_code}
    record_audit(session, request, action, actor, before, reason, details)
    if rule.event is None:
        return None
    return emit_request_event(session, request, rule.event, actor.to_dict(), reason, reason_code, secret)
