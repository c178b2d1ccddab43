"""The booking API's words for the domain's codes (English; the pages have their own Babel catalogue).

Templates take the code's parameters by name. tests/unit/test_booking_messages.py checks that every
``Code`` has an entry here and in the pages' catalogue.
"""

from __future__ import annotations

from services.booking.domain.errors import Code

MESSAGES: dict[str, str] = {
    Code.CONTACT_MISSING: "Give an e-mail address or a phone number.",
    Code.PROXY_CONSENT_MISSING: "Staff filing for a resident must record how the resident agreed (desk or phone).",
    Code.ASSET_UNKNOWN: "There is no such asset.",
    Code.ASSET_RETIRED: "{asset_en} is no longer lent out.",
    Code.ASSET_REPEATED: "{asset_en} is already in this request; raise its quantity instead.",
    Code.QUANTITY_EXCEEDS: "There are only {available} of {asset_en}.",
    Code.ITEMS_AT_SEVERAL_LOCATIONS: "Everything in one request is picked up at one place; make two requests.",
    Code.RETURN_NOT_AFTER_PICKUP: "Return must be after pick-up.",
    Code.PICKUP_IN_PAST: "Pick-up is in the past.",
    Code.LEAD_TIME: "{asset_en}: request at least {hours} hours ahead (earliest pick-up {earliest}).",
    Code.LOAN_TOO_SHORT: "{asset_en}: borrow for at least {hours} hours.",
    Code.LOAN_TOO_LONG: "{asset_en}: borrow for at most {hours} hours.",
    Code.OUTSIDE_OPENING_HOURS: "This time ({moment}) is outside the opening hours of {location}.",
    Code.CLOSED_ON_HOLIDAY: "{location} is closed on that day ({moment}): a public holiday ({holiday}).",
    Code.CLOSED_FOR_CLOSURE: "{location} is closed from {first_day} to {last_day} ({moment}): {reason}.",
    Code.ANSWER_MISSING: "Answer this requirement ({requirement}).",
    Code.CONFIRMATION_NEEDED: "Confirm this requirement ({requirement}) with true, or add the asset that meets it.",
    Code.PLATE_INVALID: "Not a Belgian license plate; for example 1-ABC-234 (or ABC-123 for older plates).",
    Code.DRIVER_CATEGORY_UNKNOWN: "Unknown driving licence category; one of {choices}.",
    Code.DRIVER_CATEGORY_INSUFFICIENT: "A category {answer} licence does not cover this; one of {accepted}.",
    Code.ANSWER_NOT_TEXT: "Give this answer as text.",
    Code.ANSWER_NOT_FOR_ASSET: "This requirement ({requirement}) does not belong to this asset.",
    Code.REASON_REQUIRED: "Give a reason; the requester reads it.",
    Code.OVERRIDE_NEEDS_REASON: "Overriding the turnaround buffers needs a reason.",
    Code.PICKUP_FIXED_ONCE_OUT: "The pick-up time of a loan already picked up cannot change.",
    Code.CONTACT_KEEP_ONE: "Keep an e-mail address or a phone number.",
    Code.CHECKS_NOT_DONE: "Not every check was done at the hand-over ({requirements}); do them, or give the reason "
    "you hand over anyway (override_reason).",
    Code.REQUEST_NOT_FOUND: "There is no such request.",
    Code.REQUIREMENT_NOT_FOUND: "Item {item_id} of this request has no requirement {requirement}.",
    Code.LINK_NOT_FOUND: "This link does not lead anywhere (any more).",
    Code.INVALID_TRANSITION: "Cannot {action} a request that is {status}.",
    Code.ACTOR_NOT_ALLOWED: "A {actor} may not {action} a request.",
    Code.NOT_YOUR_CENTRE: "This request is for an asset of a community centre you do not work for.",
    Code.BOOKING_CONFLICT: "The asset is not free for that time; the conflicts name what is in the way.",
    Code.DATES_TAKEN: (
        "The asset is already lent out or under maintenance then (on_loan: {on_loan}, maintenance: {maintenance}); "
        "send file_if_taken true to file the request anyway, as a wish."
    ),
    Code.REQUIREMENT_NOT_MET: "A requirement is unanswered or marked not met: {requirements}.",
    Code.IDEMPOTENCY_KEY_REUSED: "This Idempotency-Key was already used with a different body; use a new key for a "
    "new request.",
    Code.IDEMPOTENCY_KEY_INVALID: "Idempotency-Key must be 1-{max} printable characters.",
    Code.OPEN_REQUESTS: "Withdraw, cancel or take back these requests first; their contact is still needed.",
    Code.WINDOW_EMPTY: "'to' must be after 'from'.",
    Code.WINDOW_TOO_LONG: "At most {slots} slots per question; shorten the window.",
    # schema messages of our own fields
    "phone_invalid": "Not a valid phone number; for example 09 266 00 02 or +32 470 12 34 56.",
    "answer_invalid": "Answer with true, or with text of at most 200 characters.",
    "answers_not_object": "Give the answers as an object: {requirement code: answer}.",
    "requirement_code_invalid": "Not a requirement code.",
    "either_asset_or_location": "Give either asset_id or location_id.",
}
