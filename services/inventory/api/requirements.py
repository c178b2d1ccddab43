"""/inventory/requirements: the catalogue of preconditions."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.inventory import application
from services.inventory.api.schemas import RequirementInSchema, RequirementOutSchema, RequirementPatchSchema
from services.inventory.domain import requirements
from shared.auth import require_principal, require_staff
from shared.db import get_session
from shared.http import etag_headers, required_if_match
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("requirements", __name__, url_prefix="/requirements", description="Preconditions")


@blp.route("")
class Requirements(MethodView):
    @blp.response(200, RequirementOutSchema(many=True))
    def get(self) -> list[Any]:
        """The requirement catalogue, by code."""
        return requirements.list_requirements(get_session())

    @require_staff
    @blp.arguments(RequirementInSchema)
    @blp.response(201, RequirementOutSchema)
    @problems(403, 409)
    def post(self, data: dict[str, Any]) -> tuple[Any, int, dict[str, str]]:
        """Add a requirement (staff)."""
        requirement = application.create_requirement(get_session(), data, require_principal())
        return requirement, 201, etag_headers(requirement.version)


@blp.route("/<int:requirement_id>")
class RequirementById(MethodView):
    @blp.response(200, RequirementOutSchema)
    def get(self, requirement_id: int) -> tuple[Any, int, dict[str, str]]:
        requirement = requirements.get_requirement(get_session(), requirement_id)
        return requirement, 200, etag_headers(requirement.version)

    @require_staff
    @blp.arguments(RequirementPatchSchema)
    @blp.response(200, RequirementOutSchema)
    @problems(403, 409, 412, 428)
    def patch(self, data: dict[str, Any], requirement_id: int) -> tuple[Any, int, dict[str, str]]:
        """Change a requirement (staff). Needs If-Match."""
        expected = required_if_match()
        requirement = application.update_requirement(get_session(), requirement_id, data, expected, require_principal())
        return requirement, 200, etag_headers(requirement.version)
