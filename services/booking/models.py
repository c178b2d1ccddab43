"""The booking service's tables (SQLAlchemy 2, typed). No other service reads them.

Two groups: the *copy* of what booking needs from inventory (``inv_*``, written only by
``domain.inventory_copy`` from inventory's events) and booking's own data (initiatives, requests, items,
allocations, audit trail, private status links, idempotency keys).

The read rules every query shares are written here once, as SQL expressions on the models (the way Indico's
``filter_overlap`` serves all its queries): ``Allocation.holding`` (which allocations keep an asset busy in a
range), ``InvMaintenanceWindow.in_force``, ``BookingRequest.within`` (a staff member's centres) and
``AuditEntry.shown_to_requester``. The no-double-booking invariant's database backstop, the exclusion
constraint, is declared on ``Allocation`` beside them (created by migration 0002).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column, relationship

from services.booking.domain.vocabulary import ALLOCATING, Action, Status
from shared import clock
from shared.consumer import DeadLetterMixin
from shared.db import NAMING_CONVENTION, UTCDateTime
from shared.events import OutboxMixin, ProcessedEventMixin
from shared.privacy import PrivacyActionMixin
from shared.revocations import RevokedTokenMixin, StaffChangeMixin

STATUSES = tuple(str(s) for s in Status)
ALLOCATING_STATUSES = tuple(sorted(str(s) for s in ALLOCATING))
# Centres a reader may see: None for every centre (an administrator), else these location ids.
Centres = frozenset[int] | None
# An instant in a rule: a value, or a column of another table (a join's condition).
When = datetime | sa.ColumnElement[datetime] | InstrumentedAttribute[datetime]


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
    # days closed although the timetable says open: [{id, starts_on, ends_on (both "YYYY-MM-DD", included), reason}]
    closures: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
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


class QuantityShortfall(Base):
    """A record: an asset event from inventory left fewer units than the loans already promised (approved or out,
    from the event on). Written by the inventory-copy handler; the staff dashboard re-reads the promises of the
    assets recorded here (``queries.shortfalls``), so a flag goes away once staff resolved it."""

    __tablename__ = "quantity_shortfalls"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    asset_version: Mapped[int] = mapped_column(sa.Integer)
    quantity: Mapped[int] = mapped_column(sa.Integer)  # what the asset has now (0 when retired)
    promised: Mapped[int] = mapped_column(sa.Integer)  # the most units promised at one instant
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())  # first instant with too few units
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())  # last
    request_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


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

    @classmethod
    def in_force(cls, start: When, end: When) -> sa.ColumnElement[bool]:
        """Not removed, and sharing an instant with the half-open range [start, end)."""
        return sa.and_(cls.removed_at.is_(None), cls.starts_at < end, start < cls.ends_at)


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
            # a desk request filed by staff may have neither: the resident comes by or quotes the reference
            "contact_email IS NOT NULL OR contact_phone IS NOT NULL OR anonymised_at IS NOT NULL"
            " OR proxy_by_staff_id IS NOT NULL",
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
    # booking's copy of the request's centre (no foreign key: the copy is fed by events, in any order)
    location: Mapped[InvLocation | None] = relationship(
        primaryjoin="foreign(BookingRequest.location_id) == InvLocation.id", viewonly=True
    )
    items: Mapped[list[RequestItem]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestItem.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @classmethod
    def within(cls, centres: Centres) -> sa.ColumnElement[bool]:
        """Requests of these centres (None: every centre). Personal data never leaves a reader's centres."""
        if centres is None:
            return sa.true()
        return cls.location_id.in_(sorted(centres) or [-1])


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
    # another item of the same request meets it (borrowing the city's van meets "a van"); then verified is True
    provided_by_item: Mapped[bool] = mapped_column(sa.Boolean, default=False)
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
        # The backstop of the no-double-booking rule (domain/conflicts.py takes the asset lock first): two active
        # single-unit allocations of one asset never share an instant. PostgreSQL only; SQLite serialises writers.
        postgresql.ExcludeConstraint(
            (sa.column("asset_id"), "="),
            (sa.func.tstzrange(sa.column("blocked_from"), sa.column("blocked_until"), "[)"), "&&"),
            where=sa.text("active AND single_unit"),
            using="gist",
            name="ex_allocations_single_unit_overlap",
        ).ddl_if(dialect="postgresql"),
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

    @classmethod
    def holding(cls, start: When, end: When) -> sa.ColumnElement[bool]:
        """Active and blocking some instant of the half-open range [start, end): the asset is busy then.

        The one overlap predicate behind approvals, availability, calendars and statistics alike; an early
        return shortens ``blocked_until`` (``conflicts.shorten_to``), so every reader sees the asset free at once.
        """
        return sa.and_(cls.active.is_(True), cls.blocked_from < end, start < cls.blocked_until)


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

    @classmethod
    def shown_to_requester(cls) -> sa.ColumnElement[bool]:
        """The requester's history leaves out staff's internal steps (checking a requirement, a new link)."""
        return cls.action.not_in([str(Action.VERIFY_REQUIREMENT), str(Action.REISSUE_LINK)])


class StatusLink(Base):
    """A requester's private link: only the sha256 of the token is stored."""

    __tablename__ = "status_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ContactCall(Base):
    """A phone call to the requester that staff noted on notify's call list ("gebeld" / "niet bereikt").

    Booking's copy of notify's ``notify.call.recorded`` events (services/notify/contract.py), one row per call
    (``call_id`` is notify's audit row, so a redelivered event adds nothing): the request's contact history,
    shown on its page. ``note`` is personal data: blanked with the request's contact (privacy, retention).
    """

    __tablename__ = "contact_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.Integer, unique=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    outcome: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text, default=None)
    staff_id: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    staff_name: Mapped[str] = mapped_column(sa.String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotencyKey(Base):
    """One ``Idempotency-Key`` of a submission, scoped to its client: what a replay needs, nothing more.

    ``key_hash`` is the sha256 of (client scope, key), so neither the raw key nor who sent it is stored; the row
    is written in the same transaction as the request (a second submission with the key waits on the primary key
    and then replays), and it keeps no contact data. Keys are purged on a schedule (``tasks.purge_idempotency_keys``)
    and with the request's personal data (erasure, retention).
    """

    __tablename__ = "idempotency_keys"

    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    # set in the same transaction that claims the key (a committed row always has it)
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
