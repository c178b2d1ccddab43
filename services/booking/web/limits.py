"""The pages' limiter (limits and their settings: services.booking.limits); a friendly Dutch page answers a 429."""

from __future__ import annotations

from shared.ratelimit import make_limiter

limiter = make_limiter()
