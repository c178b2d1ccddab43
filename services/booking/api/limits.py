"""The booking API's limiter (see services.booking.limits for the limits and their settings)."""

from __future__ import annotations

from shared.ratelimit import make_limiter

limiter = make_limiter()
