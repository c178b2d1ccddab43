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


def request_view(session: Session, request: BookingRequest) -> dict[str, Any]:
    """A request as the API shows it when reading it."""
    return _view(request, request_snapshot(session, request), bool(maintenance_hits(session, request)))


def _view(request: BookingRequest, snapshot: dict[str, Any], maintenance_hit: bool) -> dict[str, Any]:
    view = dict(snapshot)
    view["purpose"] = request.purpose
    view["created_at"] = request.created_at
    view["age_hours"] = round((clock.now() - request.created_at).total_seconds() / 3600, 1)
    view["maintenance_hit"] = maintenance_hit
    return view


def outcome_view(outcome: Outcome) -> dict[str, Any]:
    """A command's answer, from what the command built inside its transaction (nothing is read again after the
    commit); with the private link's path when this call issued one."""
    view = _view(outcome.request, outcome.snapshot, outcome.maintenance_hit)
    if outcome.token is not None:
        view["status_url"] = status_path(outcome.token)
    return view
