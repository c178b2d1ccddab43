"""Input and output schemas of the booking API (input and output differ, so they are separate).

Input schemas load into the typed commands of ``domain/commands.py`` (the pages build the same commands from
their forms with the same schemas); output schemas say exactly what an answer holds, so the OpenAPI document
does too. Our own validators' messages are registered as codes (``shared.errors.coded``), so the pages can say
them in Dutch.
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from marshmallow import validate

from services.booking import contract
from services.booking.domain import commands
from services.booking.domain.vocabulary import Consent, Language, Status
from shared.errors import coded
from shared.fields import EmailAddress, Instant, SingleLine

CODE = validate.Regexp(
    r"^[a-z0-9][a-z0-9_-]{1,39}$", error=coded("requirement_code_invalid", "Not a requirement code.")
)
_PHONE = re.compile(r"^\+?[0-9 ./()-]{8,25}$")
PHONE_INVALID = coded("phone_invalid", "Not a valid phone number; for example 09 266 00 02 or +32 470 12 34 56.")
ANSWER_INVALID = coded("answer_invalid", "Answer with true, or with text of at most 200 characters.")
ANSWERS_NOT_OBJECT = coded("answers_not_object", "Give the answers as an object: {requirement code: answer}.")


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class CommandSchema(StrictSchema):
    """Loads straight into ``command`` (a dataclass of domain/commands.py)."""

    command: type

    @ma.post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return self.command(**data)


def _check_phone(value: str) -> None:
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 8:
        raise ma.ValidationError(PHONE_INVALID)


class ContactSchema(StrictSchema):
    name = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    email = EmailAddress(allow_none=True, load_default=None, validate=validate.Length(max=200))
    phone = SingleLine(allow_none=True, load_default=None, validate=_check_phone)
    language = ma.fields.Enum(Language, by_value=True, load_default=Language.NL)

    @ma.post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        if self.partial:
            return commands.ChangeContact(**data, given=frozenset(data))
        return commands.Contact(**data)


class ContactPatchSchema(ContactSchema):
    """Loads into ``ChangeContact``: a field left out stays as it is, ``null`` clears an e-mail or phone."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[arg-type]


class AnswerField(ma.fields.Field):
    """A requirement answer: true for a confirmation, otherwise text (a plate, a licence category)."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> object:
        if isinstance(value, bool) or (isinstance(value, str) and len(value) <= 200):
            return value
        raise ma.ValidationError(ANSWER_INVALID)


class AnswersField(ma.fields.Field):
    """``{requirement code: answer}``; a bad answer is reported under its code (``answers.trekhaak``)."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> dict[str, object]:
        if not isinstance(value, dict):
            raise ma.ValidationError(ANSWERS_NOT_OBJECT)
        errors: dict[str, list[str]] = {}
        result: dict[str, object] = {}
        answer = AnswerField()
        for key, item in value.items():
            if not isinstance(key, str) or not re.match(r"^[a-z0-9][a-z0-9_-]{1,39}$", key):
                errors[str(key)] = [CODE.error]
                continue
            try:
                result[key] = answer.deserialize(item)
            except ma.ValidationError as error:
                errors[key] = list(error.messages) if isinstance(error.messages, list) else [str(error.messages)]
        if errors:
            raise ma.ValidationError(errors)  # type: ignore[arg-type]
        return result


class ItemInSchema(CommandSchema):
    command = commands.WantedItem
    asset_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    quantity = ma.fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=1000))
    answers = AnswersField(load_default=dict, metadata={"description": "{requirement code: true or text}"})


class ProxySchema(StrictSchema):
    consent = ma.fields.Enum(
        Consent, by_value=True, required=True, metadata={"description": "How the resident agreed: desk or phone"}
    )


class RequestInSchema(StrictSchema):
    """Loads into ``SubmitRequest``."""

    initiative = SingleLine(
        required=True, validate=validate.Length(min=1, max=200), metadata={"description": "Organisation name"}
    )
    contact = ma.fields.Nested(ContactSchema, required=True)
    purpose = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    pickup_at = Instant(required=True, metadata={"description": "ISO 8601; without offset: Brussels time"})
    return_at = Instant(required=True)
    items = ma.fields.List(ma.fields.Nested(ItemInSchema), required=True, validate=validate.Length(min=1, max=20))
    proxy = ma.fields.Nested(ProxySchema, allow_none=True, load_default=None, metadata={"description": "staff only"})
    file_if_taken = ma.fields.Boolean(
        load_default=True,
        metadata={
            "description": "Dates already lent out or under maintenance: true (default) files the request anyway, "
            "as a wish staff see beside what is in its way; false refuses it with 422 dates_taken"
        },
    )

    @ma.post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> commands.SubmitRequest:
        proxy = data.pop("proxy")
        return commands.SubmitRequest(
            **{**data, "items": tuple(data["items"])}, consent=proxy["consent"] if proxy else None
        )


