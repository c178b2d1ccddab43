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

    Raises KeyError for a type the contract does not know.
    """
    version, schema = EVENTS[event_type]
    payload: dict[str, Any] = _SCHEMAS[schema].dump(data)
    return version, payload


def load(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A consumer's typed view of a payload (unknown fields dropped). Raises ma.ValidationError, KeyError."""
    _version, schema = EVENTS[event_type]
    loaded: dict[str, Any] = _SCHEMAS[schema].load(payload)
    return loaded


# one instance per schema: building a marshmallow schema is not free, and these are stateless
_SCHEMAS: dict[type[ma.Schema], ma.Schema] = {schema: schema() for _version, schema in EVENTS.values()}
