"""Small HTTP helpers every service uses: ETags over row versions, If-Match, pagination of a query."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import Session

from shared.errors import InvalidInput, PreconditionRequired

_ETAG = re.compile(r'^(?:W/)?"v?(\d+)"$')


def etag_for(version: int) -> str:
    return f'"v{version}"'


def etag_headers(version: int) -> dict[str, str]:
    return {"ETag": etag_for(version)}


def required_if_match() -> int:
    """The version named by If-Match. Raises PreconditionRequired (428) without one, InvalidInput if garbled."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired(
            "Send the ETag you read in an If-Match header, so that a change made in the meantime is not lost."
        )
    match = _ETAG.match(header.strip())
    if match is None:
        raise InvalidInput(
            'If-Match must be an ETag this service gave out, like "v3".',
            errors=[{"field": "If-Match", "pointer": "", "in": "headers", "detail": "not an ETag of this service"}],
        )
    return int(match.group(1))


def paginate_query(session: Session, query: sa.Select[Any], pagination: Any) -> list[Any]:
    """Apply flask-smorest's pagination parameters to a select, setting the total item count."""
    count_query = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    pagination.item_count = session.scalar(count_query) or 0
    page_query = query.limit(pagination.page_size).offset(pagination.first_item)
    return list(session.scalars(page_query).unique())
