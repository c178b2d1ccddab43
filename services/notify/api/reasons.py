"""The API's English words for notify's reason codes (services/notify/domain/reasons.py); the pages have their
own, in both languages, in the catalogue (services/notify/staff_pages.py)."""

from __future__ import annotations

from typing import Any

from services.notify.domain.reasons import Reason

ENGLISH = {
    Reason.NO_EMAIL: "the requester has no e-mail address: on the centre's call list for staff to phone",
    Reason.NO_CONTACT: "the requester has neither e-mail nor phone (a desk request): not sent, not on the call list",
    Reason.LOCATION_NO_EMAIL: "the community centre has no e-mail address",
    Reason.BOOKING_UNKNOWN: "the booking is unknown to notify",
    Reason.STALE: "no longer due: the booking is now {status} (or its pick-up/return moved)",
    Reason.OUT_OF_ORDER: "arrived after a newer event: the booking is already {status}",
    Reason.BOOKING_STATUS: "the booking is {status}: the message no longer fits",
    Reason.PICKUP_PASSED: "the pick-up time has passed",
    Reason.RETURN_PASSED: "the return time has passed (the overdue notice takes over)",
    Reason.EXPIRY_PASSED: "the request has expired already",
    Reason.NOBODY_TO_CALL: "nobody to phone that day",
    Reason.CONTACT_ANONYMISED: "the contact was anonymised",
    Reason.CANNOT_BUILD: "the message could not be built (see last_error)",
    Reason.BAD_ADDRESS: "the address cannot be used for mail (see last_error)",
    Reason.REFUSED: "the mail server refused it for good (see last_error)",
    Reason.GAVE_UP: "gave up after {attempts} attempts",
}


def reason_text(code: str | None, params: dict[str, Any] | None) -> str | None:
    """The reason in English; a code this version does not know (an old row) as it is."""
    if not code:
        return None
    try:
        template = ENGLISH[Reason(code)]
    except ValueError:
        return code
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError):
        return template
