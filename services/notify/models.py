"""The notify service's tables (SQLAlchemy 2, typed). No other service reads them.

``bookings``/``booking_items``/``locations``/``assets`` are notify's own copies, fed by events only.
``scheduled_notifications`` is both the schedule and the delivery log: one row per message that should go out,
keyed by a unique ``delivery_key`` (booking, kind, due time), claimed by the dispatcher, kept with its outcome.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared import clock
from shared.consumer import DeadLetterMixin
from shared.db import NAMING_CONVENTION, UTCDateTime
from shared.events import OutboxMixin, ProcessedEventMixin
from shared.privacy import PrivacyActionMixin
from shared.revocations import RevokedTokenMixin, StaffChangeMixin

# scheduled: waits for due_at/not_before; sending: claimed (lease_until); sent; failed (permanent or retries
# spent); skipped (with a reason code: rescheduled, cancelled, no longer relevant …); call_list: for staff to phone.
STATUSES = ("scheduled", "sending", "sent", "failed", "skipped", "call_list")
# What staff noted after phoning someone on the call list: reached them, or not (then it stays on the list).
CALL_OUTCOMES = ("reached", "unreached")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class OutboxEvent(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class RevokedToken(RevokedTokenMixin, Base):
    """API tokens inventory revoked (from ``inventory.token.revoked``): refused here too."""


class StaffChange(StaffChangeMixin, Base):
    """Staff whose claims changed (from ``inventory.staff.changed``): older credentials refused here too."""


class DeadLetter(DeadLetterMixin, Base):
    pass


class PrivacyAction(PrivacyActionMixin, Base):
    """The GDPR audit of notify: every export of a person's data (services/notify/domain/privacy.py)."""


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Asset(Base):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(sa.String(40))
    category: Mapped[str] = mapped_column(sa.String(40))
    location_id: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Booking(Base):
    __tablename__ = "bookings"

    request_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    reference: Mapped[str] = mapped_column(sa.String(40), index=True)
    status: Mapped[str] = mapped_column(sa.String(30))
    location_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    language: Mapped[str] = mapped_column(sa.String(2), default="nl")
    pickup_at: Mapped[datetime] = mapped_column(UTCDateTime())
    return_at: Mapped[datetime] = mapped_column(UTCDateTime())
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the request's own change counter (booking.request.* v2): events are applied in this order
    version: Mapped[int | None] = mapped_column(sa.Integer, default=None)

    items: Mapped[list[BookingItem]] = relationship(cascade="all, delete-orphan")


class BookingItem(Base):
    __tablename__ = "booking_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.request_id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    category: Mapped[str] = mapped_column(sa.String(40))


class ScheduledNotification(Base):
    __tablename__ = "scheduled_notifications"
    __table_args__ = (sa.Index("ix_scheduled_notifications_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    request_id: Mapped[int | None] = mapped_column(sa.Integer, index=True, default=None)
    location_id: Mapped[int | None] = mapped_column(sa.Integer, index=True, default=None)
    kind: Mapped[str] = mapped_column(sa.String(40))
    audience: Mapped[str] = mapped_column(sa.String(20))  # requester | staff
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(20), default="scheduled")
    # why it was not sent (or not by mail): a code of services/notify/domain/reasons.py, with its parameters
    reason: Mapped[str | None] = mapped_column(sa.Text, default=None)
    reason_params: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    recipient: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    language: Mapped[str | None] = mapped_column(sa.String(2), default=None)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    message_id: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # the private link's token for this message (from the event's secret); cleared once the row is settled
    secret: Mapped[str | None] = mapped_column(sa.Text, default=None)
    # The call list (requesters without e-mail): the Brussels day the message is first on it (its due day, or the
    # day it was planned when that was later: never a day already past), and the last outcome staff noted.
    call_day: Mapped[date | None] = mapped_column(sa.Date, index=True, default=None)
    call_outcome: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    call_note: Mapped[str | None] = mapped_column(sa.Text, default=None)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    called_by: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)


class CallOutcome(Base):
    """The audit of the call list: every "gebeld" / "niet bereikt" a staff member noted, with its note."""

    __tablename__ = "call_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scheduled_notifications.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text, default=None)
    staff_id: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    staff_name: Mapped[str] = mapped_column(sa.String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class CalendarFeed(Base):
    """A calendar feed anyone with its secret address can subscribe to (a calendar app sends no cookie).

    Only the SHA-256 of the address's random token is kept: the address is shown once, when staff make or renew
    it; revoking it (or renewing, which revokes the old one) makes the old address a 404 at once.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(20))  # asset | location
    target_id: Mapped[int] = mapped_column(sa.Integer)
    location_id: Mapped[int] = mapped_column(sa.Integer, index=True)  # the centre whose staff manage it
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CapturedMail(Base):
    """Mail the embedded default keeps instead of sending (readable at /notify/outbox-mail)."""

    __tablename__ = "captured_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text)
    ics: Mapped[str | None] = mapped_column(sa.Text, default=None)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
