"""marshmallow fields shared by the services' schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma
from marshmallow import validate

from shared.errors import coded
from shared.timeparse import INVALID, parse_instant

CONTROL_CHARACTERS = coded("control_characters", "Contains characters that are not allowed.")


class Instant(ma.fields.DateTime):
    """An ISO 8601 date-time; without an offset it is Europe/Brussels wall-clock time (DST checked).

    Always loads as an aware UTC datetime and dumps with its offset.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise ma.ValidationError(INVALID)
        try:
            return parse_instant(value)
        except ValueError as error:
            raise ma.ValidationError(str(error)) from None


class StrictInteger(ma.fields.Integer):
    """A JSON integer: 2.5 or "3" are refused rather than truncated or coerced."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)


MAX_ID = 2**31 - 1
ID = validate.Range(min=1, max=MAX_ID, error="Not a valid id.")


class Text(ma.fields.String):
    """A string as people type it: NUL and other control characters (but tabs and newlines) are refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
            raise ma.ValidationError(CONTROL_CHARACTERS)
        return text
