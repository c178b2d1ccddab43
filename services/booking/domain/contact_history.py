"""The request's contact history: the calls staff noted on notify's call list, copied from notify's events.

Notify owns the call list (who is to be phoned about which message, and what staff noted); booking keeps one
row per ``notify.call.recorded`` event (services/notify/contract.py) so that the request's page shows them
without reading notify's tables. The consumer records the event id in the same transaction; the row's unique
``call_id`` makes a second copy of the same call (a re-emitted event with a new id) a no-op too.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.booking.models import BookingRequest, ContactCall
from services.notify import contract as notify_contract
from shared.events import Envelope

log = logging.getLogger("uitleen.booking.contact_history")


def apply_call_recorded(session: Session, envelope: Envelope) -> None:
    """Keep the call on its request. Raises marshmallow.ValidationError for a payload that breaks the contract."""
    data = notify_contract.load(envelope.type, envelope.payload)
    request = session.get(BookingRequest, data["request_id"])
    if request is None:
        log.warning(
            "call %s is about request %s, which booking does not have: ignored", data["call_id"], data["request_id"]
        )
        return
    values = {
        "call_id": data["call_id"],
        "request_id": request.id,
        "kind": data["kind"],
        "outcome": data["outcome"],
        # a call noted after the request's contact was erased keeps no words about the person
        "note": None if request.anonymised_at is not None else data["note"],
        "staff_id": data["staff_id"],
        "staff_name": data["staff_name"],
        "recorded_at": data["recorded_at"],
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(ContactCall).values(**values).on_conflict_do_nothing(index_elements=["call_id"]))


def calls_of(session: Session, request_id: int) -> list[ContactCall]:
    """The request's calls, oldest first."""
    query = sa.select(ContactCall).where(ContactCall.request_id == request_id)
    return list(session.scalars(query.order_by(ContactCall.recorded_at, ContactCall.id)))


def forget_notes(session: Session, request_id: int) -> int:
    """Blank what staff wrote about the person (erasure, retention); the calls themselves stay. Returns rows."""
    result = session.execute(
        sa.update(ContactCall)
        .where(ContactCall.request_id == request_id, ContactCall.note.is_not(None))
        .values(note=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
