"""/booking/requests: submit (public or staff on behalf), and the staff's list, decisions and hand-overs.

Each view parses (its schema loads a typed command), makes one call (``application`` for changes, ``queries``
for reads) and dumps the answer with an output schema. Nothing here commits or decides.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView

from services.booking import application
from services.booking.api.limits import limiter
from services.booking.api.present import outcome_view, request_view
from services.booking.api.schemas import (
    ApproveSchema,
    AuditOutSchema,
    CancelSchema,
    ContactPatchSchema,
    LinkOutSchema,
    PickupSchema,
    RejectSchema,
    RequestInSchema,
    RequestOutSchema,
    RequestQuerySchema,
    RescheduleSchema,
    ReturnSchema,
    StaffRequestOutSchema,
    VerifySchema,
    WithdrawSchema,
    dump_request_out,
)
from services.booking.config import current_policy
from services.booking.domain import idempotency
from services.booking.domain.commands import ById, Decision, SubmitRequest, VerifyRequirement
from services.booking.domain.lifecycle import REQUESTER, Actor, staff_actor
from services.booking.domain.links import status_path
from services.booking.limits import configured, is_staff
from services.booking.models import AuditEntry
from services.booking.queries import requests as reads
from shared.auth import current_principal, require_principal, require_staff
from shared.db import get_session
from shared.http import paginate_query
from shared.openapi import problems
from shared.ratelimit import client_address
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("requests", __name__, url_prefix="/requests", description="Booking requests and their lifecycle")


def _staff() -> Actor:
    return staff_actor(require_principal())


def _idempotency_key(command: SubmitRequest) -> idempotency.Key | None:
    """The request's ``Idempotency-Key``, scoped to who sends it: nobody can replay another client's submission."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    principal = current_principal()
    scope = (
        f"staff:{principal.staff_id}"
        if principal
        else "client:" + hashlib.sha256(client_address().encode()).hexdigest()
    )
    return idempotency.Key(scope, idempotency.check_key(raw), idempotency.digest_of(command))


