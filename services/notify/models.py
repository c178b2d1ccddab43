"""The notify service's tables (SQLAlchemy 2, typed). No other service reads them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from shared.db import NAMING_CONVENTION
from shared.events import OutboxMixin, ProcessedEventMixin


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class OutboxEvent(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass
