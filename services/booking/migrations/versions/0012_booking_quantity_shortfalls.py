"""booking quantity_shortfalls: an asset update from inventory that left fewer units than the loans promised

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quantity_shortfalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("asset_version", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("promised", sa.Integer(), nullable=False),
        sa.Column("starts_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request_ids", sa.JSON(), nullable=False),
        sa.Column("recorded_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quantity_shortfalls")),
    )
    op.create_index(op.f("ix_quantity_shortfalls_asset_id"), "quantity_shortfalls", ["asset_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_quantity_shortfalls_asset_id"), table_name="quantity_shortfalls")
    op.drop_table("quantity_shortfalls")
