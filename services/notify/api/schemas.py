"""Input and output schemas of the notify API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from services.notify.api.reasons import reason_text
from services.notify.domain.reasons import Reason
from services.notify.models import CALL_OUTCOMES, STATUSES
from shared.timeparse import EARLIEST, LATEST, OUT_OF_RANGE


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String()
    audience = fields.String(validate=validate.OneOf(("requester", "staff")))
    recipient = fields.String(metadata={"description": "part of the email address"})
    request_id = fields.Integer()
    reference = fields.String()
    location_id = fields.Integer()
    reason = fields.String(validate=validate.OneOf([str(r) for r in Reason]), metadata={"description": "a code"})


class DeliveryOutSchema(Schema):
    id = fields.Integer()
    delivery_key = fields.String()
    request_id = fields.Integer(allow_none=True)
    location_id = fields.Integer(allow_none=True)
    kind = fields.String()
    audience = fields.String()
    recipient = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True, metadata={"description": "why not sent (or not by mail): a code"})
    reason_params = fields.Dict(allow_none=True, metadata={"description": "the code's parameters"})
    reason_text = fields.Method("english_reason", metadata={"description": "the reason in English"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    due_at = fields.DateTime()
    not_before = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    call_outcome = fields.String(allow_none=True)
    call_note = fields.String(allow_none=True)
    called_at = fields.DateTime(allow_none=True)

    def english_reason(self, row: Any) -> str | None:
        return reason_text(row.reason, row.reason_params)


class CallListQuerySchema(Schema):
    location_id = fields.Integer(metadata={"description": "one centre; every centre of the caller when left out"})
    day = fields.Date(
        validate=validate.Range(min=EARLIEST, max=LATEST, error=OUT_OF_RANGE),
        metadata={"description": "Brussels date; today when left out"},
    )


class CallFactSchema(Schema):
    label = fields.String()
    value = fields.String()


class CallListEntrySchema(Schema):
    notification_id = fields.Integer()
    request_id = fields.Integer()
    reference = fields.String()
    location_id = fields.Integer()
    location_name = fields.String()
    kind = fields.String()
    what = fields.String(metadata={"description": "the message's subject, in the resident's language"})
    facts = fields.List(fields.Nested(CallFactSchema), metadata={"description": "what to say, resident's language"})
    due_at = fields.DateTime()
    status = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String(allow_none=True)
    language = fields.String()
    items = fields.String()
    pickup_at = fields.DateTime()
    return_at = fields.DateTime()
    call_outcome = fields.String(allow_none=True, validate=validate.OneOf(CALL_OUTCOMES))
    call_note = fields.String(allow_none=True)
    called_at = fields.DateTime(allow_none=True)
    called_by = fields.String(allow_none=True)
