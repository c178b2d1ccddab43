"""Input and output schemas of the booking API (input and output differ, so they are separate)."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

from services.booking.models import STATUSES
from shared.fields import EmailAddress, Instant, SingleLine

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{1,39}$", error="Not a requirement code.")
_PHONE = re.compile(r"^\+?[0-9 ./()-]{8,25}$")


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def _check_phone(value: str) -> None:
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 8:
        raise ma.ValidationError("Geen geldig telefoonnummer; bijvoorbeeld 09 266 00 02 of +32 470 12 34 56.")


class ContactSchema(StrictSchema):
    name = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    email = EmailAddress(allow_none=True, load_default=None, validate=validate.Length(max=200))
    phone = SingleLine(allow_none=True, load_default=None, validate=_check_phone)
    language = ma.fields.String(load_default="nl", validate=validate.OneOf(("nl", "en")))


class ContactPatchSchema(ContactSchema):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[arg-type]


class AnswerField(ma.fields.Field):
    """A requirement answer: true for a confirmation, otherwise text (a plate, a licence category)."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> object:
        if isinstance(value, bool) or (isinstance(value, str) and len(value) <= 200):
            return value
        raise ma.ValidationError("Answer with true, or with text of at most 200 characters.")


class AnswersField(ma.fields.Field):
    """``{requirement code: answer}``; a bad answer is reported under its code (``answers.trekhaak``)."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> dict[str, object]:
        if not isinstance(value, dict):
            raise ma.ValidationError("Give the answers as an object: {requirement code: answer}.")
        errors: dict[str, list[str]] = {}
        result: dict[str, object] = {}
        answer = AnswerField()
        for key, item in value.items():
            if not isinstance(key, str) or not re.match(r"^[a-z0-9][a-z0-9_-]{1,39}$", key):
                errors[str(key)] = ["Not a requirement code."]
                continue
            try:
                result[key] = answer.deserialize(item)
            except ma.ValidationError as error:
                errors[key] = list(error.messages) if isinstance(error.messages, list) else [str(error.messages)]
        if errors:
            raise ma.ValidationError(errors)  # type: ignore[arg-type]
        return result


class ItemInSchema(StrictSchema):
    asset_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    quantity = ma.fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=1000))
    answers = AnswersField(load_default=dict, metadata={"description": "{requirement code: true or text}"})


class ProxySchema(StrictSchema):
    consent = ma.fields.String(
        required=True,
        validate=validate.OneOf(("desk", "phone")),
        metadata={"description": "How the resident agreed: at the desk or by phone"},
    )


class RequestInSchema(StrictSchema):
    initiative = SingleLine(
        required=True, validate=validate.Length(min=1, max=200), metadata={"description": "Organisation name"}
    )
    contact = ma.fields.Nested(ContactSchema, required=True)
    purpose = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    pickup_at = Instant(required=True, metadata={"description": "ISO 8601; without offset: Brussels time"})
    return_at = Instant(required=True)
    items = ma.fields.List(ma.fields.Nested(ItemInSchema), required=True, validate=validate.Length(min=1, max=20))
    proxy = ma.fields.Nested(ProxySchema, allow_none=True, load_default=None, metadata={"description": "staff only"})


class ReasonSchema(StrictSchema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=2000))


class ApproveSchema(ReasonSchema):
    override_buffers = ma.fields.Boolean(
        load_default=False, metadata={"description": "Book without the turnaround buffers (needs a reason)"}
    )


class PickupSchema(StrictSchema):
    checks = ma.fields.Dict(keys=ma.fields.String(validate=CODE), values=ma.fields.Boolean(), load_default=dict)
    notes = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReturnSchema(StrictSchema):
    condition = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    damage = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RescheduleSchema(ReasonSchema):
    pickup_at = Instant(load_default=None, allow_none=True)
    return_at = Instant(required=True)


class VerifySchema(StrictSchema):
    verified = ma.fields.Boolean(required=True, metadata={"description": "true: met; false: not met"})
    answer = AnswerField(load_default=None, allow_none=True)


class RequestQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    asset_id = ma.fields.Integer(validate=validate.Range(min=1))
    location_id = ma.fields.Integer(validate=validate.Range(min=1))
    starts = Instant(data_key="from")
    ends = Instant(data_key="to")
    q = ma.fields.String(validate=validate.Length(min=1, max=100))


class AvailabilityQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    asset_id = ma.fields.Integer(validate=validate.Range(min=1))
    location_id = ma.fields.Integer(validate=validate.Range(min=1))
    starts = Instant(data_key="from", required=True)
    ends = Instant(data_key="to", required=True)
    slot = ma.fields.String(load_default="day", validate=validate.OneOf(("day", "hour")))

    @ma.validates_schema
    def _one_of(self, data: dict[str, object], **kwargs: object) -> None:
        if ("asset_id" in data) == ("location_id" in data):
            raise ma.ValidationError("Give either asset_id or location_id.", "asset_id")


class SearchQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    pickup_at = Instant(required=True)
    return_at = Instant(required=True)
    category = ma.fields.String(validate=validate.Length(min=1, max=30))
    quantity = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))


# --- output ---------------------------------------------------------------------------------------------


class RequirementOutSchema(ma.Schema):
    code = ma.fields.String()
    label_nl = ma.fields.String()
    label_en = ma.fields.String()
    kind = ma.fields.String()
    answer = ma.fields.String(allow_none=True)
    verified = ma.fields.Boolean(allow_none=True)


class ItemOutSchema(ma.Schema):
    item_id = ma.fields.Integer()
    asset_id = ma.fields.Integer()
    asset_code = ma.fields.String(allow_none=True)
    asset_name_nl = ma.fields.String(allow_none=True)
    asset_name_en = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True)
    quantity = ma.fields.Integer()
    requirements = ma.fields.List(ma.fields.Nested(RequirementOutSchema))


class RequestOutSchema(ma.Schema):
    request_id = ma.fields.Integer()
    reference = ma.fields.String()
    status = ma.fields.String()
    initiative = ma.fields.Dict()
    contact = ma.fields.Dict()
    location = ma.fields.Dict()
    purpose = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(ItemOutSchema))
    pickup_at = ma.fields.String()
    return_at = ma.fields.String()
    actual_pickup_at = ma.fields.String(allow_none=True)
    actual_return_at = ma.fields.String(allow_none=True)
    proxy = ma.fields.Dict(allow_none=True)
    created_at = ma.fields.String()
    age_hours = ma.fields.Float(metadata={"description": "How long since it was submitted"})
    maintenance_hit = ma.fields.Boolean(metadata={"description": "A maintenance window arrived over this loan"})
    status_url = ma.fields.String(metadata={"description": "Only in the answer to a create: the private link"})


class StaffRequestOutSchema(RequestOutSchema):
    competition = ma.fields.Dict(
        metadata={"description": "Conflicting bookings, competing requests, unmet requirements"}
    )
    initiative_history = ma.fields.List(ma.fields.Dict(), metadata={"description": "Earlier requests, damage notes"})
    initiative_contacts = ma.fields.List(ma.fields.Dict(), metadata={"description": "Contact persons seen"})


class AuditOutSchema(ma.Schema):
    at = ma.fields.AwareDateTime()
    action = ma.fields.String()
    actor_kind = ma.fields.String()
    staff_id = ma.fields.Integer(allow_none=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(allow_none=True)


class StatusOutSchema(RequestOutSchema):
    history = ma.fields.List(ma.fields.Dict())


class LinkOutSchema(ma.Schema):
    status_url = ma.fields.String()


class AvailabilityOutSchema(ma.Schema):
    asset_id = ma.fields.Integer()
    asset_code = ma.fields.String()
    quantity = ma.fields.Integer()
    slots = ma.fields.List(ma.fields.Dict())


class SearchOutSchema(ma.Schema):
    location_id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    street = ma.fields.String(allow_none=True)
    assets = ma.fields.List(ma.fields.Dict())
