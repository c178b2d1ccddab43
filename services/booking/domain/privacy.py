"""GDPR: find one person's requests, export them, erase (anonymise) them, and the retention scan.

What anonymising a request blanks (docs/privacy.md): the contact's name (``(gewist)``), email and phone, the
purpose (free text that often names people), the answers to requirements (license plates), reasons the
requester typed (audit rows with actor ``requester``), every live private link, and the same fields in the
request's events still in booking's outbox. What stays, because the statistics and the asset's history need
it and it names no requester: the initiative, assets, quantities, times, status, staff's hand-over notes and
damage notes, the rest of the audit trail. Each anonymised request emits ``booking.contact.anonymised`` (v1),
so notify blanks its copies too.

Every function runs in the caller's transaction and is safe to run twice or concurrently: rows are claimed
with ``FOR UPDATE SKIP LOCKED`` (retention) or locked (erasure) and ``anonymised_at`` is re-checked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.booking.domain.contact_history import calls_of, forget_notes
from services.booking.domain.events import emit_contact_anonymised
from services.booking.domain.idempotency import forget_keys_of
from services.booking.domain.lifecycle import SYSTEM, Actor, record_audit
from services.booking.domain.links import revoke_links
from services.booking.domain.vocabulary import CLOSED as CLOSED_STATUSES
from services.booking.domain.vocabulary import Action, ActorKind
from services.booking.models import (
    AuditEntry,
    BookingRequest,
    ItemRequirement,
    OutboxEvent,
    PrivacyAction,
    RequestItem,
    StatusLink,
)
from shared import clock
from shared.errors import Conflict
from shared.privacy import ERASED, Subject, email_key_sql, phone_spellings, stripped_phone_sql

CLOSED = tuple(sorted(str(s) for s in CLOSED_STATUSES))


class OpenRequests(Conflict):
    """Erasure refused: the person still has a pending request or a loan that is not over."""

    problem = "open-requests"
    title = "This person still has open requests"

    def __init__(self, open_requests: list[BookingRequest]) -> None:
        listed = [{"request_id": r.id, "reference": r.reference, "status": r.status} for r in open_requests]
        super().__init__(
            "Withdraw, cancel or take back these requests first; their contact is still needed.",
            open_requests=listed,
        )


def subject_condition(subject: Subject) -> sa.ColumnElement[bool]:
    if subject.kind == "email":
        return email_key_sql(BookingRequest.contact_email) == subject.normalised
    if subject.kind == "phone":
        return stripped_phone_sql(BookingRequest.contact_phone).in_(phone_spellings(subject.value))
    return BookingRequest.id == int(subject.normalised)


def find_requests(session: Session, subject: Subject, for_update: bool = False) -> list[BookingRequest]:
    """The person's requests, oldest first (anonymised ones only match by request id)."""
    query = sa.select(BookingRequest).where(subject_condition(subject)).order_by(BookingRequest.id)
    if for_update:
        query = query.with_for_update()
    return list(session.scalars(query))


