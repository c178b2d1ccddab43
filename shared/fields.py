"""marshmallow fields shared by the services' schemas."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

import marshmallow as ma
from email_validator import EmailNotValidError, validate_email
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


# Format characters that belong inside text: zero-width (non-)joiners shape Arabic, Persian and Indic words and
# emoji sequences; tag characters spell subdivision flags. Every other format character (bidi overrides and
# isolates, which can make a name read backwards, the BOM, invisible separators) has no place in a name.
_ALLOWED_FORMAT = {"\u200c", "\u200d"} | {chr(c) for c in range(0xE0020, 0xE0080)}


def multi_line_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as free text (None when it can): control characters but tab and newlines,
    and lone surrogates (JSON may carry them; they cannot be encoded, so they would fail later, on output)."""
    for ch in text:
        if (ord(ch) < 32 and ch not in "\t\n\r") or ch == "\x7f" or unicodedata.category(ch) == "Cs":
            return CONTROL_CHARACTERS
    return None


# The API's words; registered as codes (shared.errors.coded) that the pages say in Dutch or English.
SINGLE_LINE_MESSAGE = coded("single_line", "One line, without line breaks or control characters.")
# marshmallow's own words (code email_invalid)
EMAIL_MESSAGE = "Not a valid email address."


def single_line_problem(text: str) -> str | None:
    """Why ``text`` cannot be a one-line value (None when it can).

    One-line values end up in mail headers (a subject naming an asset, a recipient's display name), in CSV
    cells and in one-line displays. A line break there splits a header in two, so CR, LF, VT, FF, NEL, the
    Unicode line and paragraph separators and every other control or stray format character are refused at
    input, where the person who typed them can be told; the mail that would fail later never gets built.
    """
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Zl", "Zp") or (category == "Cf" and ch not in _ALLOWED_FORMAT):
            return SINGLE_LINE_MESSAGE
    return None


class Text(ma.fields.String):
    """A string as people type it: NUL and other control characters (but tabs and newlines) are refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = multi_line_problem(text)
        if problem:
            raise ma.ValidationError(problem)
        return text


class SingleLine(ma.fields.String):
    """A one-line text (a name, a label, a subject, a phone number): see ``single_line_problem``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = single_line_problem(text)
        if problem:
            raise ma.ValidationError(problem)
        return text


def normalise_email(value: str) -> str:
    """The normalised form of a syntactically valid address (domain lower-cased, IDN in Unicode, NFC).

    No DNS or deliverability check: that would make input depend on the network, and an address is confirmed
    by the mail reaching it. Raises ValueError naming what is wrong.
    """
    try:
        checked = validate_email(value, check_deliverability=False, allow_quoted_local=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return str(checked.normalized)


class EmailAddress(ma.fields.String):
    """An e-mail address, checked by email-validator and loaded in its normalised form.

    Quoted local parts (``"a b"@example.be``), where control characters could hide, are refused; so is anything
    with a control character anywhere. At most 254 characters (RFC 5321's path limit, less the brackets).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"format": "email", **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if single_line_problem(text) or len(text) > 254:
            raise ma.ValidationError(EMAIL_MESSAGE)
        try:
            return normalise_email(text.strip())
        except ValueError:
            raise ma.ValidationError(EMAIL_MESSAGE) from None
