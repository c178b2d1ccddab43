"""booking privacy actions (the GDPR audit: exports, erasures, retention batches)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("subject_kind", sa.String(length=20), nullable=True),
        sa.Column("subject_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("request_ids", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_actions")),
    )
    op.create_index(op.f("ix_privacy_actions_at"), "privacy_actions", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_actions_at"), table_name="privacy_actions")
    op.drop_table("privacy_actions")
