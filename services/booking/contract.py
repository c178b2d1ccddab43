"""Booking's published event contract: the event names and the versioned payload schema of each.

The producer dumps every payload with these schemas (``payload_of``), so nothing leaves that the contract does not
name; notify loads them leniently (``load``: unknown fields ignored, missing required ones refused); the contract
test (tests/integration/test_event_contract.py) runs the real commands and checks notify's handlers and the test
factories against what they emit. Pure marshmallow: consumers import this module, nothing else of booking.

Version 2 of ``booking.request.*`` (December 2026): the snapshot carries the request's own ``version`` (a
counter that grows with every change, so consumers order by it rather than by clock), each item its
``item_id``, a system transition its ``reason_code``; the private link's token left the payload for the
envelope's ``secret`` (see shared/events.py), so no copy of a payload holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import marshmallow as ma

from services.inventory.contract import InstantField

PRODUCER = "booking"
REQUEST_EVENT_VERSION = 2


class RequestEvent(StrEnum):
    """``booking.request.<verb>``: what happened to a request."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    PICKED_UP = "picked_up"
    RETURNED = "returned"
    OVERDUE = "overdue"
    EXPIRED = "expired"
    NO_SHOW = "no_show"
    RESCHEDULED = "rescheduled"
    CONTACT_CHANGED = "contact_changed"

    @property
    def type(self) -> str:
        return f"{PRODUCER}.request.{self.value}"


CONTACT_ANONYMISED = f"{PRODUCER}.contact.anonymised"


class _Payload(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # fields added later (same version) are ignored


class InitiativePayload(_Payload):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class ContactPayload(_Payload):
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True, allow_none=True)
    phone = ma.fields.String(required=True, allow_none=True)
    language = ma.fields.String(required=True, validate=ma.validate.OneOf(("nl", "en")))


class OpeningHoursPayload(_Payload):
    weekday = ma.fields.Integer(required=True)
    opens = ma.fields.String(required=True)
    closes = ma.fields.String(required=True)


class LocationPayload(_Payload):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, allow_none=True)
    street = ma.fields.String(required=True, allow_none=True)
    postal_code = ma.fields.String(required=True, allow_none=True)
    city = ma.fields.String(required=True, allow_none=True)
    phone = ma.fields.String(required=True, allow_none=True)
    email = ma.fields.String(required=True, allow_none=True)
    opening_hours = ma.fields.List(ma.fields.Nested(OpeningHoursPayload), required=True)


class RequirementPayload(_Payload):
    code = ma.fields.String(required=True)
    label_nl = ma.fields.String(required=True)
    label_en = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    answer = ma.fields.String(required=True, allow_none=True)
    verified = ma.fields.Boolean(required=True, allow_none=True)
    provided_by_item = ma.fields.Boolean(load_default=False, metadata={"description": "another item meets it"})


class ItemPayload(_Payload):
    item_id = ma.fields.Integer(load_default=None)
    asset_id = ma.fields.Integer(required=True)
    asset_code = ma.fields.String(required=True, allow_none=True)
    asset_name_nl = ma.fields.String(required=True, allow_none=True)
    asset_name_en = ma.fields.String(required=True, allow_none=True)
    category = ma.fields.String(required=True, allow_none=True)
    quantity = ma.fields.Integer(required=True)
    requirements = ma.fields.List(ma.fields.Nested(RequirementPayload), required=True)


class ProxyPayload(_Payload):
    by_staff_id = ma.fields.Integer(required=True)
    consent = ma.fields.String(required=True, validate=ma.validate.OneOf(("desk", "phone")))


class ActorPayload(_Payload):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(("requester", "staff", "system")))
    staff_id = ma.fields.Integer(required=True, allow_none=True)


class RequestSnapshotPayload(_Payload):
    """The whole request as others may keep it (a consumer replaces its copy with each event)."""

    version = ma.fields.Integer(load_default=None, metadata={"description": "grows with every change (v2)"})
    request_id = ma.fields.Integer(required=True)
    reference = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    initiative = ma.fields.Nested(InitiativePayload, required=True)
    contact = ma.fields.Nested(ContactPayload, required=True)
    location = ma.fields.Nested(LocationPayload, required=True)
    items = ma.fields.List(ma.fields.Nested(ItemPayload), required=True)
    pickup_at = InstantField(required=True)
    return_at = InstantField(required=True)
    actual_pickup_at = InstantField(required=True, allow_none=True)
    actual_return_at = InstantField(required=True, allow_none=True)
    proxy = ma.fields.Nested(ProxyPayload, required=True, allow_none=True)
    created_at = InstantField(
        load_default=None,
        allow_none=True,
        metadata={"description": "when the request was submitted (its expiry counts from it); added in v2"},
    )


class RequestEventPayload(RequestSnapshotPayload):
    reason = ma.fields.String(required=True, allow_none=True, metadata={"description": "what a person wrote"})
    reason_code = ma.fields.String(load_default=None, allow_none=True, metadata={"description": "the system's"})
    actor = ma.fields.Nested(ActorPayload, required=True)


class ContactAnonymisedPayload(_Payload):
    version = ma.fields.Integer(load_default=None, metadata={"description": "the request's version after it"})
    request_id = ma.fields.Integer(required=True)
    reference = ma.fields.String(required=True)
    anonymised_at = InstantField(required=True)
    reason = ma.fields.String(required=True)
    actor = ma.fields.Nested(ActorPayload, required=True)


