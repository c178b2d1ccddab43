"""Notify's published event contract: the event names and the versioned payload schema of each.

``notify.call.recorded`` (v1): a staff member noted on the call list that they phoned a requester about one of
her messages ("gebeld" = ``reached``, "niet bereikt" = ``unreached``), with an optional note. Booking consumes it
into the request's contact history, so the request's page shows the calls without reading notify's tables.
Notify owns the call list and its audit (``call_outcomes``); the event is a copy of one audit row.

The producer dumps every payload with these schemas (``payload_of``): nothing leaves that the contract does not
name; consumers load leniently (``load``: unknown fields ignored, missing required ones refused). Pure
marshmallow: consumers import this module, nothing else of notify.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from services.inventory.contract import InstantField

PRODUCER = "notify"
CALL_RECORDED = f"{PRODUCER}.call.recorded"
OUTCOMES = ("reached", "unreached")


class _Payload(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # fields added later (same version) are ignored


class CallRecordedPayload(_Payload):
    call_id = ma.fields.Integer(required=True, metadata={"description": "notify's audit row; unique per call"})
    request_id = ma.fields.Integer(required=True)
    reference = ma.fields.String(required=True)
    location_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(
        required=True, metadata={"description": "what the call was about: the message's kind (approved, …)"}
    )
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(OUTCOMES))
    note = ma.fields.String(required=True, allow_none=True, metadata={"description": "what staff wrote; personal data"})
    staff_id = ma.fields.Integer(required=True, allow_none=True)
    staff_name = ma.fields.String(required=True)
    recorded_at = InstantField(required=True)


# event type -> (version, payload schema)
EVENTS: dict[str, tuple[int, type[ma.Schema]]] = {CALL_RECORDED: (1, CallRecordedPayload)}


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


_SCHEMAS: dict[type[ma.Schema], ma.Schema] = {schema: schema() for _version, schema in EVENTS.values()}