@blp.route("")
class Requests(MethodView):
    # Anonymous submissions are limited per client; staff filing for residents at the counter are not.
    @limiter.limit(configured("SUBMIT_LIMIT"), exempt_when=is_staff)
    @blp.arguments(RequestInSchema)
    @blp.response(201, RequestOutSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 200}}])
    @problems(429)
    def post(self, command: SubmitRequest) -> Response:
        """Submit a request (anyone; staff file on behalf of a resident with ``proxy``).

        Send an ``Idempotency-Key``: a retry with the same key and body gets the first request again (with a fresh
        private link, since only its hash is stored), the same key with another body 422. A retry sent while the
        first is still being handled waits for it.
        """
        principal = current_principal()
        actor = staff_actor(principal) if principal else REQUESTER
        session = get_session()
        outcome = application.submit_request(session, command, actor, current_policy(), _idempotency_key(command))
        return _answer(outcome_view(outcome), 201)

    @require_staff
    @blp.arguments(RequestQuerySchema, location="query")
    @blp.response(200, RequestOutSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Staff: list and search the requests of their own centres (admins: every centre)."""
        session = get_session()
        filters = reads.RequestFilter(
            centres=reads.centres_of(require_principal()),
            status=query.get("status"),
            asset_id=query.get("asset_id"),
            location_id=query.get("location_id"),
            starts=query.get("starts"),
            ends=query.get("ends"),
            text=query.get("q"),
        )
        found = paginate_query(session, reads.filtered_requests_query(filters), pagination_parameters)
        return [request_view(session, r) for r in found]


@blp.route("/<int:request_id>")
@require_staff
@blp.response(200, StaffRequestOutSchema)
@problems(403)
def get_one(request_id: int) -> dict[str, Any]:
    """Staff of the request's centre: one request, what competes with it, its unmet requirements, and the
    initiative's history and contacts at the centres the reader works for."""
    session = get_session()
    found = reads.request_in_context(session, request_id, require_principal())
    return {
        **request_view(session, found.request),
        "competition": found.competition,
        "initiative_history": found.initiative_history,
        "initiative_contacts": found.initiative_contacts,
    }


def _answer(view: dict[str, Any], status: int) -> Response:
    """A command's answer as ``RequestOutSchema`` dumps it (``dump_request_out``, the same dict at a fraction of
    the CPU; the ``@blp.response`` schema still documents it, and passes a ready response through)."""
    response = jsonify(dump_request_out(view))
    response.status_code = status
    return response


def _decide(request_id: int, command: Decision) -> Response:
    session = get_session()
    outcome = application.decide(session, ById(request_id), _staff(), command, current_policy())
    return _answer(outcome_view(outcome), 200)


@blp.route("/<int:request_id>/approve", methods=["POST"])
@require_staff
@blp.arguments(ApproveSchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def approve(command: Decision, request_id: int) -> Response:
    """Staff of the asset's centre: approve. 409 naming the conflicting bookings when the asset is not free."""
    return _decide(request_id, command)


@blp.route("/<int:request_id>/reject", methods=["POST"])
@require_staff
@blp.arguments(RejectSchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def reject(command: Decision, request_id: int) -> Response:
    """Staff: reject, with a reason the requester reads."""
    return _decide(request_id, command)


@blp.route("/<int:request_id>/cancel", methods=["POST"])
@require_staff
@blp.arguments(CancelSchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def cancel(command: Decision, request_id: int) -> Response:
    """Staff: cancel an approved loan, with a reason; the asset is free again."""
    return _decide(request_id, command)


@blp.route("/<int:request_id>/withdraw", methods=["POST"])
@require_staff
@blp.arguments(WithdrawSchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def withdraw(command: Decision, request_id: int) -> Response:
    """Staff, for a requester who phoned: withdraw a pending request."""
    return _decide(request_id, command)


@blp.route("/<int:request_id>/pick-up", methods=["POST"])
@require_staff
@blp.arguments(PickupSchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def pick_up(command: Decision, request_id: int) -> Response:
    """Staff: hand the asset over. Every requirement must be checked (``checks``), or ``override_reason`` says
    why it goes out anyway."""
    return _decide(request_id, command)


@blp.route("/<int:request_id>/return", methods=["POST"])
@require_staff
@blp.arguments(ReturnSchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def take_back(command: Decision, request_id: int) -> Response:
    """Staff: take the asset back, recording its condition and any damage."""
    return _decide(request_id, command)


@blp.route("/<int:request_id>/reschedule", methods=["POST"])
@require_staff
@blp.arguments(RescheduleSchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def reschedule(command: Decision, request_id: int) -> Response:
    """Staff: extend or shorten an approved or running loan (checked for conflicts like a new booking)."""
    return _decide(request_id, command)


@blp.route("/<int:request_id>/contact", methods=["PATCH"])
@require_staff
@blp.arguments(ContactPatchSchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def change_contact(command: Decision, request_id: int) -> Response:
    """Staff: correct the contact details."""
    return _decide(request_id, command)


@blp.route("/<int:request_id>/items/<int:item_id>/requirements/<code>", methods=["PUT"])
@require_staff
@blp.arguments(VerifySchema)
@blp.response(200, RequestOutSchema)
@problems(403, 409)
def verify(data: dict[str, Any], request_id: int, item_id: int, code: str) -> Response:
    """Staff: mark a requirement verified (met) or not met; not met blocks approval."""
    return _decide(request_id, VerifyRequirement(item_id=item_id, code=code, **data))


@blp.route("/<int:request_id>/audit")
@require_staff
@blp.response(200, AuditOutSchema(many=True))
@problems(403)
def audit(request_id: int) -> list[AuditEntry]:
    """Staff of the request's centre: the audit trail (who, when, from, to, reason)."""
    return reads.audit_for_staff(get_session(), request_id, require_principal())


@blp.route("/<int:request_id>/status-link", methods=["POST"])
@require_staff
@blp.response(201, LinkOutSchema)
@problems(403, 409)
def new_link(request_id: int) -> tuple[dict[str, str], int]:
    """Staff of the request's centre: revoke the requester's links and issue a new one (lost or forwarded mail)."""
    outcome = application.reissue_link(get_session(), ById(request_id), _staff(), current_policy())
    assert outcome.token is not None
    return {"status_url": status_path(outcome.token)}, 201
