"""/booking/status/<token>: the requester's private page; no account, and nobody sees another's request."""

from __future__ import annotations

from typing import Any

from services.booking import application
from services.booking.api.limits import limiter
from services.booking.api.present import outcome_view, request_view
from services.booking.api.schemas import CancelSchema, ContactPatchSchema, StatusOutSchema, WithdrawSchema
from services.booking.config import current_policy
from services.booking.domain.commands import ByLink, Decision
from services.booking.domain.lifecycle import REQUESTER
from services.booking.limits import LINK_MISS_SCOPE, LINK_SCOPE, configured, unknown_link
from services.booking.queries import requests as reads
from shared.db import get_session
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("status", __name__, url_prefix="/status", description="The requester's private link")

# Every use of a private link counts, per client; unknown links towards a stricter back-off against guessing.
# The pages use the same scopes: in production (one Redis) both ways in count together.
_link_limit = limiter.shared_limit(configured("STATUS_LINK_LIMIT"), scope=LINK_SCOPE)
_link_miss_limit = limiter.shared_limit(
    configured("STATUS_LINK_MISS_LIMIT"), scope=LINK_MISS_SCOPE, deduct_when=unknown_link
)


def private_link(view: Any) -> Any:
    return _link_limit(_link_miss_limit(view))


def _status(request: Any) -> dict[str, Any]:
    session = get_session()
    return {**request_view(session, request), "history": reads.requester_history(session, request.id)}


def _decide(token: str, command: Decision) -> dict[str, Any]:
    # the requester's page after a change: read again, with its history (not a hot path)
    outcome = application.decide(get_session(), ByLink(token), REQUESTER, command, current_policy())
    return {**outcome_view(outcome), "history": reads.requester_history(get_session(), outcome.request.id)}


@blp.route("/<token>")
@private_link
@blp.response(200, StatusOutSchema)
@problems(404, 429)
def status(token: str) -> dict[str, Any]:
    """The request and its history. Opening the link changes nothing. Unknown or expired: 404."""
    return _status(reads.request_for_link(get_session(), token))


@blp.route("/<token>/withdraw", methods=["POST"])
@private_link
@blp.arguments(WithdrawSchema)
@blp.response(200, StatusOutSchema)
@problems(404, 409, 429)
def withdraw(command: Decision, token: str) -> dict[str, Any]:
    """Withdraw the request while it is still pending."""
    return _decide(token, command)


@blp.route("/<token>/contact", methods=["PATCH"])
@private_link
@blp.arguments(ContactPatchSchema)
@blp.response(200, StatusOutSchema)
@problems(404, 409, 429)
def change_contact(command: Decision, token: str) -> dict[str, Any]:
    """Correct the contact details (an email or a phone number must remain)."""
    return _decide(token, command)


@blp.route("/<token>/cancel", methods=["POST"])
@private_link
@blp.arguments(CancelSchema)
@blp.response(200, StatusOutSchema)
@problems(404, 409, 429)
def cancel(command: Decision, token: str) -> dict[str, Any]:
    """Cancel an approved loan you no longer need (a reason is required: staff read it)."""
    return _decide(token, command)
