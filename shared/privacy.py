"""GDPR plumbing every service that holds personal data shares: who asked for what (the audit table mixin),
and how a person is looked up (normalised email and phone).

Each service declares ``class PrivacyAction(PrivacyActionMixin, Base)``; the table is that service's own.
The audit row never holds the identifier itself (that would keep the very data that was erased): only its
kind and an (unsalted) sha256 fingerprint, enough to show that two actions concerned the same person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate
from sqlalchemy.orm import Mapped, mapped_column

from shared import clock
from shared.db import UTCDateTime

ERASED = "(gewist)"
ACTIONS = ("export", "erase", "retention")
SUBJECT_KINDS = ("email", "phone", "request_id")
SUBJECT_FIELDS = SUBJECT_KINDS
# Characters people type inside phone numbers; stripped before comparing.
PHONE_NOISE = (" ", ".", "/", "-", "(", ")")


class PrivacyActionMixin:
    """One export, erasure or retention batch: who (staff id, or none for the system), when, what, how many."""

    __tablename__ = "privacy_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    staff_id: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    subject_kind: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    subject_fingerprint: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    request_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    rows: Mapped[int] = mapped_column(sa.Integer, default=0)
    reason: Mapped[str | None] = mapped_column(sa.Text, default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)


@dataclass(frozen=True)
class Subject:
    """The person a request is about, named by one identifier: an email, a phone number or a request id."""

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in SUBJECT_KINDS:
            raise ValueError(f"unknown subject kind {self.kind!r}")

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.kind}:{self.normalised}".encode()).hexdigest()

    @property
    def normalised(self) -> str:
        if self.kind == "email":
            return email_key(self.value)
        if self.kind == "phone":
            return national_phone(self.value)
        return str(int(self.value))


def email_key(value: str) -> str:
    """How an address is compared: trimmed and lower-cased (Unicode), the same as ``email_key_sql`` in SQL.

    ``str.lower`` rather than ``casefold``: SQL has only ``lower`` (PostgreSQL's is Unicode-aware in a UTF-8
    locale, SQLite's is made so in ``shared.db``), and the two sides of a comparison must agree on every
    character (casefold turns 'ß' into 'ss', lower keeps it).
    """
    return value.strip().lower()


def email_key_sql(column: Any) -> Any:
    """``email_key`` of a column, in SQL: every e-mail comparison in a query goes through this."""
    return sa.func.lower(sa.func.trim(column))


def strip_phone(value: str) -> str:
    for noise in PHONE_NOISE:
        value = value.replace(noise, "")
    return value


def national_phone(value: str) -> str:
    """``+32 470 12 34 56``, ``0032470123456`` and ``0470/12.34.56`` all become ``0470123456``."""
    digits = strip_phone(value.strip())
    if digits.startswith("+32"):
        return "0" + digits[3:]
    if digits.startswith("0032"):
        return "0" + digits[4:]
    return digits


def phone_spellings(value: str) -> list[str]:
    """The stripped forms a stored number equal to ``value`` can have (national, +32, 0032)."""
    national = national_phone(value)
    if national.startswith("0") and not national.startswith("00"):
        rest = national[1:]
        return [national, "+32" + rest, "0032" + rest]
    return [national]


def stripped_phone_sql(column: Any) -> Any:
    """SQL that strips PHONE_NOISE from ``column`` (PostgreSQL and SQLite both have ``replace``)."""
    expression = column
    for noise in PHONE_NOISE:
        expression = sa.func.replace(expression, noise, "")
    return expression


class SubjectSchema(ma.Schema):
    """The body naming the person: exactly one of ``email``, ``phone``, ``request_id``; loads ``subject``."""

    class Meta:
        unknown = ma.RAISE

    email = ma.fields.Email(validate=validate.Length(max=200))
    phone = ma.fields.String(validate=validate.Regexp(r"^\+?[0-9 ./()-]{8,25}$", error="Not a phone number."))
    request_id = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1))

    @ma.validates_schema
    def _exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = [name for name in SUBJECT_FIELDS if data.get(name) is not None]
        if len(given) != 1:
            raise ma.ValidationError("Give exactly one of email, phone or request_id.", "email")

    @ma.post_load
    def _subject(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        kind = next(name for name in SUBJECT_FIELDS if data.get(name) is not None)
        return {**data, "subject": Subject(kind, str(data[kind]))}
