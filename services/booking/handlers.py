"""The events booking consumes, by type: the consumer (relay/Celery) looks the handler up here.

Each handler applies the event in the caller's transaction; the caller records the event id in
``processed_events`` in that same transaction, so a redelivery is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from services.booking.domain.contact_history import apply_call_recorded
from services.booking.domain.inventory_copy import HANDLERS
from services.booking.models import RevokedToken, StaffChange
from services.notify.contract import CALL_RECORDED
from shared.events import Envelope
from shared.revocations import EVENT_TYPE as TOKEN_REVOKED
from shared.revocations import STAFF_CHANGED, staff_changed_handler, token_revoked_handler

EVENT_HANDLERS: dict[str, Callable[[Session, Envelope], None]] = {
    **HANDLERS,
    TOKEN_REVOKED: token_revoked_handler(RevokedToken),
    STAFF_CHANGED: staff_changed_handler(StaffChange),
    CALL_RECORDED: apply_call_recorded,  # the calls noted on notify's call list: the request's contact history
}
