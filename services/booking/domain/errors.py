"""The booking service's refusals: codes and parameters, never sentences (mapped to problem+json by shared.errors).

Each surface says a code in its own words: the API from ``services/booking/api/messages.py`` (English), the pages
from ``services/booking/web/messages.py`` (Babel, Dutch first). ``Code`` lists every code the domain raises, so
the catalogues can be checked for completeness (tests/unit/test_booking_messages.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from services.booking.domain.vocabulary import Action, ActorKind, Status
from shared.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound


class Code(StrEnum):
    # --- a submission's fields -------------------------------------------------------------------------------
    CONTACT_MISSING = "contact_missing"  # neither e-mail nor phone
    PROXY_CONSENT_MISSING = "proxy_consent_missing"  # staff filing for a resident: how did they agree?
    ASSET_UNKNOWN = "asset_unknown"
    ASSET_RETIRED = "asset_retired"  # params: asset
    ASSET_REPEATED = "asset_repeated"
    QUANTITY_EXCEEDS = "quantity_exceeds"  # params: asset, available
    ITEMS_AT_SEVERAL_LOCATIONS = "items_at_several_locations"
    RETURN_NOT_AFTER_PICKUP = "return_not_after_pickup"
    PICKUP_IN_PAST = "pickup_in_past"
    LEAD_TIME = "lead_time"  # params: asset, hours, earliest
    LOAN_TOO_SHORT = "loan_too_short"  # params: asset, hours
    LOAN_TOO_LONG = "loan_too_long"  # params: asset, hours
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"  # params: location, moment (pickup|return), opening
    CLOSED_ON_HOLIDAY = "closed_on_holiday"  # params: moment, location, holiday (a legal holiday's code)
    # the centre closed those days (inventory's closures): params moment, location, reason, first_day, last_day
    CLOSED_FOR_CLOSURE = "closed_for_closure"
    ANSWER_MISSING = "answer_missing"  # params: requirement
    CONFIRMATION_NEEDED = "confirmation_needed"  # params: requirement
    PLATE_INVALID = "plate_invalid"  # params: requirement
    DRIVER_CATEGORY_UNKNOWN = "driver_category_unknown"  # params: requirement, choices
    DRIVER_CATEGORY_INSUFFICIENT = "driver_category_insufficient"  # params: requirement, answer, accepted
    ANSWER_NOT_TEXT = "answer_not_text"  # params: requirement
    ANSWER_NOT_FOR_ASSET = "answer_not_for_asset"  # params: requirement
    # --- decisions -----------------------------------------------------------------------------------------
    REASON_REQUIRED = "reason_required"
    OVERRIDE_NEEDS_REASON = "override_needs_reason"
    PICKUP_FIXED_ONCE_OUT = "pickup_fixed_once_out"
    CONTACT_KEEP_ONE = "contact_keep_one"
    CHECKS_NOT_DONE = "checks_not_done"  # params: requirements (hand-over without every check)
    REQUEST_NOT_FOUND = "request_not_found"
    REQUIREMENT_NOT_FOUND = "requirement_not_found"  # params: item_id, requirement
    LINK_NOT_FOUND = "link_not_found"
    INVALID_TRANSITION = "invalid_transition"  # params: action, status
    ACTOR_NOT_ALLOWED = "actor_not_allowed"  # params: actor, action
    NOT_YOUR_CENTRE = "not_your_centre"
    BOOKING_CONFLICT = "booking_conflict"  # params: references, maintenance
    DATES_TAKEN = "dates_taken"  # a submission for dates already lent out: params: on_loan, maintenance
    REQUIREMENT_NOT_MET = "requirement_not_met"  # params: requirements
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    OPEN_REQUESTS = "open_requests"  # erasure refused: params: references
    # --- queries -------------------------------------------------------------------------------------------
    WINDOW_EMPTY = "window_empty"  # availability: 'to' not after 'from'
    WINDOW_TOO_LONG = "window_too_long"  # params: slots


def problem(field: str, code: Code, where: str = "body", **params: Any) -> FieldProblem:
    """``where``: body, query or headers (a parameter may well be called ``location``)."""
    return FieldProblem(field, str(code), params, location=where)


def invalid(field: str, code: Code, **params: Any) -> InvalidInput:
    """One field's refusal, e.g. ``raise invalid("reason", Code.REASON_REQUIRED)``."""
    return InvalidInput.of([problem(field, code, **params)])


class RequestNotFound(NotFound):
    problem = "request-not-found"
    code = Code.REQUEST_NOT_FOUND


class LinkNotFound(NotFound):
    """A forged, expired or revoked private link: the same answer for all three, revealing nothing."""

    problem = "not-found"
    code = Code.LINK_NOT_FOUND


class RequirementNotFound(NotFound):
    code = Code.REQUIREMENT_NOT_FOUND


class InvalidTransition(Conflict):
    problem = "invalid-transition"
    title = "Not possible in the request's current state"
    code = Code.INVALID_TRANSITION

    def __init__(self, action: Action, current_status: Status) -> None:
        super().__init__(
            params={"action": action, "status": current_status}, current_status=current_status, action=action
        )


class ActorNotAllowed(Forbidden):
    code = Code.ACTOR_NOT_ALLOWED

    def __init__(self, actor: ActorKind, action: Action) -> None:
        super().__init__(params={"actor": actor, "action": action})


class BookingConflict(Conflict):
    """Approving (or rescheduling) would put more units out than the asset has at some moment."""

    problem = "booking-conflict"
    title = "The asset is not free for that time"
    code = Code.BOOKING_CONFLICT

    def __init__(self, conflicts: list[dict[str, Any]]) -> None:
        references = sorted({str(c["reference"]) for c in conflicts if c["kind"] == "booking"})
        maintenance = any(c["kind"] == "maintenance" for c in conflicts)
        super().__init__(params={"references": references, "maintenance": maintenance}, conflicts=conflicts)


class RequirementNotMet(Conflict):
    problem = "requirement-not-met"
    title = "A precondition is not met"
    code = Code.REQUIREMENT_NOT_MET

    def __init__(self, unmet: list[dict[str, Any]]) -> None:
        super().__init__(params={"requirements": [str(u["code"]) for u in unmet]}, unmet=unmet)


class NotYourCentre(Forbidden):
    problem = "not-your-centre"
    code = Code.NOT_YOUR_CENTRE


class IdempotencyKeyReused(InvalidInput):
    problem = "idempotency-key-reused"
    title = "This Idempotency-Key was used for another request"
    code = Code.IDEMPOTENCY_KEY_REUSED

    def __init__(self) -> None:
        super().__init__(
            code=Code.IDEMPOTENCY_KEY_REUSED,
            problems=[problem("Idempotency-Key", Code.IDEMPOTENCY_KEY_REUSED, where="headers")],
        )
