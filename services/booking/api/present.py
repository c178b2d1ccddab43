"""Turning a request into what the API shows (the event snapshot plus a few fields for people)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.booking.domain.events import request_snapshot
from services.booking.domain.queries import maintenance_hits
from services.booking.models import BookingRequest
from shared import clock


def request_view(session: Session, request: BookingRequest) -> dict[str, Any]:
    view = request_snapshot(session, request)
    for item_view, item in zip(view["items"], request.items, strict=True):
        item_view["item_id"] = item.id
    view["purpose"] = request.purpose
    view["created_at"] = request.created_at.isoformat()
    view["age_hours"] = round((clock.now() - request.created_at).total_seconds() / 3600, 1)
    view["maintenance_hit"] = bool(maintenance_hits(session, request))
    return view
