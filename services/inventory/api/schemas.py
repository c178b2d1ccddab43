"""Input and output schemas of the inventory API (separate, as input and output differ)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from services.inventory.models import CATEGORIES, REQUIREMENT_KINDS
from shared.auth import current_principal
from shared.fields import ID, EmailAddress, Instant, SingleLine, StrictInteger, Text

CODE = validate.Regexp(
    r"^[a-z0-9][a-z0-9_-]{1,39}$",
    error="Use 2-40 lower-case letters, digits, '-' or '_', starting with a letter or digit.",
)
HOURS = validate.Range(min=0, max=24 * 366)


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class OpeningHoursSchema(StrictSchema):
    weekday = StrictInteger(
        required=True,
        validate=validate.Range(min=0, max=6),
        metadata={"description": "0 = Monday … 6 = Sunday"},
    )
    opens = ma.fields.Time(required=True, format="%H:%M")
    closes = ma.fields.Time(required=True, format="%H:%M")


class LocationInSchema(StrictSchema):
    code = Text(required=True, validate=CODE)
    name = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    street = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    postal_code = Text(required=True, validate=validate.Regexp(r"^\d{4}$", error="A Belgian postal code has 4 digits."))
    city = SingleLine(load_default="Gent", validate=validate.Length(min=1, max=100))
    phone = SingleLine(allow_none=True, validate=validate.Length(max=40))
    email = EmailAddress(allow_none=True, validate=validate.Length(max=200))
    opening_hours = ma.fields.List(ma.fields.Nested(OpeningHoursSchema), load_default=list)


class LocationPatchSchema(LocationInSchema):
    """Only the fields sent are changed."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[arg-type]


class ClosureOutSchema(ma.Schema):
    id = ma.fields.Integer()
    starts_on = ma.fields.Date(metadata={"description": "the first closed day (Brussels)"})
    ends_on = ma.fields.Date(metadata={"description": "the last closed day, included"})
    reason = Text()


class LocationBriefSchema(ma.Schema):
    """A location as an asset names it."""

    id = ma.fields.Integer()
    code = Text()
    name = Text()
    street = Text()
    postal_code = Text()
    city = Text()
    phone = Text(allow_none=True)
    email = Text(allow_none=True)
    opening_hours = ma.fields.List(ma.fields.Nested(OpeningHoursSchema))
    version = ma.fields.Integer()


class LocationOutSchema(LocationBriefSchema):
    # days closed although the hours say open; planned on the centre's page (/inventory/beheer/centra/<id>)
    closures = ma.fields.List(ma.fields.Nested(ClosureOutSchema))


class RequirementInSchema(StrictSchema):
    code = Text(required=True, validate=CODE)
    kind = Text(
        required=True,
        validate=validate.OneOf(REQUIREMENT_KINDS),
        metadata={"description": "What the borrower provides: confirm (a yes), license_plate, driver_category, text"},
    )
    label_nl = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    label_en = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    explanation_nl = Text(load_default="", validate=validate.Length(max=2000))
    explanation_en = Text(load_default="", validate=validate.Length(max=2000))
    provided_by_asset_id = StrictInteger(
        allow_none=True,
        validate=ID,
        metadata={"description": "An asset that meets this requirement when borrowed too (the city's van)"},
    )


class RequirementPatchSchema(RequirementInSchema):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[arg-type]


class RequirementOutSchema(ma.Schema):
    id = ma.fields.Integer()
    code = Text()
    kind = Text()
    label_nl = Text()
    label_en = Text()
    explanation_nl = Text()
    explanation_en = Text()
    provided_by_asset_id = ma.fields.Method("_provider", allow_none=True, metadata={"type": "integer"})
    version = ma.fields.Integer()

    def _provider(self, requirement: Any) -> int | None:
        # A staff-only asset (the city's van) does not exist for the public, not even as an id.
        provider = requirement.provided_by
        if provider is None or (not provider.public and current_principal() is None):
            return None
        return int(provider.id)


class AssetInSchema(StrictSchema):
    code = Text(required=True, validate=CODE)
    name_nl = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    name_en = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    description_nl = Text(load_default="", validate=validate.Length(max=5000))
    description_en = Text(load_default="", validate=validate.Length(max=5000))
    category = Text(required=True, validate=validate.OneOf(CATEGORIES))
    location_id = StrictInteger(required=True, validate=ID)
    quantity = StrictInteger(
        load_default=1, validate=validate.Range(min=1, max=10_000, error="Quantity must be at least 1.")
    )
    turnaround_before_hours = StrictInteger(load_default=0, validate=HOURS)
    turnaround_after_hours = StrictInteger(load_default=0, validate=HOURS)
    lead_time_hours = StrictInteger(load_default=0, validate=HOURS)
    min_loan_hours = StrictInteger(load_default=1, validate=validate.Range(min=1, max=24 * 366))
    max_loan_hours = StrictInteger(allow_none=True, load_default=None, validate=validate.Range(min=1, max=24 * 366))
    public = ma.fields.Boolean(load_default=True, metadata={"description": "false: only staff may book it"})
    requirement_codes = ma.fields.List(Text(validate=CODE), load_default=list)


