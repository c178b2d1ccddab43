"""What can be asked of the booking service: one typed command per change, made by the API's schemas and the
pages' forms alike, and run by ``services/booking/application.py``.

Commands carry only what the asker gave; who asks (the ``Actor``) and which request (the ``Target``) travel
beside them. Times are aware UTC instants (the schemas convert Brussels wall-clock input).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.booking.domain.vocabulary import Action, Consent, Language

# A requirement's answer as given: True for a confirmation, else the text typed (a plate, a licence category).
Answer = bool | str


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None = None
    phone: str | None = None
    language: Language = Language.NL


@dataclass(frozen=True)
class WantedItem:
    asset_id: int
    quantity: int = 1
    answers: Mapping[str, Answer] = field(default_factory=dict)


@dataclass(frozen=True)
class SubmitRequest:
    initiative: str
    contact: Contact
    pickup_at: datetime
    return_at: datetime
    items: tuple[WantedItem, ...]
    purpose: str = ""
    consent: Consent | None = None  # staff filing for a resident: how the resident agreed
    # dates already lent out or under maintenance: file it anyway (a wish staff see beside what is in its way),
    # or refuse with ``dates_taken`` so the requester can choose other dates first (the form asks)
    file_if_taken: bool = True


# --- decisions on a request that exists ----------------------------------------------------------------------


@dataclass(frozen=True)
class Approve:
    override_buffers: bool = False
    reason: str | None = None
    action = Action.APPROVE


@dataclass(frozen=True)
class Reject:
    reason: str | None = None
    action = Action.REJECT


@dataclass(frozen=True)
class Withdraw:
    reason: str | None = None
    action = Action.WITHDRAW


@dataclass(frozen=True)
class Cancel:
    reason: str | None = None
    action = Action.CANCEL


@dataclass(frozen=True)
class PickUp:
    checks: Mapping[str, bool] = field(default_factory=dict)
    notes: str | None = None
    # staff may hand over with a check not done only by saying why (the audit keeps it)
    override_reason: str | None = None
    action = Action.PICK_UP


@dataclass(frozen=True)
class Return:
    condition: str | None = None
    damage: str | None = None
    action = Action.RETURN


@dataclass(frozen=True)
class Reschedule:
    return_at: datetime
    pickup_at: datetime | None = None
    reason: str | None = None
    action = Action.RESCHEDULE


# ``ChangeContact`` fields left as UNCHANGED keep their value (a PATCH).
UNCHANGED = None


@dataclass(frozen=True)
class ChangeContact:
    name: str | None = UNCHANGED
    email: str | None = UNCHANGED
    phone: str | None = UNCHANGED
    language: Language | None = UNCHANGED
    # which of email/phone were given (so that null can clear one)
    given: frozenset[str] = frozenset()
    action = Action.CHANGE_CONTACT


@dataclass(frozen=True)
class VerifyRequirement:
    item_id: int
    code: str
    verified: bool
    answer: Answer | None = None
    action = Action.VERIFY_REQUIREMENT


@dataclass(frozen=True)
class ReissueLink:
    """Revoke the requester's links and issue a new one (a lost or forwarded mail)."""

    action = Action.REISSUE_LINK


Decision = Approve | Reject | Withdraw | Cancel | PickUp | Return | Reschedule | ChangeContact | VerifyRequirement


# --- which request ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ById:
    """Staff name a request by its id."""

    request_id: int


@dataclass(frozen=True)
class ByLink:
    """The requester names it by the private link's token."""

    token: str


Target = ById | ByLink
