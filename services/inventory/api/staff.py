"""/inventory/staff-accounts: administrators manage the staff accounts (role, centres, active, password).

A change of what a credential claims voids the sessions and tokens signed before it, at every service
(``services.inventory.application.change_staff`` → ``domain/staff.py::change_staff``).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.inventory import application
from services.inventory.api.schemas import StaffInSchema, StaffOutSchema, StaffPatchSchema
from services.inventory.domain import staff
from shared.auth import require_admin, require_principal
from shared.db import get_session
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("staff_accounts", __name__, url_prefix="/staff-accounts", description="Staff accounts (admins)")


@blp.route("")
class StaffAccounts(MethodView):
    @require_admin
    @blp.response(200, StaffOutSchema(many=True))
    def get(self) -> list[Any]:
        """Every staff account."""
        return staff.list_staff(get_session())

    @require_admin
    @blp.arguments(StaffInSchema)
    @blp.response(201, StaffOutSchema)
    @problems(409)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a staff account."""
        return application.add_staff(get_session(), data, require_principal())


@blp.route("/<int:staff_id>")
class StaffAccountById(MethodView):
    @require_admin
    @blp.response(200, StaffOutSchema)
    def get(self, staff_id: int) -> Any:
        return staff.get_account(get_session(), staff_id)

    @require_admin
    @blp.arguments(StaffPatchSchema)
    @blp.response(200, StaffOutSchema)
    def patch(self, data: dict[str, Any], staff_id: int) -> Any:
        """Change an account; a new role, centres, active flag or password voids its older credentials."""
        return application.change_staff(get_session(), staff_id, data, require_principal())