# event type -> (version, payload schema)
EVENTS: dict[str, tuple[int, type[ma.Schema]]] = {
    **{verb.type: (REQUEST_EVENT_VERSION, RequestEventPayload) for verb in RequestEvent},
    CONTACT_ANONYMISED: (1, ContactAnonymisedPayload),
}


def payload_of(event_type: str, data: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """(version, payload) of ``event_type``: only what the contract names leaves the service.

    A request event with every field of the snapshot, nested ones too, is dumped by ``dump_request_event`` (the
    same result as the schema's dump, at a tenth of its CPU); anything else by the schema. Raises KeyError for a
    type the contract does not know.
    """
    version, schema = EVENTS[event_type]
    if schema is RequestEventPayload and data.keys() >= _EVENT_KEYS:
        try:
            return version, dump_request_event(data)
        except KeyError:  # a nested item, requirement or centre without a field: the schema's dump omits it
            pass
    payload: dict[str, Any] = _SCHEMAS[schema].dump(data)
    return version, payload


# --- the hot path's dumps, written out -------------------------------------------------------------------
# Booking dumps a snapshot on every change (the outbox payload, and the API's answer). marshmallow walks its
# fields one by one (≈ 1 ms of CPU per dump here); these functions give the same dict for a snapshot built by
# ``domain/events.py::request_snapshot`` (every key present), coercing each value as the schema's field would
# (String: str, Integer: int, Boolean: bool, instants: isoformat). tests/unit/test_booking_dumps.py compares them
# with the schemas' dumps; a field added to a schema above must be added here too (that test fails until it is).

_EVENT_KEYS = frozenset(RequestEventPayload._declared_fields)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _instant(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _requirement(req: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "code": _str(req["code"]),
        "label_nl": _str(req["label_nl"]),
        "label_en": _str(req["label_en"]),
        "kind": _str(req["kind"]),
        "answer": _str(req["answer"]),
        "verified": _bool(req["verified"]),
        "provided_by_item": _bool(req["provided_by_item"]),
    }


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "item_id": _int(item["item_id"]),
        "asset_id": _int(item["asset_id"]),
        "asset_code": _str(item["asset_code"]),
        "asset_name_nl": _str(item["asset_name_nl"]),
        "asset_name_en": _str(item["asset_name_en"]),
        "category": _str(item["category"]),
        "quantity": _int(item["quantity"]),
        "requirements": [_requirement(req) for req in item["requirements"]],
    }


_SPAN_FIELDS = (("weekday", _int), ("opens", _str), ("closes", _str))


def _location_of(location: Mapping[str, Any]) -> dict[str, Any]:
    hours = location["opening_hours"]
    return {
        "id": _int(location["id"]),
        "name": _str(location["name"]),
        "street": _str(location["street"]),
        "postal_code": _str(location["postal_code"]),
        "city": _str(location["city"]),
        "phone": _str(location["phone"]),
        "email": _str(location["email"]),
        "opening_hours": None
        if hours is None
        else [
            # the spans come from inventory's events: a key a span lacks is left out, as the schema does
            {key: coerce(span[key]) for key, coerce in _SPAN_FIELDS if key in span}
            for span in hours
        ],
    }


def dump_snapshot(data: Mapping[str, Any]) -> dict[str, Any]:
    """``RequestSnapshotPayload().dump(data)`` for a full snapshot (every key of the schema in ``data``)."""
    initiative, contact, proxy = data["initiative"], data["contact"], data["proxy"]
    return {
        "version": _int(data["version"]),
        "request_id": _int(data["request_id"]),
        "reference": _str(data["reference"]),
        "status": _str(data["status"]),
        "initiative": {"id": _int(initiative["id"]), "name": _str(initiative["name"])},
        "contact": {
            "name": _str(contact["name"]),
            "email": _str(contact["email"]),
            "phone": _str(contact["phone"]),
            "language": _str(contact["language"]),
        },
        "location": _location_of(data["location"]),
        "items": None if data["items"] is None else [_item(item) for item in data["items"]],
        "pickup_at": _instant(data["pickup_at"]),
        "return_at": _instant(data["return_at"]),
        "actual_pickup_at": _instant(data["actual_pickup_at"]),
        "actual_return_at": _instant(data["actual_return_at"]),
        "proxy": None
        if proxy is None
        else {"by_staff_id": _int(proxy["by_staff_id"]), "consent": _str(proxy["consent"])},
        "created_at": _instant(data["created_at"]),
    }


def dump_request_event(data: Mapping[str, Any]) -> dict[str, Any]:
    """``RequestEventPayload().dump(data)`` for a full snapshot with ``reason``, ``reason_code`` and ``actor``."""
    actor = data["actor"]
    return {
        **dump_snapshot(data),
        "reason": _str(data["reason"]),
        "reason_code": _str(data["reason_code"]),
        "actor": None if actor is None else {"kind": _str(actor["kind"]), "staff_id": _int(actor["staff_id"])},
    }


def load(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A consumer's typed view of a payload (unknown fields dropped). Raises ma.ValidationError, KeyError."""
    _version, schema = EVENTS[event_type]
    loaded: dict[str, Any] = _SCHEMAS[schema].load(payload)
    return loaded


# one instance per schema: building a marshmallow schema is not free, and these are stateless
_SCHEMAS: dict[type[ma.Schema], ma.Schema] = {schema: schema() for _version, schema in EVENTS.values()}
