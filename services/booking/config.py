"""Booking's own settings (``BOOKING_*`` environment variables), on top of shared.config."""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import Settings, int_setting


@dataclass(frozen=True)
class BookingPolicy:
    expire_after_hours: int = 72  # a request nobody decides on within this time expires
    no_show_grace_hours: int = 24  # an approved loan not picked up this long after pick-up time is released
    status_link_days: int = 180  # a private status link stops working after this many days
    idempotency_hours: int = 48  # Idempotency-Keys are kept at least this long (the contract says 24)
    retention_days: int = 365  # personal data of a closed request is anonymised this long after it ended
    retention_batch: int = 200  # requests anonymised per transaction by the retention scan


def load_policy(settings: Settings) -> BookingPolicy:
    """Raises ConfigError naming the variable when a value is malformed."""
    return BookingPolicy(
        expire_after_hours=int_setting(settings, "BOOKING_EXPIRE_AFTER_HOURS", 72, minimum=1),
        no_show_grace_hours=int_setting(settings, "BOOKING_NO_SHOW_GRACE_HOURS", 24, minimum=0),
        status_link_days=int_setting(settings, "BOOKING_STATUS_LINK_DAYS", 180, minimum=1),
        idempotency_hours=int_setting(settings, "BOOKING_IDEMPOTENCY_HOURS", 48, minimum=24),
        retention_days=int_setting(settings, "BOOKING_RETENTION_DAYS", 365, minimum=30),
        retention_batch=int_setting(settings, "BOOKING_RETENTION_BATCH", 200, minimum=1),
    )


def current_policy() -> BookingPolicy:
    """The policy of the running app (``create_app`` and ``create_pages_app`` put it there)."""
    from flask import current_app

    policy: BookingPolicy = current_app.extensions["booking_policy"]
    return policy
