"""booking inv_locations.closures: the centre's closures, from inventory's location snapshot

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inv_locations") as batch:
        batch.add_column(sa.Column("closures", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("inv_locations") as batch:
        batch.drop_column("closures")
