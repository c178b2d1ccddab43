"""/booking/status/<token>: the requester's private page; no account, and nobody sees another's request."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_smorest import Blueprint

from services.booking.api.limits import limiter
from services.booking.api.present import request_view
from services.booking.api.schemas import ContactPatchSchema, ReasonSchema, StatusOutSchema
from services.booking.domain import decisions, links
from services.booking.domain.lifecycle import REQUESTER
from services.booking.limits import LINK_MISS_SCOPE, LINK_SCOPE, configured, unknown_link
from services.booking.models import AuditEntry
from shared.db import get_session

blp = Blueprint("status", __name__, url_prefix="/status", description="The requester's private link")

# Every use of a private link counts, per client; unknown links towards a stricter back-off against guessing.
# The pages use the same scopes: in production (one Redis) both ways in count together.
_link_limit = limiter.shared_limit(configured("STATUS_LINK_LIMIT"), scope=LINK_SCOPE)
_link_miss_limit = limiter.shared_limit(
    configured("STATUS_LINK_MISS_LIMIT"), scope=LINK_MISS_SCOPE, deduct_when=unknown_link
)


def private_link(view: Any) -> Any:
    return _link_limit(_link_miss_limit(view))


def _history(session: Any, request_id: int) -> list[dict[str, Any]]:
    query = sa.select(AuditEntry).where(AuditEntry.request_id == request_id).order_by(AuditEntry.id)
    return [
        {"at": e.at.isoformat(), "action": e.action, "by": e.actor_kind, "status": e.to_status, "reason": e.reason}
        for e in session.scalars(query)
        if e.action != "verify_requirement"
    ]


@blp.route("/<token>")
@private_link
@blp.response(200, StatusOutSchema)
def status(token: str) -> dict[str, Any]:
    """The request and its history. Opening the link changes nothing. Unknown or expired: 404."""
    session = get_session()
    booking = links.request_for_token(session, token)
    return {**request_view(session, booking), "history": _history(session, booking.id)}


@blp.route("/<token>/withdraw", methods=["POST"])
@private_link
@blp.arguments(ReasonSchema)
@blp.response(200, StatusOutSchema)
def withdraw(data: dict[str, Any], token: str) -> dict[str, Any]:
    """Withdraw the request while it is still pending."""
    session = get_session()
    booking = links.request_for_token(session, token, for_update=True)
    decisions.withdraw(session, booking, REQUESTER, data["reason"])
    session.commit()
    return {**request_view(session, booking), "history": _history(session, booking.id)}


@blp.route("/<token>/contact", methods=["PATCH"])
@private_link
@blp.arguments(ContactPatchSchema)
@blp.response(200, StatusOutSchema)
def change_contact(data: dict[str, Any], token: str) -> dict[str, Any]:
    """Correct the contact details (an email or a phone number must remain)."""
    session = get_session()
    booking = links.request_for_token(session, token, for_update=True)
    decisions.change_contact(session, booking, REQUESTER, data)
    session.commit()
    return {**request_view(session, booking), "history": _history(session, booking.id)}


@blp.route("/<token>/cancel", methods=["POST"])
@private_link
@blp.arguments(ReasonSchema)
@blp.response(200, StatusOutSchema)
def cancel(data: dict[str, Any], token: str) -> dict[str, Any]:
    """Cancel an approved loan you no longer need (a reason is required: staff read it)."""
    session = get_session()
    booking = links.request_for_token(session, token, for_update=True)
    decisions.cancel(session, booking, REQUESTER, data["reason"])
    session.commit()
    return {**request_view(session, booking), "history": _history(session, booking.id)}
