"""booking: a desk request filed by staff for a resident may have neither e-mail nor phone

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

``ck_requests_contact_reachable`` required an e-mail or a phone on every request that was not anonymised, so a
resident with neither could not be booked even at the desk. A request filed by staff on behalf of a resident
(``proxy_by_staff_id`` set) is now allowed without both: the resident comes by or quotes the reference. The public
form and the API still require one (the domain checks that, with a message beside the field).

SQLite cannot alter a constraint: Alembic's batch mode copies ``requests`` into a new table, drops the old one
and renames the copy. With ``PRAGMA foreign_keys=ON`` (shared/db.py sets it on every connection) that drop would
delete every ``request_items``, ``audit_trail``, ``allocations``, ``status_links`` and ``idempotency_keys`` row
through their ``ON DELETE CASCADE``. The pragma is a no-op inside a transaction, so the recreate runs with foreign
keys off, set outside the migration's transaction, and ``PRAGMA foreign_key_check`` proves nothing dangles before
they are turned on again (SQLite's own twelve-step procedure for schema changes).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD = "contact_email IS NOT NULL OR contact_phone IS NOT NULL OR anonymised_at IS NOT NULL"
NEW = f"{OLD} OR proxy_by_staff_id IS NOT NULL"
NAME = op.f("ck_requests_contact_reachable")  # the full name: no naming convention on top


def _replace_check(condition: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(NAME, "requests", type_="check")
        op.create_check_constraint(NAME, "requests", sa.text(condition))
        return
    context = op.get_context()
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("requests", recreate="always") as batch:
            batch.drop_constraint(NAME, type_="check")
            batch.create_check_constraint(NAME, sa.text(condition))
        dangling = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if dangling:
            raise RuntimeError(f"recreating requests left rows pointing nowhere: {dangling[:5]}")
    finally:
        with context.autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    _replace_check(NEW)


def downgrade() -> None:
    # a desk request without contact would break the old rule: it cannot go back while one exists
    _replace_check(OLD)
