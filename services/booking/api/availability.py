"""/booking/availability and /booking/search: free quantities, and "for these dates, what can I borrow, where?"."""

from __future__ import annotations

from typing import Any

from services.booking.api.schemas import (
    AvailabilityOutSchema,
    AvailabilityQuerySchema,
    SearchOutSchema,
    SearchQuerySchema,
)
from services.booking.queries import availability as queries
from shared import clock
from shared.auth import current_principal
from shared.db import get_session
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("availability", __name__, url_prefix="", description="Availability and search")


@blp.route("/availability")
@blp.arguments(AvailabilityQuerySchema, location="query")
@blp.response(200, AvailabilityOutSchema(many=True))
@problems(404)
def availability(query: dict[str, Any]) -> list[dict[str, Any]]:
    """Free units of an asset, or of every asset at a location, per Brussels day or per hour."""
    return queries.availability_of(
        get_session(),
        query["starts"],
        query["ends"],
        query["slot"],
        asset_id=query.get("asset_id"),
        location_id=query.get("location_id"),
        is_staff=current_principal() is not None,
    )


@blp.route("/search")
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, SearchOutSchema(many=True))
def search(query: dict[str, Any]) -> list[dict[str, Any]]:
    """For these dates: what can I borrow, and where? (buffers included)."""
    return queries.what_can_i_borrow(
        get_session(),
        query["pickup_at"],
        query["return_at"],
        query.get("category"),
        query["quantity"],
        clock.now(),
        is_staff=current_principal() is not None,
    )
