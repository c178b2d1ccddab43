"""``/<service>/dead-letters``: the events a consumer gave up on, for operators to read and replay (admins).

Every consuming service mounts the same blueprint over its own tables (``make_dead_letter_blueprint``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, fields

from shared.auth import require_admin
from shared.consumer import Handler, UnknownDeadLetter, replay_dead_letter
from shared.db import get_database, get_session
from shared.errors import Conflict, NotFound
from shared.http import paginate_query
from shared.openapi import problems
from shared.web import ApiBlueprint


class DeadLetterOutSchema(Schema):
    id = fields.Integer()
    event_id = fields.UUID()
    type = fields.String()
    envelope = fields.Dict()
    error = fields.String()
    attempts = fields.Integer()
    failed_at = fields.DateTime()
    replayed_at = fields.DateTime(allow_none=True)


class ReplayOutSchema(Schema):
    outcome = fields.String()
    dead_letter = fields.Nested(DeadLetterOutSchema)


def make_dead_letter_blueprint(
    dead_letter_model: Any, processed_model: Any, handlers: Callable[[], dict[str, Handler]]
) -> ApiBlueprint:
    blp = ApiBlueprint("dead_letters", __name__, url_prefix="/dead-letters", description="Events that kept failing")

    @blp.route("")
    class DeadLetters(MethodView):
        @require_admin
        @blp.response(200, DeadLetterOutSchema(many=True))
        @blp.paginate()
        def get(self, pagination_parameters: Any) -> list[Any]:
            """Events that kept failing after their retries, newest first, with the error (admins)."""
            query = sa.select(dead_letter_model).order_by(dead_letter_model.id.desc())
            return paginate_query(get_session(), query, pagination_parameters)

    @blp.route("/<int:dead_letter_id>/replay")
    class ReplayDeadLetter(MethodView):
        @require_admin
        @blp.response(200, ReplayOutSchema)
        @problems(409)
        def post(self, dead_letter_id: int) -> dict[str, Any]:
            """Apply the event again now (a no-op if it was processed meanwhile); 409 if it fails again."""
            database = get_database()
            try:
                outcome = replay_dead_letter(database, processed_model, dead_letter_model, dead_letter_id, handlers())
            except UnknownDeadLetter:
                raise NotFound(f"No dead letter {dead_letter_id}.") from None
            except Exception as error:
                raise Conflict(f"The event failed again: {type(error).__name__}.") from None
            with database.session_factory() as session:
                return {"outcome": outcome, "dead_letter": session.get(dead_letter_model, dead_letter_id)}

    return blp