class AssetPatchSchema(AssetInSchema):
    """Only the fields sent are changed."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(partial=True, **kwargs)  # type: ignore[arg-type]


class AssetOutSchema(ma.Schema):
    id = ma.fields.Integer()
    code = Text()
    name_nl = Text()
    name_en = Text()
    description_nl = Text()
    description_en = Text()
    category = Text()
    location_id = ma.fields.Integer()
    location = ma.fields.Nested(LocationBriefSchema)  # its closures: GET /locations/{id}
    quantity = ma.fields.Integer()
    turnaround_before_hours = ma.fields.Integer()
    turnaround_after_hours = ma.fields.Integer()
    lead_time_hours = ma.fields.Integer()
    min_loan_hours = ma.fields.Integer()
    max_loan_hours = ma.fields.Integer(allow_none=True)
    public = ma.fields.Boolean()
    status = Text()
    requirements = ma.fields.List(ma.fields.Nested(RequirementOutSchema))
    version = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class AssetQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    category = Text(validate=validate.OneOf(CATEGORIES))
    location_id = ma.fields.Integer(validate=ID)
    requirement = Text(validate=CODE)
    q = Text(validate=validate.Length(min=1, max=100), metadata={"description": "free text"})
    status = Text(load_default="active", validate=validate.OneOf(("active", "retired", "all")))


class MaintenanceInSchema(StrictSchema):
    starts_at = Instant(required=True, metadata={"description": "ISO 8601; without offset: Brussels time"})
    ends_at = Instant(required=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class MaintenanceOutSchema(ma.Schema):
    id = ma.fields.Integer()
    asset_id = ma.fields.Integer()
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    reason = Text(allow_none=True, metadata={"description": "staff only: null for the public"})


class LoginSchema(StrictSchema):
    email = EmailAddress(required=True)
    password = Text(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class PrincipalSchema(ma.Schema):
    staff_id = ma.fields.Integer()
    name = Text()
    role = Text()
    location_ids = ma.fields.List(ma.fields.Integer())
    via = Text()


class StaffInSchema(StrictSchema):
    email = EmailAddress(required=True, validate=validate.Length(max=200))
    name = SingleLine(required=True, validate=validate.Length(min=1, max=200))
    password = Text(required=True, load_only=True, validate=validate.Length(min=12, max=200))
    role = Text(load_default="staff", validate=validate.OneOf(("staff", "admin")))
    location_ids = ma.fields.List(StrictInteger(validate=ID), load_default=list, metadata={"description": "centres"})


class StaffPatchSchema(StrictSchema):
    """Only the fields sent are changed; a change of role, centres, active or password voids older credentials."""

    name = SingleLine(validate=validate.Length(min=1, max=200))
    password = Text(load_only=True, validate=validate.Length(min=12, max=200))
    role = Text(validate=validate.OneOf(("staff", "admin")))
    location_ids = ma.fields.List(StrictInteger(validate=ID))
    active = ma.fields.Boolean()


class StaffOutSchema(ma.Schema):
    id = ma.fields.Integer()
    email = Text()
    name = Text()
    role = Text()
    location_ids = ma.fields.Method("_location_ids", metadata={"type": "array", "items": {"type": "integer"}})
    active = ma.fields.Boolean()
    claims_generation = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()

    def _location_ids(self, account: Any) -> list[int]:
        return [location.id for location in account.locations]


class TokenInSchema(StrictSchema):
    name = SingleLine(required=True, validate=validate.Length(min=1, max=100))


class TokenQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    staff_id = ma.fields.Integer(validate=ID, metadata={"description": "administrators: one staff member's tokens"})


class TokenOutSchema(ma.Schema):
    id = Text()
    name = Text()
    staff_id = ma.fields.Integer()
    parent_id = Text(allow_none=True, metadata={"description": "the session or token that minted it"})
    parent_kind = Text(allow_none=True, metadata={"description": "session or token; null: none (command line)"})
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime()
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    token = Text(metadata={"description": "Shown once, at creation"})
