"""Why a notification was not sent (or not by mail): codes with parameters, never sentences.

The domain stores ``ScheduledNotification.reason`` (a code below) and ``reason_params`` (a small dict, e.g. the
booking's status); each surface says them in its own words: the staff pages through notify's catalogue
(``services/notify/staff_pages.py``), the API in English (``services/notify/api/reasons.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    NO_EMAIL = "no_email"  # the requester has no e-mail address: the message is on the call list
    # neither e-mail nor phone (a desk request filed by staff): nobody to mail or call; the resident comes by
    # or phones with the reference on the slip
    NO_CONTACT = "no_contact"
    LOCATION_NO_EMAIL = "location_no_email"  # a staff alert for a centre without an e-mail address
    BOOKING_UNKNOWN = "booking_unknown"  # notify never received the booking this row is about
    STALE = "stale"  # {status}: the booking changed (moved, cancelled, returned): this reminder is no longer due
    OUT_OF_ORDER = "out_of_order"  # {status}: the event arrived after a newer one; the booking is already …
    BOOKING_STATUS = "booking_status"  # {status}: at send time the booking is in a status the message no longer fits
    PICKUP_PASSED = "pickup_passed"  # a pick-up reminder whose pick-up time has passed
    RETURN_PASSED = "return_passed"  # a return reminder whose return time has passed (the overdue notice follows)
    EXPIRY_PASSED = "expiry_passed"  # an expiry warning whose moment has passed
    NOBODY_TO_CALL = "nobody_to_call"  # a call-list digest for a day without calls
    CONTACT_ANONYMISED = "contact_anonymised"  # the requester's contact was erased before the message went out
    CANNOT_BUILD = "cannot_build"  # the message could not be built (template, header); details in last_error
    BAD_ADDRESS = "bad_address"  # the recipient's address cannot be used for mail; details in last_error
    REFUSED = "refused"  # the mail server refused it for good (5xx); details in last_error
    GAVE_UP = "gave_up"  # {attempts}: temporary failures (or lost workers) until the attempts ran out


# Reasons whose rows come back to life when the booking wants them again (a reschedule undone).
REVIVABLE = (Reason.STALE,)


@dataclass(frozen=True)
class Why:
    """A reason and its parameters, as the domain hands it around."""

    code: Reason
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def status(cls, code: Reason, status: str) -> Why:
        return cls(code, {"status": status})