def _reason() -> ma.fields.String:
    return ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=2000))


class RejectSchema(CommandSchema):
    command = commands.Reject
    reason = _reason()


class CancelSchema(CommandSchema):
    command = commands.Cancel
    reason = _reason()


class WithdrawSchema(CommandSchema):
    command = commands.Withdraw
    reason = _reason()


class ApproveSchema(CommandSchema):
    command = commands.Approve
    reason = _reason()
    override_buffers = ma.fields.Boolean(
        load_default=False, metadata={"description": "Book without the turnaround buffers (needs a reason)"}
    )


class PickupSchema(CommandSchema):
    command = commands.PickUp
    checks = ma.fields.Dict(
        keys=ma.fields.String(validate=CODE),
        values=ma.fields.Boolean(),
        load_default=dict,
        metadata={"description": "{requirement code: checked at the desk}; every requirement must be checked"},
    )
    notes = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    override_reason = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "why the asset goes out with a check not done (kept in the audit)"},
    )


class ReturnSchema(CommandSchema):
    command = commands.Return
    condition = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    damage = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RescheduleSchema(CommandSchema):
    command = commands.Reschedule
    reason = _reason()
    pickup_at = Instant(load_default=None, allow_none=True)
    return_at = Instant(required=True)


class VerifySchema(StrictSchema):
    """Loads the body of ``VerifyRequirement`` (the item and the requirement come from the path)."""

    verified = ma.fields.Boolean(required=True, metadata={"description": "true: met; false: not met"})
    answer = AnswerField(load_default=None, allow_none=True)


class RequestQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    status = ma.fields.Enum(Status, by_value=True)
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
            raise ma.ValidationError(
                coded("either_asset_or_location", "Give either asset_id or location_id."), "asset_id"
            )


class SearchQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    pickup_at = Instant(required=True)
    return_at = Instant(required=True)
    category = ma.fields.String(validate=validate.Length(min=1, max=30))
    quantity = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))


# --- output ---------------------------------------------------------------------------------------------


class OpeningHoursOutSchema(ma.Schema):
    weekday = ma.fields.Integer(metadata={"description": "0 = Monday"})
    opens = ma.fields.String(metadata={"description": "HH:MM, Brussels"})
    closes = ma.fields.String()


class LocationOutSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    street = ma.fields.String(allow_none=True)
    postal_code = ma.fields.String(allow_none=True)
    city = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    opening_hours = ma.fields.List(ma.fields.Nested(OpeningHoursOutSchema))


class InitiativeOutSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class ContactOutSchema(ma.Schema):
    name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    language = ma.fields.String(metadata={"description": "nl or en: the language of the messages"})


class ProxyOutSchema(ma.Schema):
    by_staff_id = ma.fields.Integer()
    consent = ma.fields.String(metadata={"description": "desk or phone"})


class RequirementOutSchema(ma.Schema):
    code = ma.fields.String()
    label_nl = ma.fields.String()
    label_en = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "confirm, license_plate, driver_category or text"})
    answer = ma.fields.String(allow_none=True)
    verified = ma.fields.Boolean(allow_none=True)
    provided_by_item = ma.fields.Boolean(metadata={"description": "another item of the request meets it"})


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
    reference = ma.fields.String(metadata={"description": "what the requester quotes (UIT-7K3M9Q2P)"})
    version = ma.fields.Integer(metadata={"description": "grows with every change"})
    status = ma.fields.String(metadata={"description": ", ".join(Status)})
    initiative = ma.fields.Nested(InitiativeOutSchema)
    contact = ma.fields.Nested(ContactOutSchema)
    location = ma.fields.Nested(LocationOutSchema)
    purpose = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(ItemOutSchema))
    pickup_at = ma.fields.AwareDateTime()
    return_at = ma.fields.AwareDateTime()
    actual_pickup_at = ma.fields.AwareDateTime(allow_none=True)
    actual_return_at = ma.fields.AwareDateTime(allow_none=True)
    proxy = ma.fields.Nested(ProxyOutSchema, allow_none=True)
    created_at = ma.fields.AwareDateTime()
    age_hours = ma.fields.Float(metadata={"description": "How long since it was submitted"})
    maintenance_hit = ma.fields.Boolean(metadata={"description": "A maintenance window arrived over this loan"})
    status_url = ma.fields.String(
        metadata={"description": "Only in the answer to a create (and its replay): the private link's path"}
    )


