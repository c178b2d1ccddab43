"""/booking/requests: submit (public or staff on behalf), and the staff's list, decisions and hand-overs."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.booking.api.limits import limiter
from services.booking.api.present import request_view
from services.booking.api.schemas import (
    ApproveSchema,
    AuditOutSchema,
    ContactPatchSchema,
    LinkOutSchema,
    PickupSchema,
    ReasonSchema,
    RequestInSchema,
    RequestOutSchema,
    RequestQuerySchema,
    RescheduleSchema,
    ReturnSchema,
    StaffRequestOutSchema,
    VerifySchema,
)
from services.booking.config import BookingPolicy
from services.booking.domain import decisions, idempotency, links, queries
from services.booking.domain.lifecycle import REQUESTER, Actor, staff_actor
from services.booking.domain.requests import create_request
from services.booking.limits import configured, is_staff
from services.booking.models import AuditEntry, BookingRequest
from shared.auth import current_principal, require_principal, require_staff
from shared.db import get_database, get_session
from shared.http import paginate_query

blp = Blueprint("requests", __name__, url_prefix="/requests", description="Booking requests and their lifecycle")


def _policy() -> BookingPolicy:
    policy: BookingPolicy = current_app.extensions["booking_policy"]
    return policy


def _staff() -> Actor:
    return staff_actor(require_principal())


@blp.route("")
class Requests(MethodView):
    # Anonymous submissions are limited per client; staff filing for residents at the counter are not.
    @limiter.limit(configured("SUBMIT_LIMIT"), exempt_when=is_staff)
    @blp.arguments(RequestInSchema)
    @blp.response(201, RequestOutSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}])
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Submit a request (anyone; staff file on behalf of a resident with ``proxy``).

        Send an ``Idempotency-Key``: a retry with the same key and body gets the first answer (with a fresh
        private link, since only its hash is stored), another body 422, a retry while the first runs 409.
        """
        principal = current_principal()
        actor = staff_actor(principal) if principal else REQUESTER
        raw_key = request.headers.get("Idempotency-Key")
        session = get_session()
        if raw_key is None:
            return self._create(session, data, actor, None), 201
        # keys are scoped to who sends them: nobody can replay (and get a link to) another client's request
        scope = f"staff-{principal.staff_id}" if principal else "public"
        key = f"{scope}:{idempotency.check_key(raw_key)}"
        replay = idempotency.claim(session, key, idempotency.body_hash(request.get_json(silent=True)))
        if replay is not None:
            return self._replay(session, replay), replay.status
        try:
            return self._create(session, data, actor, key), 201
        except BaseException:
            with get_database().session_factory() as cleanup:
                idempotency.release_key(cleanup, key)
            raise

    @staticmethod
    def _create(session: Any, data: dict[str, Any], actor: Actor, key: str | None) -> dict[str, Any]:
        created = create_request(session, data, actor, _policy().status_link_days)
        body = request_view(session, created.request)
        if key is not None:
            idempotency.complete(session, key, 201, body, created.request.id)
        session.commit()
        return {**body, "status_url": links.status_path(created.token)}

    @staticmethod
    def _replay(session: Any, replay: idempotency.Replay) -> dict[str, Any]:
        body = dict(replay.body)
        if replay.request_id is not None:
            booking = session.get(BookingRequest, replay.request_id)
            if booking is not None:
                token = links.issue_link(session, booking, _policy().status_link_days)
                session.commit()
                body["status_url"] = links.status_path(token)
        return body

    @require_staff
    @blp.arguments(RequestQuerySchema, location="query")
    @blp.response(200, RequestOutSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Staff: list and search the requests of their own centres (admins: every centre)."""
        session = get_session()
        principal = require_principal()
        filters = queries.RequestFilter(
            centres=None if principal.is_admin else principal.location_ids,
            status=query.get("status"),
            asset_id=query.get("asset_id"),
            location_id=query.get("location_id"),
            starts=query.get("starts"),
            ends=query.get("ends"),
            text=query.get("q"),
        )
        found = paginate_query(session, queries.filtered_requests_query(filters), pagination_parameters)
        return [request_view(session, r) for r in found]


@blp.route("/<int:request_id>")
@require_staff
@blp.response(200, StaffRequestOutSchema)
def get_one(request_id: int) -> dict[str, Any]:
    """Staff of the request's centre: one request, what competes with it, its unmet requirements, the initiative's
    history."""
    session = get_session()
    booking = decisions.get_request_for(session, request_id, require_principal())
    view = request_view(session, booking)
    view["competition"] = queries.competition(session, booking)
    view["initiative_history"] = queries.initiative_history(session, booking.initiative_id, booking.id)
    view["initiative_contacts"] = queries.initiative_contacts(session, booking.initiative_id)
    return view


def _act(request_id: int, command: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    session = get_session()
    booking = decisions.get_request(session, request_id, for_update=True)
    command(session, booking, _staff(), *args, **kwargs)
    session.commit()
    return request_view(session, booking)


@blp.route("/<int:request_id>/approve", methods=["POST"])
@require_staff
@blp.arguments(ApproveSchema)
@blp.response(200, RequestOutSchema)
def approve(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Staff of the asset's centre: approve. 409 naming the conflicting bookings when the asset is not free."""
    return _act(request_id, decisions.approve, data["override_buffers"], data["reason"])


@blp.route("/<int:request_id>/reject", methods=["POST"])
@require_staff
@blp.arguments(ReasonSchema)
@blp.response(200, RequestOutSchema)
def reject(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Staff: reject, with a reason the requester reads."""
    return _act(request_id, decisions.reject, data["reason"])


@blp.route("/<int:request_id>/cancel", methods=["POST"])
@require_staff
@blp.arguments(ReasonSchema)
@blp.response(200, RequestOutSchema)
def cancel(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Staff: cancel an approved loan, with a reason; the asset is free again."""
    return _act(request_id, decisions.cancel, data["reason"])


@blp.route("/<int:request_id>/withdraw", methods=["POST"])
@require_staff
@blp.arguments(ReasonSchema)
@blp.response(200, RequestOutSchema)
def withdraw(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Staff, for a requester who phoned: withdraw a pending request."""
    return _act(request_id, decisions.withdraw, data["reason"])


@blp.route("/<int:request_id>/pick-up", methods=["POST"])
@require_staff
@blp.arguments(PickupSchema)
@blp.response(200, RequestOutSchema)
def pick_up(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Staff: hand the asset over, recording the preconditions checked."""
    return _act(request_id, decisions.pick_up, data["checks"], data["notes"])


@blp.route("/<int:request_id>/return", methods=["POST"])
@require_staff
@blp.arguments(ReturnSchema)
@blp.response(200, RequestOutSchema)
def take_back(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Staff: take the asset back, recording its condition and any damage."""
    return _act(request_id, decisions.take_back, data["condition"], data["damage"])


@blp.route("/<int:request_id>/reschedule", methods=["POST"])
@require_staff
@blp.arguments(RescheduleSchema)
@blp.response(200, RequestOutSchema)
def reschedule(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Staff: extend or shorten an approved or running loan (checked for conflicts like a new booking)."""
    return _act(request_id, decisions.reschedule, data["pickup_at"], data["return_at"], data["reason"])


@blp.route("/<int:request_id>/contact", methods=["PATCH"])
@require_staff
@blp.arguments(ContactPatchSchema)
@blp.response(200, RequestOutSchema)
def change_contact(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Staff: correct the contact details."""
    return _act(request_id, decisions.change_contact, data)


@blp.route("/<int:request_id>/items/<int:item_id>/requirements/<code>", methods=["PUT"])
@require_staff
@blp.arguments(VerifySchema)
@blp.response(200, RequestOutSchema)
def verify(data: dict[str, Any], request_id: int, item_id: int, code: str) -> dict[str, Any]:
    """Staff: mark a requirement verified (met) or not met; not met blocks approval."""
    return _act(request_id, decisions.verify_requirement, item_id, code, data["verified"], data["answer"])


@blp.route("/<int:request_id>/audit")
@require_staff
@blp.response(200, AuditOutSchema(many=True))
def audit(request_id: int) -> list[AuditEntry]:
    """Staff of the request's centre: the audit trail (who, when, from, to, reason)."""
    import sqlalchemy as sa

    session = get_session()
    decisions.get_request_for(session, request_id, require_principal())
    query = sa.select(AuditEntry).where(AuditEntry.request_id == request_id).order_by(AuditEntry.id)
    return list(session.scalars(query))


@blp.route("/<int:request_id>/status-link", methods=["POST"])
@require_staff
@blp.response(201, LinkOutSchema)
def new_link(request_id: int) -> tuple[dict[str, str], int]:
    """Staff of the request's centre: revoke the requester's links and issue a new one (lost or forwarded mail)."""
    session = get_session()
    booking = decisions.get_request_for(session, request_id, require_principal(), for_update=True)
    links.revoke_links(session, booking)
    token = links.issue_link(session, booking, _policy().status_link_days)
    session.commit()
    return {"status_url": links.status_path(token)}, 201
