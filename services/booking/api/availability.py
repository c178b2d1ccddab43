"""/booking/availability and /booking/search: free quantities, and "for these dates, what can I borrow, where?"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.booking.api.schemas import (
    AvailabilityOutSchema,
    AvailabilityQuerySchema,
    SearchOutSchema,
    SearchQuerySchema,
)
from services.booking.domain import queries
from services.booking.models import InvAsset
from shared.auth import current_principal
from shared.db import get_session
from shared.errors import NotFound
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("availability", __name__, url_prefix="", description="Availability and search")


@blp.route("/availability")
@blp.arguments(AvailabilityQuerySchema, location="query")
@blp.response(200, AvailabilityOutSchema(many=True))
@problems(404)
def availability(query: dict[str, Any]) -> list[dict[str, Any]]:
    """Free units of an asset, or of every asset at a location, per Brussels day or per hour."""
    session = get_session()
    select = sa.select(InvAsset).where(InvAsset.status == "active").order_by(InvAsset.id)
    if current_principal() is None:
        select = select.where(InvAsset.public.is_(True))
    if "asset_id" in query:
        select = select.where(InvAsset.id == query["asset_id"])
    else:
        select = select.where(InvAsset.location_id == query["location_id"])
    assets = list(session.scalars(select))
    if "asset_id" in query and not assets:
        raise NotFound(f"There is no asset {query['asset_id']}.")
    bounds = queries.slot_boundaries(query["starts"], query["ends"], query["slot"])
    return queries.availability(session, assets, bounds)


@blp.route("/search")
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, SearchOutSchema(many=True))
def search(query: dict[str, Any]) -> list[dict[str, Any]]:
    """For these dates: what can I borrow, and where? (buffers included)."""
    return queries.what_can_i_borrow(
        get_session(), query["pickup_at"], query["return_at"], query.get("category"), query["quantity"]
    )
