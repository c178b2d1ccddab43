"""notify: reasons as codes, the call list's day and outcomes, calendar feeds behind secret addresses

``scheduled_notifications.reason`` held English sentences written by the domain; it now holds a code (with
``reason_params``), and the sentences already stored are turned into their codes here. ``call_day`` is the
Brussels day a message for a requester without e-mail is first on the call list; ``call_outcome`` and friends
the last "gebeld" / "niet bereikt" (every one is kept in ``call_outcomes``). ``calendar_feeds`` keeps the hash
of each secret feed address.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BRUSSELS = ZoneInfo("Europe/Brussels")
# The sentences notify's domain wrote before (services/notify/domain/*.py at 0006) → (code, parameters).
FIXED = {
    "booking unknown to notify": "booking_unknown",
    "no email address: on the location's call list for staff to phone": "no_email",
    "the location has no email address": "location_no_email",
    "nobody to phone that day": "nobody_to_call",
    "pick-up time has passed": "pickup_passed",
    "return time has passed (the overdue notice takes over)": "return_passed",
    "contact anonymised": "contact_anonymised",
    "permanent failure": "refused",
}
PATTERNS = (
    (re.compile(r"stale: booking now (\w+)"), "stale", "status"),
    (re.compile(r"out of order: the booking is already (\w+)"), "out_of_order", "status"),
    (re.compile(r"booking is (\w+), "), "booking_status", "status"),
    (re.compile(r"gave up after (\d+) attempts"), "gave_up", "attempts"),
)


def code_of(sentence: str) -> tuple[str, dict[str, object] | None]:
    if sentence in FIXED:
        return FIXED[sentence], None
    for pattern, code, name in PATTERNS:
        match = pattern.match(sentence)
        if match:
            value: object = int(match.group(1)) if name == "attempts" else match.group(1)
            return code, {name: value}
    return sentence, None  # not notify's: kept as it was (the pages show an unknown code as it is)


def _aware(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def upgrade() -> None:
    op.add_column("scheduled_notifications", sa.Column("reason_params", sa.JSON(), nullable=True))
    op.add_column("scheduled_notifications", sa.Column("call_day", sa.Date(), nullable=True))
    op.add_column("scheduled_notifications", sa.Column("call_outcome", sa.String(length=20), nullable=True))
    op.add_column("scheduled_notifications", sa.Column("call_note", sa.Text(), nullable=True))
    op.add_column(
        "scheduled_notifications", sa.Column("called_at", shared.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("scheduled_notifications", sa.Column("called_by", sa.String(length=200), nullable=True))
    op.create_index(op.f("ix_scheduled_notifications_call_day"), "scheduled_notifications", ["call_day"], unique=False)
    op.create_table(
        "call_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["scheduled_notifications.id"],
            name=op.f("fk_call_outcomes_notification_id_scheduled_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_outcomes")),
    )
    op.create_index(op.f("ix_call_outcomes_notification_id"), "call_outcomes", ["notification_id"], unique=False)
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    op.create_index(op.f("ix_calendar_feeds_location_id"), "calendar_feeds", ["location_id"], unique=False)
    _convert_rows()


def _convert_rows() -> None:
    rows = sa.table(
        "scheduled_notifications",
        sa.column("id", sa.Integer()),
        sa.column("reason", sa.Text()),
        sa.column("reason_params", sa.JSON()),
        sa.column("audience", sa.String()),
        sa.column("due_at", sa.String()),
        sa.column("created_at", sa.String()),
        sa.column("call_day", sa.Date()),
    )
    connection = op.get_bind()
    found = connection.execute(sa.select(rows.c.id, rows.c.reason, rows.c.audience, rows.c.due_at, rows.c.created_at))
    for row_id, reason, audience, due_at, created_at in list(found):
        values: dict[str, object] = {}
        if reason:
            values["reason"], values["reason_params"] = code_of(reason)
        if audience == "requester":
            values["call_day"] = max(_aware(due_at), _aware(created_at)).astimezone(BRUSSELS).date()
        if values:
            connection.execute(sa.update(rows).where(rows.c.id == row_id).values(**values))


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_feeds_location_id"), table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    op.drop_index(op.f("ix_call_outcomes_notification_id"), table_name="call_outcomes")
    op.drop_table("call_outcomes")
    op.drop_index(op.f("ix_scheduled_notifications_call_day"), table_name="scheduled_notifications")
    for column in ("called_by", "called_at", "call_note", "call_outcome", "call_day", "reason_params"):
        op.drop_column("scheduled_notifications", column)
