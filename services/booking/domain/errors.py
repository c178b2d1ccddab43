"""The booking service's domain errors (mapped to problem+json by shared.errors)."""

from __future__ import annotations

from typing import Any

from shared.errors import Conflict, Forbidden, InvalidInput, NotFound


class RequestNotFound(NotFound):
    problem = "request-not-found"


class LinkNotFound(NotFound):
    """A forged, expired or revoked private link: the same answer for all three, revealing nothing."""

    problem = "not-found"

    def __init__(self) -> None:
        super().__init__("This link does not lead anywhere (any more).")


class InvalidTransition(Conflict):
    problem = "invalid-transition"
    title = "Not possible in the request's current state"

    def __init__(self, action: str, current_status: str) -> None:
        super().__init__(
            f"Cannot {action.replace('_', ' ')} a request that is {current_status}.",
            current_status=current_status,
            action=action,
        )


class BookingConflict(Conflict):
    """Approving (or rescheduling) would put more units out than the asset has at some moment."""

    problem = "booking-conflict"
    title = "The asset is not free for that time"

    def __init__(self, detail: str, conflicts: list[dict[str, Any]]) -> None:
        super().__init__(detail, conflicts=conflicts)


class RequirementNotMet(Conflict):
    problem = "requirement-not-met"
    title = "A precondition is not met"

    def __init__(self, detail: str, unmet: list[dict[str, Any]]) -> None:
        super().__init__(detail, unmet=unmet)


class NotYourCentre(Forbidden):
    problem = "not-your-centre"


class IdempotencyInProgress(Conflict):
    problem = "idempotency-in-progress"
    title = "The first submission with this key is still being handled"


class IdempotencyKeyReused(InvalidInput):
    problem = "idempotency-key-reused"
    title = "This Idempotency-Key was used for another request"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different body; use a new key for a new request.",
            errors=[{"field": "Idempotency-Key", "pointer": "", "in": "headers", "detail": "used with another body"}],
        )
