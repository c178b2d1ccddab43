"""Input and output schemas of the notify API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notify.models import STATUSES
from shared.timeparse import EARLIEST, LATEST, OUT_OF_RANGE


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String()
    audience = fields.String(validate=validate.OneOf(("requester", "staff")))
    recipient = fields.String(metadata={"description": "part of the email address"})
    request_id = fields.Integer()
    reference = fields.String()
    location_id = fields.Integer()


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
    reason = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    due_at = fields.DateTime()
    not_before = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CallListQuerySchema(Schema):
    location_id = fields.Integer(required=True)
    day = fields.Date(
        validate=validate.Range(min=EARLIEST, max=LATEST, error=OUT_OF_RANGE),
        metadata={"description": "Brussels date; today when left out"},
    )


class CallListEntrySchema(Schema):
    notification_id = fields.Integer()
    request_id = fields.Integer()
    reference = fields.String()
    kind = fields.String()
    what = fields.String()
    due_at = fields.DateTime()
    status = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String(allow_none=True)
    language = fields.String()
    items = fields.String()
    pickup_at = fields.DateTime()
    return_at = fields.DateTime()
