"""/inventory/assets: the catalogue, its changes, and each asset's maintenance windows."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.inventory import application
from services.inventory.api.schemas import (
    AssetInSchema,
    AssetOutSchema,
    AssetPatchSchema,
    AssetQuerySchema,
    MaintenanceInSchema,
    MaintenanceOutSchema,
)
from services.inventory.domain import assets, maintenance
from shared.auth import current_principal, require_principal, require_staff
from shared.db import get_session
from shared.http import etag_headers, paginate_query, required_if_match
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("assets", __name__, url_prefix="/assets", description="Lendable assets")


@blp.route("")
class Assets(MethodView):
    @blp.arguments(AssetQuerySchema, location="query")
    @blp.response(200, AssetOutSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """List assets, filtered by category, location, requirement and free text.

        The public sees active assets it may request; staff see everything.
        """
        status = query.get("status", "active")
        is_staff = current_principal() is not None
        filters = assets.AssetFilter(
            category=query.get("category"),
            location_id=query.get("location_id"),
            requirement=query.get("requirement"),
            text=query.get("q"),
            status=None if status == "all" and is_staff else (status if is_staff else "active"),
            public_only=not is_staff,
        )
        return paginate_query(get_session(), assets.filtered_assets_query(filters), pagination_parameters)

    @require_staff
    @blp.arguments(AssetInSchema)
    @blp.response(201, AssetOutSchema)
    @problems(403, 409)
    def post(self, data: dict[str, Any]) -> tuple[Any, int, dict[str, str]]:
        """Add an asset to the catalogue (staff)."""
        asset = application.create_asset(get_session(), data, require_principal())
        return asset, 201, etag_headers(asset.version)


@blp.route("/<int:asset_id>")
class AssetById(MethodView):
    @blp.response(200, AssetOutSchema)
    def get(self, asset_id: int) -> tuple[Any, int, dict[str, str]]:
        """One asset, with its ETag for a later change."""
        asset = assets.get_asset(get_session(), asset_id)
        if not asset.public and current_principal() is None:
            raise assets.AssetNotFound(f"There is no asset {asset_id}.")
        return asset, 200, etag_headers(asset.version)

    @require_staff
    @blp.arguments(AssetPatchSchema)
    @blp.response(200, AssetOutSchema)
    @problems(403, 409, 412, 428)
    def patch(self, data: dict[str, Any], asset_id: int) -> tuple[Any, int, dict[str, str]]:
        """Change an asset (staff). Needs If-Match with the ETag read; a stale one gets 412."""
        expected = required_if_match()
        asset = application.update_asset(get_session(), asset_id, data, expected, require_principal())
        return asset, 200, etag_headers(asset.version)


@blp.route("/<int:asset_id>/retire", methods=["POST"])
@require_staff
@blp.response(200, AssetOutSchema)
@problems(403, 412, 428)
def retire(asset_id: int) -> tuple[Any, int, dict[str, str]]:
    """Retire an asset for good (staff). Needs If-Match."""
    expected = required_if_match()
    asset = application.retire_asset(get_session(), asset_id, expected, require_principal())
    return asset, 200, etag_headers(asset.version)


@blp.route("/<int:asset_id>/maintenance-windows")
class MaintenanceWindows(MethodView):
    @blp.response(200, MaintenanceOutSchema(many=True))
    def get(self, asset_id: int) -> list[Any]:
        """The asset's maintenance windows, earliest first (the public: a public asset's, without reasons)."""
        return maintenance.maintenance_windows_for(get_session(), asset_id, current_principal())

    @require_staff
    @blp.arguments(MaintenanceInSchema)
    @blp.response(201, MaintenanceOutSchema)
    @problems(403, 409)
    def post(self, data: dict[str, Any], asset_id: int) -> Any:
        """Take the asset out of service for a while (staff)."""
        return application.add_maintenance(
            get_session(), asset_id, data["starts_at"], data["ends_at"], data["reason"], require_principal()
        )


@blp.route("/<int:asset_id>/maintenance-windows/<int:window_id>", methods=["DELETE"])
@require_staff
@blp.response(204)
@problems(403)
def remove_window(asset_id: int, window_id: int) -> None:
    """Cancel a maintenance window (staff)."""
    application.remove_maintenance(get_session(), asset_id, window_id, require_principal())
