"""The pages' abuse limit: the public request form (a friendly Dutch page answers a 429)."""

from __future__ import annotations

from flask import current_app

from shared.ratelimit import make_limiter

limiter = make_limiter()


def public_form_limit() -> str:
    return str(current_app.config["PUBLIC_FORM_LIMIT"])