def record_action(
    session: Session,
    action: str,
    actor: Actor,
    request_ids: list[int],
    rows: int,
    subject: Subject | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> PrivacyAction:
    entry = PrivacyAction(
        action=action,
        staff_id=actor.staff_id,
        subject_kind=subject.kind if subject else None,
        subject_fingerprint=subject.fingerprint if subject else None,
        request_ids=request_ids,
        rows=rows,
        reason=reason,
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry


def export_request(session: Session, request: BookingRequest) -> dict[str, Any]:
    trail = session.scalars(sa.select(AuditEntry).where(AuditEntry.request_id == request.id).order_by(AuditEntry.id))
    links = session.scalars(sa.select(StatusLink).where(StatusLink.request_id == request.id).order_by(StatusLink.id))
    return {
        "request_id": request.id,
        "reference": request.reference,
        "status": request.status,
        "initiative": {"id": request.initiative.id, "name": request.initiative.name},
        "contact": {
            "name": request.contact_name,
            "email": request.contact_email,
            "phone": request.contact_phone,
            "language": request.language,
        },
        "purpose": request.purpose,
        "location_id": request.location_id,
        "pickup_at": clock.isoformat(request.pickup_at),
        "return_at": clock.isoformat(request.return_at),
        "actual_pickup_at": clock.isoformat(request.actual_pickup_at),
        "actual_return_at": clock.isoformat(request.actual_return_at),
        "proxy_consent": request.proxy_consent,
        "pickup_checks": request.pickup_checks,
        "return_condition": request.return_condition,
        "damage": request.damage,
        "created_at": clock.isoformat(request.created_at),
        "updated_at": clock.isoformat(request.updated_at),
        "anonymised_at": clock.isoformat(request.anonymised_at),
        "items": [
            {
                "asset_id": item.asset_id,
                "quantity": item.quantity,
                "requirements": [
                    {"code": r.code, "kind": r.kind, "answer": r.answer, "verified": r.verified}
                    for r in item.requirements
                ],
            }
            for item in request.items
        ],
        "audit_trail": [
            {
                "at": clock.isoformat(e.at),
                "action": e.action,
                "actor_kind": e.actor_kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "reason": e.reason,
            }
            for e in trail
        ],
        "calls": [
            {
                "recorded_at": clock.isoformat(call.recorded_at),
                "kind": call.kind,
                "outcome": call.outcome,
                "note": call.note,
                "staff_name": call.staff_name,
            }
            for call in calls_of(session, request.id)
        ],
        "status_links": [
            {
                "created_at": clock.isoformat(link.created_at),
                "expires_at": clock.isoformat(link.expires_at),
                "revoked_at": clock.isoformat(link.revoked_at),
            }
            for link in links
        ],
    }


def export_person(session: Session, subject: Subject, actor: Actor, now: datetime) -> dict[str, Any]:
    """Everything booking holds about the person (Art. 15 GDPR); the export itself is audited."""
    found = find_requests(session, subject)
    requests = [export_request(session, r) for r in found]
    record_action(session, "export", actor, [r.id for r in found], len(found), subject)
    return {"service": "booking", "subject_kind": subject.kind, "generated_at": now.isoformat(), "requests": requests}


def _scrub_payload(payload: dict[str, Any]) -> dict[str, Any]:
    scrubbed = dict(payload)
    contact = dict(scrubbed.get("contact") or {})
    contact.update({"name": ERASED, "email": None, "phone": None})
    scrubbed["contact"] = contact
    if "status_url" in scrubbed:
        scrubbed["status_url"] = None
    if scrubbed.get("actor", {}).get("kind") == ActorKind.REQUESTER:
        scrubbed["reason"] = None
    scrubbed["items"] = [
        {**item, "requirements": [{**r, "answer": None} for r in item.get("requirements", [])]}
        for item in scrubbed.get("items", [])
    ]
    return scrubbed


def scrub_outbox(session: Session, request_ids: list[int]) -> int:
    """Blank the personal fields in the outbox copies of these requests' events (published or not)."""
    if not request_ids:
        return 0
    rows = session.scalars(
        sa.select(OutboxEvent).where(
            OutboxEvent.type.like("booking.request.%"),
            OutboxEvent.payload["request_id"].as_integer().in_(request_ids),
        )
    )
    count = 0
    for row in rows:
        row.payload = _scrub_payload(row.payload)
        row.secret = None
        count += 1
    return count


def anonymise_request(session: Session, request: BookingRequest, now: datetime, actor: Actor, why: str) -> int:
    """Blank the request's personal data, audit it and emit ``booking.contact.anonymised``; returns rows changed.

    The caller holds the row lock, has checked ``anonymised_at`` is empty, and calls ``scrub_outbox`` for the
    whole batch afterwards (one pass over the outbox, not one per request).
    """
    request.contact_name = ERASED
    request.contact_email = None
    request.contact_phone = None
    request.purpose = ""
    request.anonymised_at = now
    rows = 1 + revoke_links(session, request)
    items = sa.select(RequestItem.id).where(RequestItem.request_id == request.id)
    answers = session.execute(
        sa.update(ItemRequirement)
        .where(ItemRequirement.item_id.in_(items), ItemRequirement.answer.is_not(None))
        .values(answer=None)
    )
    reasons = session.execute(
        sa.update(AuditEntry)
        .where(
            AuditEntry.request_id == request.id,
            AuditEntry.actor_kind == ActorKind.REQUESTER,
            AuditEntry.reason.is_not(None),
        )
        .values(reason=None)
    )
    rows += int(answers.rowcount or 0) + int(reasons.rowcount or 0)  # type: ignore[attr-defined]
    session.flush()
    rows += forget_keys_of(session, [request.id])  # a replayed submission must not reach it again
    rows += forget_notes(session, request.id)  # what staff noted on the phone may name the person
    record_audit(session, request, Action.ANONYMISE, actor, request.status, why)
    emit_contact_anonymised(session, request, why, actor.to_dict())
    return rows


def erase_person(session: Session, subject: Subject, actor: Actor, now: datetime, reason: str | None) -> list[int]:
    """Anonymise all of the person's requests now (Art. 17 GDPR); returns the ids anonymised.

    Raises OpenRequests (409) when one of them is still pending or running: staff close it first.
    A second erasure finds nothing left and only adds its audit row.
    """
    found = [r for r in find_requests(session, subject, for_update=True) if r.anonymised_at is None]
    still_open = [r for r in found if r.status not in CLOSED]
    if still_open:
        raise OpenRequests(still_open)
    rows = sum(anonymise_request(session, r, now, actor, "erasure") for r in found)
    rows += scrub_outbox(session, [r.id for r in found])
    record_action(session, "erase", actor, [r.id for r in found], rows, subject, reason)
    return [r.id for r in found]


def due_for_retention(session: Session, now: datetime, retention_days: int, limit: int) -> list[BookingRequest]:
    """Claim up to ``limit`` closed requests that ended ``retention_days`` ago and still hold personal data.

    "Ended" is the later of the moment the request closed (its last change) and its planned return.
    """
    cutoff = now - timedelta(days=retention_days)
    query = (
        sa.select(BookingRequest)
        .where(
            BookingRequest.status.in_(CLOSED),
            BookingRequest.anonymised_at.is_(None),
            BookingRequest.updated_at <= cutoff,
            BookingRequest.return_at <= cutoff,
        )
        .order_by(BookingRequest.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def apply_retention(session: Session, now: datetime, retention_days: int, batch_size: int = 200) -> list[int]:
    """One batch of the retention scan: anonymise what is due, audit the batch; returns the ids."""
    due = due_for_retention(session, now, retention_days, batch_size)
    if not due:
        return []
    rows = sum(anonymise_request(session, r, now, SYSTEM, "retention") for r in due)
    ids = [r.id for r in due]
    rows += scrub_outbox(session, ids)
    record_action(session, "retention", SYSTEM, ids, rows, details={"retention_days": retention_days})
    return ids


def actions_query() -> sa.Select[Any]:
    """The GDPR audit, newest first."""
    return sa.select(PrivacyAction).order_by(PrivacyAction.id.desc())
