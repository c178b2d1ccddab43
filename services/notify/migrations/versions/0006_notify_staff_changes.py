"""notify staff_changes: staff whose claims changed (event inventory.staff.changed); older credentials refused here

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_changes",
        sa.Column("staff_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("changed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_changes")),
    )


def downgrade() -> None:
    op.drop_table("staff_changes")
