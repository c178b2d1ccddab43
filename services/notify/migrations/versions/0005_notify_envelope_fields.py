"""notify: envelopes carry a correlation id and a secret; a message row holds its private link until sent

The private link's token no longer sits in the booking snapshot (it stayed there for good): each message row
that needs it keeps it in ``secret`` until the message is settled. The booking copy keeps the request's
``version`` (booking.request.* v2) to order events by.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("correlation_id", sa.String(length=64), nullable=True))
    op.add_column("outbox", sa.Column("secret", sa.Text(), nullable=True))
    op.add_column("scheduled_notifications", sa.Column("secret", sa.Text(), nullable=True))
    op.add_column("bookings", sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("bookings", "version")
    op.drop_column("scheduled_notifications", "secret")
    op.drop_column("outbox", "secret")
    op.drop_column("outbox", "correlation_id")
