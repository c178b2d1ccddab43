"""booking core: envelopes carry a correlation id and a secret; idempotency keys keep only what a replay needs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The old ``idempotency_keys`` stored whole responses (names, e-mails, phones) and an "in progress" state held
across two transactions; the new table is written in the request's own transaction and keeps the request id
only. Keys live at most 48 hours, so the old rows are dropped rather than converted.
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("correlation_id", sa.String(length=64), nullable=True))
    op.add_column("outbox", sa.Column("secret", sa.Text(), nullable=True))
    # "provided by item" was an English answer shown on Dutch pages; now it is a flag
    op.add_column(
        "item_requirements",
        sa.Column("provided_by_item", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE item_requirements SET provided_by_item = true, answer = NULL WHERE answer = 'provided by item'")
    op.drop_table("idempotency_keys")
    op.create_table(
        "idempotency_keys",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_idempotency_keys_request_id_requests"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_request_id"), "idempotency_keys", ["request_id"])
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_index(op.f("ix_idempotency_keys_request_id"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.execute("UPDATE item_requirements SET answer = 'provided by item' WHERE provided_by_item")
    op.drop_column("item_requirements", "provided_by_item")
    op.drop_column("outbox", "secret")
    op.drop_column("outbox", "correlation_id")
