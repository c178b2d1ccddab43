"""What the API answers about a request: the snapshot its command built (the event's), plus a few fields for
people. Dumped by the output schemas of ``schemas.py``, so the answer holds exactly what the OpenAPI says."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.booking.application import Outcome
from services.booking.domain.events import request_snapshot
from services.booking.domain.links import status_path
from services.booking.models import BookingRequest
from services.booking.queries.requests import maintenance_hits
from shared import clock


def request_view(session: Session, request: BookingRequest, snapshot: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request for the API: ``snapshot`` when the command already built it (no second read of its rows)."""
    view = dict(snapshot if snapshot is not None else request_snapshot(session, request))
    view["purpose"] = request.purpose
    view["created_at"] = request.created_at
    view["age_hours"] = round((clock.now() - request.created_at).total_seconds() / 3600, 1)
    view["maintenance_hit"] = bool(maintenance_hits(session, request))
    return view


def outcome_view(session: Session, outcome: Outcome) -> dict[str, Any]:
    """A command's answer; with the private link's path when this call issued one."""
    view = request_view(session, outcome.request, outcome.snapshot)
    if outcome.token is not None:
        view["status_url"] = status_path(outcome.token)
    return view
