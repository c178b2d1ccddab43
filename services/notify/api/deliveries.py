"""/notify/deliveries: the delivery log (staff); /notify/dead-letters: events that kept failing (staff)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.notify.api.schemas import DeadLetterOutSchema, DeliveryOutSchema, DeliveryQuerySchema, ReplayOutSchema
from services.notify.domain.notifications import search_notifications
from services.notify.models import DeadLetter, ProcessedEvent, ScheduledNotification
from shared.auth import require_admin, require_principal, require_staff
from shared.consumer import replay_dead_letter
from shared.db import get_database, get_session
from shared.errors import Conflict, NotFound
from shared.http import paginate_query

blp = Blueprint("deliveries", __name__, description="Delivery log and dead letters")


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


@blp.route("/dead-letters")
class DeadLetters(MethodView):
    @require_admin
    @blp.response(200, DeadLetterOutSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Any]:
        """Events that kept failing after their retries, newest first, with the error."""
        query = sa.select(DeadLetter).order_by(DeadLetter.id.desc())
        return paginate_query(get_session(), query, pagination_parameters)


@blp.route("/dead-letters/<int:dead_letter_id>/replay")
class ReplayDeadLetter(MethodView):
    @require_admin
    @blp.response(200, ReplayOutSchema)
    def post(self, dead_letter_id: int) -> dict[str, Any]:
        """Apply the event again now (idempotent: an event processed meanwhile is a no-op). 409 if it fails again."""
        database = get_database()
        handlers = current_app.extensions["notify_handlers"]
        try:
            outcome = replay_dead_letter(database, ProcessedEvent, DeadLetter, dead_letter_id, handlers)
        except LookupError:
            raise NotFound(f"No dead letter {dead_letter_id}.") from None
        except Exception as error:
            raise Conflict(f"The event failed again: {type(error).__name__}: {error}") from None
        with database.session_factory() as session:
            return {"outcome": outcome, "dead_letter": session.get(DeadLetter, dead_letter_id)}
