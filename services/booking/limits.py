"""Booking's abuse limits, per client address and configurable: submitting requests and opening private links.

The API (``services.booking.api``) and the pages (``services.booking.web``) each have their own limiter (one
per app) but read the same settings. A limit is a Flask-Limiter string such as ``"30 per hour"`` or
``"30 per hour;5 per minute"``; a malformed one stops start-up with a message naming the variable.

Benchmarks and load tests send everything from 127.0.0.1 through the gateway, so they raise these limits
(``bench.topology.BENCH_LIMITS``); see docs/security.md.
"""

from __future__ import annotations

from flask import Response

from shared.auth import current_principal
from shared.config import Settings
from shared.ratelimit import configured, limit_setting

__all__ = ["LIMITS", "LINK_MISS_SCOPE", "LINK_SCOPE", "configured", "is_staff", "limit_config", "unknown_link"]

LINK_SCOPE = "private-link"
LINK_MISS_SCOPE = "private-link-miss"

# variable -> (Flask config key, default)
LIMITS = {
    # anonymous submissions through the API (staff filing for a resident at the counter are not limited)
    "BOOKING_SUBMIT_LIMIT": ("SUBMIT_LIMIT", "30 per hour"),
    # submissions through the public request form
    "BOOKING_PUBLIC_FORM_LIMIT": ("PUBLIC_FORM_LIMIT", "30 per hour"),
    # every use of a private status link (opening, withdrawing, correcting), API and page
    "BOOKING_STATUS_LINK_LIMIT": ("STATUS_LINK_LIMIT", "300 per hour;60 per minute"),
    # unknown or expired links only: the back-off for someone guessing tokens
    "BOOKING_STATUS_LINK_MISS_LIMIT": ("STATUS_LINK_MISS_LIMIT", "20 per hour"),
}


def limit_config(settings: Settings) -> dict[str, str]:
    """The limits as Flask config. Raises ConfigError naming the variable when a value does not parse."""
    return {key: limit_setting(settings, variable, default) for variable, (key, default) in LIMITS.items()}


def is_staff() -> bool:
    return current_principal() is not None


def unknown_link(response: Response) -> bool:
    return response.status_code == 404
