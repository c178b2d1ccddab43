"""The application layer: every change a staff member makes in notify is one call here, owning its transaction.

The API views (``api/``) and the staff pages (``staff_pages.py``) parse their input, make exactly one of these
calls and render what it returns; none of them commits. Each call works in the request's one session
(``shared.db.get_session``) inside ``shared.db.unit_of_work``: it commits when the call returns, or rolls back
before an error leaves, so a refusal leaves nothing behind.

- ``export_person``: GDPR, for an administrator (the export is audited in ``privacy_actions``);
- ``record_call``: note the outcome of a phone call on the call list (audited);
- ``make_feed`` / ``revoke_feed``: a calendar feed's secret address.

What the event consumer and the dispatcher change is not here: each task owns its own transaction
(``shared/consumer.py``, ``domain/dispatch.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.notify.config import NotifyConfig
from services.notify.domain import call_list, feeds, privacy
from services.notify.models import CalendarFeed, ScheduledNotification
from shared import clock
from shared.auth import Principal
from shared.db import unit_of_work
from shared.privacy import Subject


def export_person(session: Session, subject: Subject, staff_id: int | None) -> dict[str, Any]:
    """Everything notify holds about one person: booking copies, notifications, captured mails (audited in the
    same transaction)."""
    with unit_of_work(session):
        return privacy.export_person(session, subject, staff_id, clock.now())


def record_call(
    session: Session, notification_id: int, outcome: str, note: str | None, reader: Principal, config: NotifyConfig
) -> ScheduledNotification:
    """Note "gebeld" (reached) or "niet bereikt" (unreached) for a message on the call list, audited.

    Raises NotFound (no such message on a call list), Forbidden (another centre's), InvalidInput (outcome, note).
    """
    with unit_of_work(session):
        return call_list.record_call(session, notification_id, outcome, note, reader, clock.now(), config)


def make_feed(
    session: Session, scope: str, target_id: int, reader: Principal, language: str
) -> tuple[CalendarFeed, str]:
    """A new secret address for a centre's or an asset's feed (the old one, if any, stops working); returns the
    feed and its token, shown once and never stored. Raises NotFound, Forbidden (another centre's)."""
    with unit_of_work(session):
        return feeds.make_feed(session, scope, target_id, reader, language, clock.now())


def revoke_feed(session: Session, feed_id: int, reader: Principal) -> CalendarFeed:
    """Revoke a feed's address: calendar apps subscribed to it get nothing more. Raises NotFound (no such live
    feed), Forbidden (another centre's)."""
    with unit_of_work(session):
        return feeds.revoke_feed(session, feed_id, reader, clock.now())
