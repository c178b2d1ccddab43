"""The application layer: every change to a request is one call here, and each call owns its transaction.

The API views and the pages parse their input into a typed command (``domain/commands.py``), make exactly one
of these calls and render what it returns; none of them commits. Each call works in the request's one session
(``shared.db.get_session``), so nothing ever waits on a lock its own request holds:

- ``check_request``: judge a submission without changing anything (the form shows every problem at once);
- ``submit_request``: claim the Idempotency-Key, check, create, commit — or replay the first submission;
- ``decide``: lock the request (by id for staff, by private link for the requester), check the lifecycle
  rule, do the work, commit;
- ``reissue_link``: revoke the requester's links and issue a new one;
- ``export_person`` / ``erase_person``: GDPR, for an administrator (each audited in ``privacy_actions``).

On any error the transaction is rolled back before the error leaves, so a refused submission leaves no key,
no initiative and no half-made request behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from services.booking.config import BookingPolicy
from services.booking.domain import decisions, idempotency, links, privacy
from services.booking.domain.commands import Approve, ById, Decision, ReissueLink, SubmitRequest, Target
from services.booking.domain.events import request_snapshot
from services.booking.domain.lifecycle import Actor, check_allowed, transition
from services.booking.domain.requests import Plan, create_request
from services.booking.domain.requests import check_request as judge_request
from services.booking.models import BookingRequest
from services.booking.queries.requests import maintenance_hits
from shared import clock
from shared.db import unit_of_work
from shared.privacy import Subject

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """What a command did: the request as its event has it, and a private link if this call issued one."""

    request: BookingRequest
    snapshot: dict[str, Any]
    token: str | None = None
    replayed: bool = False  # the first submission with this Idempotency-Key, answered again
    # a maintenance window over the loan, known inside the command's transaction (never read again after it)
    maintenance_hit: bool = False


def _read_only(session: Session, work: Callable[[], T]) -> T:
    """Run ``work`` and end the transaction without changing anything (on SQLite a read holds the write lock)."""
    try:
        return work()
    finally:
        session.rollback()


def check_request(session: Session, command: SubmitRequest, actor: Actor) -> Plan:
    """Every problem of a submission at once, changing nothing. Raises InvalidInput."""
    return _read_only(session, lambda: judge_request(session, command, actor))


def submit_request(
    session: Session, command: SubmitRequest, actor: Actor, policy: BookingPolicy, key: idempotency.Key | None
) -> Outcome:
    """Create the request once per Idempotency-Key; a repeat with the same key and submission replays the first.

    Raises InvalidInput (every problem by field), IdempotencyKeyReused (same key, other submission).
    """
    with unit_of_work(session):
        first = idempotency.claim(session, key) if key is not None else None
        if first is not None:
            return _replay(session, first, policy)
        plan = judge_request(session, command, actor)
        created = create_request(session, plan, actor, policy.status_link_days)
        if key is not None:
            idempotency.complete(session, key, created.request.id)
        return Outcome(created.request, created.snapshot, created.token)


def _replay(session: Session, request_id: int, policy: BookingPolicy) -> Outcome:
    """The first submission's request as it is now, with a fresh private link (only the link's hash is stored,
    so the first one cannot be shown again) — unless its personal data has gone (then no link at all)."""
    request = _load(session, request_id, for_update=False)
    token = None if request.anonymised_at else links.issue_link(session, request, policy.status_link_days)
    hit = bool(maintenance_hits(session, request))
    return Outcome(request, request_snapshot(session, request), token, replayed=True, maintenance_hit=hit)


def _load(session: Session, request_id: int, for_update: bool) -> BookingRequest:
    return decisions.get_request(session, request_id, for_update=for_update)


def _locked(session: Session, target: Target) -> BookingRequest:
    """The target request, its row locked: two decisions on one request are served one after the other."""
    request_id = target.request_id if isinstance(target, ById) else links.request_id_for_token(session, target.token)
    return _load(session, request_id, for_update=True)


def decide(session: Session, target: Target, actor: Actor, command: Decision, policy: BookingPolicy) -> Outcome:
    """Lock, check the rule, do the work, commit.

    Raises RequestNotFound / LinkNotFound, NotYourCentre, ActorNotAllowed, InvalidTransition, InvalidInput,
    BookingConflict, RequirementNotMet.
    """
    with unit_of_work(session):
        request = _locked(session, target)
        snapshot = decisions.decide(session, request, actor, command, policy.status_link_days)
        snapshot = snapshot or request_snapshot(session, request)
        # an approval has just refused every maintenance window in its way; any other change asks
        hit = False if isinstance(command, Approve) else bool(maintenance_hits(session, request))
        return Outcome(request, snapshot, maintenance_hit=hit)


def reissue_link(session: Session, target: Target, actor: Actor, policy: BookingPolicy) -> Outcome:
    """Revoke every live link of the request and issue a new one (staff, for a lost or forwarded mail)."""
    with unit_of_work(session):
        request = _locked(session, target)
        check_allowed(ReissueLink.action, request, actor)
        links.revoke_links(session, request)
        token = links.issue_link(session, request, policy.status_link_days)
        transition(session, request, ReissueLink.action, actor)
        hit = bool(maintenance_hits(session, request))
        return Outcome(request, request_snapshot(session, request), token, maintenance_hit=hit)


def export_person(session: Session, subject: Subject, actor: Actor) -> dict[str, Any]:
    """Everything booking holds about one person (the export is audited in the same transaction)."""
    with unit_of_work(session):
        return privacy.export_person(session, subject, actor, clock.now())


def erase_person(session: Session, subject: Subject, actor: Actor, reason: str | None) -> list[int]:
    """Anonymise the person's requests now; returns their ids. Raises OpenRequests (409) while one is open."""
    with unit_of_work(session):
        return privacy.erase_person(session, subject, actor, clock.now(), reason)
