"""The booking service's tables (SQLAlchemy 2, typed). No other service reads them.

Two groups: the *copy* of what booking needs from inventory (``inv_*``, written only by
``domain.inventory_copy`` from inventory's events) and booking's own data (initiatives, requests, items,
allocations, audit trail, private status links, idempotency keys).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared import clock
from shared.consumer import DeadLetterMixin
from shared.db import NAMING_CONVENTION, UTCDateTime
from shared.events import OutboxMixin, ProcessedEventMixin
from shared.privacy import PrivacyActionMixin
from shared.revocations import RevokedTokenMixin, StaffChangeMixin

STATUSES = (
    "requested",
    "approved",
    "rejected",
    "withdrawn",
    "expired",
    "cancelled",
    "no_show",
    "picked_up",
    "overdue",
    "returned",
)
# Statuses whose items hold an allocation (the asset is promised or away).
ALLOCATING_STATUSES = ("approved", "picked_up", "overdue", "returned")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class OutboxEvent(OutboxMixin, Base):
    pass


class RevokedToken(RevokedTokenMixin, Base):
    """API tokens inventory revoked (from ``inventory.token.revoked``): refused here too."""


class StaffChange(StaffChangeMixin, Base):
    """Staff whose claims changed (from ``inventory.staff.changed``): older credentials refused here too."""


class DeadLetter(DeadLetterMixin, Base):
    """Inventory events that kept failing here, with their error; operators replay them."""


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class PrivacyAction(PrivacyActionMixin, Base):
    """The GDPR audit: every export, erasure and retention batch (see domain/privacy.py)."""


# --- the copy of inventory -------------------------------------------------------------------------------


class InvLocation(Base):
    __tablename__ = "inv_locations"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    street: Mapped[str] = mapped_column(sa.String(200))
    postal_code: Mapped[str] = mapped_column(sa.String(10))
    city: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    email: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    version: Mapped[int] = mapped_column(sa.Integer)


class InvRequirement(Base):
    __tablename__ = "inv_requirements"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(sa.String(40), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    label_nl: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str] = mapped_column(sa.String(200))
    provided_by_asset_id: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    version: Mapped[int] = mapped_column(sa.Integer)


class InvAsset(Base):
    """Booking's copy of an asset; its row is also the lock every allocation writer takes first."""

    __tablename__ = "inv_assets"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(sa.String(40))
    name_nl: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(30))
    location_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    quantity: Mapped[int] = mapped_column(sa.Integer)
    turnaround_before_hours: Mapped[int] = mapped_column(sa.Integer, default=0)
    turnaround_after_hours: Mapped[int] = mapped_column(sa.Integer, default=0)
    lead_time_hours: Mapped[int] = mapped_column(sa.Integer, default=0)
    min_loan_hours: Mapped[int] = mapped_column(sa.Integer, default=1)
    max_loan_hours: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    public: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    requirement_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    version: Mapped[int] = mapped_column(sa.Integer)


class InvMaintenanceWindow(Base):
    """A maintenance window; ``removed_at`` is a tombstone so a late redelivered 'added' cannot revive it."""

    __tablename__ = "inv_maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    asset_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


# --- booking's own data ----------------------------------------------------------------------------------


class Initiative(Base):
    """A neighbourhood initiative; recognised again by its normalised name."""

    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class BookingRequest(Base):
    __tablename__ = "requests"
    __table_args__ = (
        sa.CheckConstraint("return_at > pickup_at", name="return_after_pickup"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status_known"),
        sa.CheckConstraint(
            "contact_email IS NOT NULL OR contact_phone IS NOT NULL OR anonymised_at IS NOT NULL",
            name="contact_reachable",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="requested", index=True)
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiatives.id"), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    language: Mapped[str] = mapped_column(sa.String(2), default="nl")
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    location_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    pickup_at: Mapped[datetime] = mapped_column(UTCDateTime())
    return_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actual_pickup_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    actual_return_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    proxy_by_staff_id: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    proxy_consent: Mapped[str | None] = mapped_column(sa.String(10), default=None)
    pickup_checks: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    return_condition: Mapped[str | None] = mapped_column(sa.Text, default=None)
    damage: Mapped[str | None] = mapped_column(sa.Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    initiative: Mapped[Initiative] = relationship()
    items: Mapped[list[RequestItem]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestItem.id"
    )

    __mapper_args__ = {"version_id_col": version}


class RequestItem(Base):
    __tablename__ = "request_items"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.UniqueConstraint("request_id", "asset_id", name="uq_request_items_request_asset"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    quantity: Mapped[int] = mapped_column(sa.Integer)

    request: Mapped[BookingRequest] = relationship(back_populates="items")
    requirements: Mapped[list[ItemRequirement]] = relationship(
        cascade="all, delete-orphan", order_by="ItemRequirement.code"
    )


class ItemRequirement(Base):
    """The borrower's answer to one requirement of one item, and whether staff verified it."""

    __tablename__ = "item_requirements"
    __table_args__ = (sa.UniqueConstraint("item_id", "code", name="uq_item_requirements_item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("request_items.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(20))
    answer: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    # None: not checked yet; True: staff saw it; False: staff found it not met (blocks approval).
    verified: Mapped[bool | None] = mapped_column(sa.Boolean, default=None)
    verified_by: Mapped[int | None] = mapped_column(sa.Integer, default=None)


class Allocation(Base):
    """One approved or running item: the asset, how many, and the blocked half-open range [from, until).

    On PostgreSQL, single-unit rows also carry an exclusion constraint (see the migration).
    """

    __tablename__ = "allocations"
    __table_args__ = (
        sa.CheckConstraint("blocked_until > blocked_from", name="range_not_empty"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        # by end first: a window in the present scans what ends after it starts, not the whole history
        sa.Index("ix_allocations_asset_until", "asset_id", "blocked_until", "blocked_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("request_items.id", ondelete="CASCADE"), unique=True)
    asset_id: Mapped[int] = mapped_column(sa.Integer)
    quantity: Mapped[int] = mapped_column(sa.Integer)
    blocked_from: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    single_unit: Mapped[bool] = mapped_column(sa.Boolean)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    buffers_overridden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class AuditEntry(Base):
    __tablename__ = "audit_trail"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    action: Mapped[str] = mapped_column(sa.String(40))
    actor_kind: Mapped[str] = mapped_column(sa.String(10))
    staff_id: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    from_status: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    to_status: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.Text, default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)


class StatusLink(Base):
    """A requester's private link: only the sha256 of the token is stored."""

    __tablename__ = "status_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class IdempotencyKey(Base):
    """One ``Idempotency-Key`` of a create: the primary key makes two racing first uses impossible."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.CheckConstraint("status IN ('in_progress', 'completed')", name="status_known"),)

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(12))
    response_status: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    request_id: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
