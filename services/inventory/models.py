"""The inventory service's tables (SQLAlchemy 2, typed). No other service reads them."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.inventory.contract import Category, RequirementKind
from shared import clock
from shared.db import NAMING_CONVENTION, UTCDateTime
from shared.events import OutboxMixin

CATEGORIES = tuple(str(c) for c in Category)
REQUIREMENT_KINDS = tuple(str(k) for k in RequirementKind)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    street: Mapped[str] = mapped_column(sa.String(200))
    postal_code: Mapped[str] = mapped_column(sa.String(10))
    city: Mapped[str] = mapped_column(sa.String(100), default="Gent")
    phone: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    email: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="location",
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.opens)",
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="location",
        cascade="all, delete-orphan",
        order_by="(Closure.starts_on, Closure.id)",
    )

    __mapper_args__ = {"version_id_col": version}


class OpeningHours(Base):
    """One opening interval on one weekday (0 = Monday); a day may have several (morning and afternoon)."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("closes > opens", name="closes_after_opens"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)
    opens: Mapped[time] = mapped_column(sa.Time)
    closes: Mapped[time] = mapped_column(sa.Time)

    location: Mapped[Location] = relationship(back_populates="opening_hours")


class Closure(Base):
    """Days a centre stays closed although its timetable says open (the Christmas break, a staff day):
    ``starts_on`` to ``ends_on``, both included, Brussels calendar days."""

    __tablename__ = "location_closures"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="ends_on_or_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_by: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    location: Mapped[Location] = relationship(back_populates="closures")


asset_requirements = sa.Table(
    "asset_requirements",
    Base.metadata,
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("requirement_id", sa.ForeignKey("requirements.id", ondelete="RESTRICT"), primary_key=True),
)


class Requirement(Base):
    """A precondition as data: what the borrower must provide, and optionally an asset that provides it."""

    __tablename__ = "requirements"
    __table_args__ = (sa.CheckConstraint(f"kind IN {REQUIREMENT_KINDS}", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    label_nl: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str] = mapped_column(sa.String(200))
    explanation_nl: Mapped[str] = mapped_column(sa.Text, default="")
    explanation_en: Mapped[str] = mapped_column(sa.Text, default="")
    provided_by_asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assets.id", ondelete="SET NULL", use_alter=True), default=None
    )
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    provided_by: Mapped[Asset | None] = relationship(foreign_keys=[provided_by_asset_id])

    __mapper_args__ = {"version_id_col": version}


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("turnaround_before_hours >= 0 AND turnaround_after_hours >= 0", name="buffers"),
        sa.CheckConstraint("lead_time_hours >= 0", name="lead_time"),
        sa.CheckConstraint("min_loan_hours >= 1", name="min_loan"),
        sa.CheckConstraint("max_loan_hours IS NULL OR max_loan_hours >= min_loan_hours", name="max_loan"),
        sa.CheckConstraint(f"category IN {CATEGORIES}", name="category_known"),
        sa.CheckConstraint("status IN ('active', 'retired')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_nl: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    description_nl: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.String(30), index=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(sa.Integer, default=1)
    turnaround_before_hours: Mapped[int] = mapped_column(sa.Integer, default=0)
    turnaround_after_hours: Mapped[int] = mapped_column(sa.Integer, default=0)
    lead_time_hours: Mapped[int] = mapped_column(sa.Integer, default=0)
    min_loan_hours: Mapped[int] = mapped_column(sa.Integer, default=1)
    max_loan_hours: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    public: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="active", index=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    location: Mapped[Location] = relationship()
    requirements: Mapped[list[Requirement]] = relationship(secondary=asset_requirements, order_by="Requirement.code")

    __mapper_args__ = {"version_id_col": version}


class MaintenanceWindow(Base):
    __tablename__ = "maintenance_windows"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_by: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


staff_locations = sa.Table(
    "staff_locations",
    Base.metadata,
    sa.Column("staff_id", sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("location_id", sa.ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
)


class StaffAccount(Base):
    __tablename__ = "staff_accounts"
    __table_args__ = (sa.CheckConstraint("role IN ('staff', 'admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(10), default="staff")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # Goes up whenever what a credential claims (role, centres) or may claim (active, password) changes:
    # every session and token signed with an older generation is void (shared.auth, shared.revocations).
    claims_generation: Mapped[int] = mapped_column(sa.Integer, default=0)
    # An administrator set the password (a reset): its owner chooses one of their own before anything else.
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    locations: Mapped[list[Location]] = relationship(secondary=staff_locations, order_by="Location.id")


class StaffSession(Base):
    """A login: the session cookie carries this id, so logging out (or an administrator) can revoke it, and
    every token minted with it dies with it."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ApiToken(Base):
    """An issued machine token: its fingerprint only, so it can be listed and revoked but never re-read.

    ``parent_id`` is the session or token that minted it (``parent_kind``), ``ancestors`` the whole chain from
    the root session; it dies with any of them and never outlives its parent."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    parent_id: Mapped[str | None] = mapped_column(sa.String(32), default=None, index=True)
    parent_kind: Mapped[str | None] = mapped_column(sa.String(10), default=None)  # "session" or "token"
    ancestors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


class OutboxEvent(OutboxMixin, Base):
    pass