def dump_request_out(view: dict[str, Any]) -> dict[str, Any]:
    """``RequestOutSchema().dump(view)`` for a command's answer (``present.outcome_view``: the snapshot with every
    key, plus ``purpose``, ``age_hours``, ``maintenance_hit`` and maybe ``status_url``), written out for the hot
    path: the snapshot's part is the contract's ``dump_snapshot`` (the nested output schemas name the same fields
    as the payload's). tests/unit/test_booking_dumps.py holds it equal to the schema's dump."""
    out = contract.dump_snapshot(view)
    purpose, age = view["purpose"], view["age_hours"]
    out["purpose"] = None if purpose is None else str(purpose)
    out["age_hours"] = None if age is None else float(age)
    out["maintenance_hit"] = None if view["maintenance_hit"] is None else bool(view["maintenance_hit"])
    if "status_url" in view:
        out["status_url"] = None if view["status_url"] is None else str(view["status_url"])
    return out


class BookingInWayOutSchema(ma.Schema):
    asset_id = ma.fields.Integer()
    request_id = ma.fields.Integer()
    reference = ma.fields.String()
    quantity = ma.fields.Integer()
    blocked_from = ma.fields.String()
    blocked_until = ma.fields.String()


class CompetingOutSchema(ma.Schema):
    asset_id = ma.fields.Integer()
    request_id = ma.fields.Integer()
    reference = ma.fields.String()
    pickup_at = ma.fields.String()
    return_at = ma.fields.String()


class MaintenanceOutSchema(ma.Schema):
    asset_id = ma.fields.Integer()
    starts_at = ma.fields.String()
    ends_at = ma.fields.String()
    reason = ma.fields.String()


class UnmetOutSchema(ma.Schema):
    item_id = ma.fields.Integer()
    asset_id = ma.fields.Integer()
    code = ma.fields.String()
    answer = ma.fields.String(allow_none=True)
    verified = ma.fields.Boolean(allow_none=True)


class CompetitionOutSchema(ma.Schema):
    conflicting_bookings = ma.fields.List(ma.fields.Nested(BookingInWayOutSchema))
    competing_requests = ma.fields.List(ma.fields.Nested(CompetingOutSchema))
    maintenance = ma.fields.List(ma.fields.Nested(MaintenanceOutSchema))
    unmet_requirements = ma.fields.List(ma.fields.Nested(UnmetOutSchema))
    maintenance_hits = ma.fields.List(ma.fields.Nested(MaintenanceOutSchema))


class HistoryEntryOutSchema(ma.Schema):
    request_id = ma.fields.Integer()
    reference = ma.fields.String()
    status = ma.fields.String()
    pickup_at = ma.fields.String()
    damage = ma.fields.String(allow_none=True)


class InitiativeContactOutSchema(ma.Schema):
    name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)


class StaffRequestOutSchema(RequestOutSchema):
    competition = ma.fields.Nested(CompetitionOutSchema)
    initiative_history = ma.fields.List(
        ma.fields.Nested(HistoryEntryOutSchema),
        metadata={"description": "The initiative's other requests at your centres, with damage notes"},
    )
    initiative_contacts = ma.fields.List(
        ma.fields.Nested(InitiativeContactOutSchema),
        metadata={"description": "The initiative's contact persons seen at your centres"},
    )


class AuditOutSchema(ma.Schema):
    at = ma.fields.AwareDateTime()
    action = ma.fields.String()
    actor_kind = ma.fields.String()
    staff_id = ma.fields.Integer(allow_none=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(allow_none=True)


class RequesterHistoryOutSchema(ma.Schema):
    at = ma.fields.AwareDateTime()
    action = ma.fields.String()
    by = ma.fields.String(attribute="actor_kind")
    status = ma.fields.String(attribute="to_status")
    reason = ma.fields.String(allow_none=True)


class StatusOutSchema(RequestOutSchema):
    history = ma.fields.List(ma.fields.Nested(RequesterHistoryOutSchema))


class LinkOutSchema(ma.Schema):
    status_url = ma.fields.String()


class SlotOutSchema(ma.Schema):
    start = ma.fields.String()
    end = ma.fields.String()
    free = ma.fields.Integer()


class AvailabilityOutSchema(ma.Schema):
    asset_id = ma.fields.Integer()
    asset_code = ma.fields.String()
    quantity = ma.fields.Integer()
    slots = ma.fields.List(ma.fields.Nested(SlotOutSchema))


class OfferedAssetOutSchema(ma.Schema):
    asset_id = ma.fields.Integer()
    code = ma.fields.String()
    name_nl = ma.fields.String()
    name_en = ma.fields.String()
    category = ma.fields.String()
    free = ma.fields.Integer()


class SearchOutSchema(ma.Schema):
    location_id = ma.fields.Integer()
    name = ma.fields.String(allow_none=True)
    street = ma.fields.String(allow_none=True)
    assets = ma.fields.List(ma.fields.Nested(OfferedAssetOutSchema))
