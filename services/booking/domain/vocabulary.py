"""The booking domain's words, each written once: statuses, actions, who acts, how consent was given.

Every other module (models, rules, schemas, pages, events) takes them from here; a typo is an AttributeError,
not a silently unmatched string. The values are the wire and database values: never rename one without a
migration and a new event version.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    PICKED_UP = "picked_up"
    OVERDUE = "overdue"
    RETURNED = "returned"


# Statuses whose items hold an allocation (the asset is promised, away, or was: a returned loan keeps its
# shortened allocation as history).
ALLOCATING = frozenset({Status.APPROVED, Status.PICKED_UP, Status.OVERDUE, Status.RETURNED})
# A request in one of these states is over: its personal data may go (retention, erasure).
CLOSED = frozenset(
    {Status.REJECTED, Status.WITHDRAWN, Status.EXPIRED, Status.CANCELLED, Status.NO_SHOW, Status.RETURNED}
)
# The asset is away with the borrower.
OUT = frozenset({Status.PICKED_UP, Status.OVERDUE})


class Action(StrEnum):
    """What happens to a request; each is one row of ``lifecycle.RULES`` and one audit action."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    CANCEL = "cancel"
    NO_SHOW = "no_show"
    PICK_UP = "pick_up"
    MARK_OVERDUE = "mark_overdue"
    RETURN = "return"
    RESCHEDULE = "reschedule"
    CHANGE_CONTACT = "change_contact"
    VERIFY_REQUIREMENT = "verify_requirement"
    REISSUE_LINK = "reissue_link"
    ANONYMISE = "anonymise"  # GDPR erasure or retention (not a lifecycle step: the status stays)


class ActorKind(StrEnum):
    REQUESTER = "requester"  # through the private link
    STAFF = "staff"
    SYSTEM = "system"  # the periodic scans


class Consent(StrEnum):
    """How a resident agreed to staff filing a request for them."""

    DESK = "desk"
    PHONE = "phone"


class Language(StrEnum):
    NL = "nl"
    EN = "en"


class SystemReason(StrEnum):
    """Why the system changed a request: a code, said in words by each surface."""

    NOT_DECIDED_IN_TIME = "not_decided_in_time"
    NOT_PICKED_UP = "not_picked_up"


class ConflictKind(StrEnum):
    BOOKING = "booking"
    MAINTENANCE = "maintenance"
