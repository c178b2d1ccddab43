"""The mail the embedded default captured instead of sending (``NOTIFY_MAIL_BACKEND=capture``), by reader.

It holds private status links, so it is for staff: an administrator reads all of it, staff the mail of their
own community centres' notifications (a captured mail is matched to the notification that sent it by its
Message-ID). A mail no notification claims is an administrator's to read.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notify.models import CapturedMail, ScheduledNotification
from shared.auth import Principal

NEWEST = 200


def captured_mail_for(session: Session, reader: Principal, limit: int = NEWEST) -> list[CapturedMail]:
    """The newest captured mails ``reader`` may read, newest first."""
    query = sa.select(CapturedMail).order_by(CapturedMail.id.desc()).limit(limit)
    if not reader.is_admin:
        query = query.join(ScheduledNotification, ScheduledNotification.message_id == CapturedMail.message_id).where(
            ScheduledNotification.location_id.in_(sorted(reader.location_ids))
        )
    return list(session.scalars(query))


def readable_mail(session: Session, reader: Principal, mail_id: int) -> CapturedMail | None:
    """One captured mail, if ``reader`` may read it (the same rule as the list)."""
    query = sa.select(CapturedMail).where(CapturedMail.id == mail_id)
    if not reader.is_admin:
        query = query.join(ScheduledNotification, ScheduledNotification.message_id == CapturedMail.message_id).where(
            ScheduledNotification.location_id.in_(sorted(reader.location_ids))
        )
    return session.scalars(query).first()
