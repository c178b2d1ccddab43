"""/inventory/locations: community centres and pick-up points with their opening hours."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.inventory import application
from services.inventory.api.schemas import LocationInSchema, LocationOutSchema, LocationPatchSchema
from services.inventory.domain import locations
from shared.auth import require_principal, require_staff
from shared.db import get_session
from shared.http import etag_headers, required_if_match
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("locations", __name__, url_prefix="/locations", description="Pick-up points")


@blp.route("")
class Locations(MethodView):
    @blp.response(200, LocationOutSchema(many=True))
    def get(self) -> list[Any]:
        """All locations, by name."""
        return locations.list_locations(get_session())

    @require_staff
    @blp.arguments(LocationInSchema)
    @blp.response(201, LocationOutSchema)
    @problems(403, 409)
    def post(self, data: dict[str, Any]) -> tuple[Any, int, dict[str, str]]:
        """Add a location (staff)."""
        location = application.create_location(get_session(), data, require_principal())
        return location, 201, etag_headers(location.version)


@blp.route("/<int:location_id>")
class LocationById(MethodView):
    @blp.response(200, LocationOutSchema)
    def get(self, location_id: int) -> tuple[Any, int, dict[str, str]]:
        location = locations.get_location(get_session(), location_id)
        return location, 200, etag_headers(location.version)

    @require_staff
    @blp.arguments(LocationPatchSchema)
    @blp.response(200, LocationOutSchema)
    @problems(403, 409, 412, 428)
    def patch(self, data: dict[str, Any], location_id: int) -> tuple[Any, int, dict[str, str]]:
        """Change a location or its opening hours (staff). Needs If-Match."""
        expected = required_if_match()
        location = application.update_location(get_session(), location_id, data, expected, require_principal())
        return location, 200, etag_headers(location.version)
