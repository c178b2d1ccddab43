"""Inventory's published event contract: the vocabulary and the versioned payload schema of every event.

The producer dumps every payload with these schemas (``payload_of``), so nothing leaves that the contract does not
name; consumers (booking's copy, notify's copy) load with them leniently (``load``: unknown fields are ignored,
a missing field is an error), and ``tests/integration/test_event_contract.py`` runs the real producers against
the consumers and the test factories. This module imports nothing of inventory's models or of Flask, so a
consumer may import it. A change that removes or retypes a field needs a new version number here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import marshmallow as ma

PRODUCER = "inventory"


class RequirementKind(StrEnum):
    """What kind of answer a requirement asks of the borrower."""

    CONFIRM = "confirm"  # "I bring a car with a tow hitch": yes, or borrow what provides it
    LICENSE_PLATE = "license_plate"  # the towing car's plate, for the trailer's reproduction plate
    DRIVER_CATEGORY = "driver_category"  # the driver's licence category
    TEXT = "text"


class Category(StrEnum):
    GIVE_BOX = "give_box"
    CARAVAN = "caravan"
    VEHICLE = "vehicle"
    TOOL = "tool"
    SEWING_MACHINE = "sewing_machine"
    REPAIR_KIT = "repair_kit"
    OTHER = "other"


class AssetStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class InstantField(ma.fields.Field):
    """An aware instant on the wire as ISO 8601 with its offset; loads as an aware datetime."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.isoformat() if isinstance(value, datetime) else str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            instant = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ma.ValidationError("Not an ISO 8601 instant.") from None
        if instant.tzinfo is None:
            raise ma.ValidationError("An instant needs its offset.")
        return instant


class _Payload(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # consumers tolerate fields added later (same version)


class OpeningHoursPayload(_Payload):
    weekday = ma.fields.Integer(required=True)
    opens = ma.fields.String(required=True, metadata={"description": "HH:MM, Brussels"})
    closes = ma.fields.String(required=True)


class ClosurePayload(_Payload):
    """Days the centre is closed although its timetable says open; both days included, Brussels dates."""

    id = ma.fields.Integer(required=True)
    starts_on = ma.fields.String(required=True, metadata={"description": "YYYY-MM-DD, the first closed day"})
    ends_on = ma.fields.String(required=True, metadata={"description": "YYYY-MM-DD, the last closed day"})
    reason = ma.fields.String(required=True, metadata={"description": "one line, said to whoever asks that day"})


class LocationPayload(_Payload):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    street = ma.fields.String(required=True)
    postal_code = ma.fields.String(required=True)
    city = ma.fields.String(required=True)
    phone = ma.fields.String(required=True, allow_none=True)
    email = ma.fields.String(required=True, allow_none=True)
    opening_hours = ma.fields.List(ma.fields.Nested(OpeningHoursPayload), required=True)
    # Added within version 1 (an added field needs no new version): producers always send it, consumers read
    # an older event without it as "no closures".
    closures = ma.fields.List(ma.fields.Nested(ClosurePayload), load_default=list)
    version = ma.fields.Integer(required=True)


class RequirementPayload(_Payload):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(list(RequirementKind)))
    label_nl = ma.fields.String(required=True)
    label_en = ma.fields.String(required=True)
    explanation_nl = ma.fields.String(required=True, allow_none=True)
    explanation_en = ma.fields.String(required=True, allow_none=True)
    provided_by_asset_id = ma.fields.Integer(required=True, allow_none=True)
    version = ma.fields.Integer(required=True)


class AssetPayload(_Payload):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name_nl = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    location_id = ma.fields.Integer(required=True)
    quantity = ma.fields.Integer(required=True)
    turnaround_before_hours = ma.fields.Integer(required=True)
    turnaround_after_hours = ma.fields.Integer(required=True)
    lead_time_hours = ma.fields.Integer(required=True)
    min_loan_hours = ma.fields.Integer(required=True)
    max_loan_hours = ma.fields.Integer(required=True, allow_none=True)
    public = ma.fields.Boolean(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(AssetStatus)))
    requirement_codes = ma.fields.List(ma.fields.String(), required=True)
    version = ma.fields.Integer(required=True)


class MaintenanceWindowPayload(_Payload):
    id = ma.fields.Integer(required=True)
    asset_id = ma.fields.Integer(required=True)
    starts_at = InstantField(required=True)
    ends_at = InstantField(required=True)
    reason = ma.fields.String(required=True)


class TokenRevokedPayload(_Payload):
    """A session or token revoked; every credential naming it among its ancestors dies with it."""

    token_id = ma.fields.String(required=True)
    kind = ma.fields.String(load_default="token", validate=ma.validate.OneOf(("token", "session")))
    revoked_at = InstantField(required=True)
    expires_at = InstantField(required=True)


class StaffChangedPayload(_Payload):
    """What an account's credentials claim changed: credentials of an older generation are void."""

    staff_id = ma.fields.Integer(required=True)
    generation = ma.fields.Integer(required=True)
    changed_at = InstantField(required=True)


# event type -> (version, payload schema)
EVENTS: dict[str, tuple[int, type[ma.Schema]]] = {
    "inventory.location.created": (1, LocationPayload),
    "inventory.location.updated": (1, LocationPayload),
    "inventory.requirement.created": (1, RequirementPayload),
    "inventory.requirement.updated": (1, RequirementPayload),
    "inventory.asset.created": (1, AssetPayload),
    "inventory.asset.updated": (1, AssetPayload),
    "inventory.asset.retired": (1, AssetPayload),
    "inventory.maintenance_window.added": (1, MaintenanceWindowPayload),
    "inventory.maintenance_window.removed": (1, MaintenanceWindowPayload),
    "inventory.token.revoked": (1, TokenRevokedPayload),
    "inventory.staff.changed": (1, StaffChangedPayload),
}


def payload_of(event_type: str, data: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """(version, payload) of ``event_type`` for ``data``: only what the contract names leaves the service.

    Raises KeyError for a type the contract does not know (the contract test checks the shape of what is dumped).
    """
    version, schema = EVENTS[event_type]
    payload: dict[str, Any] = schema().dump(data)
    return version, payload


def load(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A consumer's view of the payload: typed, unknown fields dropped. Raises ma.ValidationError, KeyError."""
    _version, schema = EVENTS[event_type]
    loaded: dict[str, Any] = schema().load(payload)
    return loaded
