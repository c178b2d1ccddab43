"""inventory outbox: envelopes carry a correlation id and a secret (shared.events)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("correlation_id", sa.String(length=64), nullable=True))
    op.add_column("outbox", sa.Column("secret", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "secret")
    op.drop_column("outbox", "correlation_id")
