"""/notify/deliveries: the delivery log (staff)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.notify.api.schemas import DeliveryOutSchema, DeliveryQuerySchema
from services.notify.domain.notifications import search_notifications
from services.notify.models import ScheduledNotification
from shared.auth import require_principal, require_staff
from shared.db import get_session
from shared.http import paginate_query
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("deliveries", __name__, description="Delivery log")


@blp.route("/deliveries")
class Deliveries(MethodView):
    @require_staff
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliveryOutSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """Every notification with its recipient, kind, language, status (and why), attempts, times.

        Staff see their own centres; admins all.
        """
        principal = require_principal()
        query = search_notifications(get_session(), filters)
        if not principal.is_admin:
            query = query.where(ScheduledNotification.location_id.in_(sorted(principal.location_ids)))
        return paginate_query(get_session(), query, pagination_parameters)
