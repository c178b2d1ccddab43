"""Notify's own copies of bookings, locations and assets, kept from events; and the event handlers.

Payloads are full snapshots (loaded with the producers' contracts, services/booking/contract.py and
services/inventory/contract.py), so each event simply replaces the copy. An event older than the copy (events
of one booking may arrive out of order across relays and worker threads) does not roll it back: booking's
events carry the request's own change counter (``version``, v2), inventory's their row version; only events of
v1 (without it) fall back to their clock.

The private link's token arrives in the envelope's ``secret``, never in the snapshot kept here: it goes onto the
rows of the messages that carry the link, and each row forgets it once settled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.booking import contract as booking_contract
from services.booking.contract import RequestEvent
from services.notify.config import NotifyConfig
from services.notify.domain import notifications
from services.notify.domain.privacy import apply_contact_anonymised
from services.notify.domain.reasons import Reason, Why
from services.notify.domain.schedule import IMMEDIATE, digest_due, reminders_for
from services.notify.models import (
    Asset,
    Booking,
    BookingItem,
    Location,
    RevokedToken,
    ScheduledNotification,
    StaffChange,
)
from shared.consumer import Handler
from shared.events import Envelope
from shared.revocations import EVENT_TYPE as TOKEN_REVOKED
from shared.revocations import STAFF_CHANGED, staff_changed_handler, token_revoked_handler

# Messages still worth sending when their event arrives after a newer one of the same booking.
OUT_OF_ORDER_HARMLESS = ("request_received", "new_request")


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def location_of(session: Session, booking: Booking) -> dict[str, Any]:
    """The booking's location: notify's copy from inventory events if newer, else the booking's snapshot."""
    data = dict(booking.snapshot.get("location") or {})
    copy = session.get(Location, booking.location_id)
    if copy is not None and copy.last_event_at >= booking.last_event_at:
        data.update(copy.snapshot)
    return data


def _older(booking: Booking, version: int | None, occurred_at: datetime) -> bool:
    if version is not None and booking.version is not None:
        return booking.version > version
    return booking.last_event_at > occurred_at


def upsert_booking(session: Session, envelope: Envelope) -> tuple[Booking, bool]:
    """The booking copy after ``envelope``; the flag says whether the event was newer than the copy.

    Raises marshmallow.ValidationError for a payload that breaks booking's contract.
    """
    booking_contract.load(envelope.type, envelope.payload)  # refuse what breaks the contract before keeping it
    payload = {k: v for k, v in envelope.payload.items() if k != "status_url"}  # v1 carried the token here
    version = payload.get("version")
    booking = session.get(Booking, int(payload["request_id"]), with_for_update=True)
    if booking is not None and _older(booking, version, envelope.occurred_at):
        return booking, False
    # What an update of a known booking need not touch: its items when the event names the same ones (the copy's
    # rows were made from the snapshot it replaces), the location copy when the booking stays there (it was made
    # with the booking's first event, or by inventory's, and copies are never deleted).
    same_items = booking is not None and _item_keys(booking.snapshot) == _item_keys(payload)
    same_location = booking is not None and booking.location_id == int(payload["location"]["id"])
    if booking is None:
        booking = Booking(request_id=int(payload["request_id"]))
        session.add(booking)
    contact = payload.get("contact") or {}
    booking.reference = str(payload["reference"])
    booking.status = str(payload["status"])
    booking.location_id = int(payload["location"]["id"])
    booking.contact_email = contact.get("email") or None
    booking.language = "en" if contact.get("language") == "en" else "nl"
    booking.pickup_at = _instant(payload["pickup_at"])
    booking.return_at = _instant(payload["return_at"])
    booking.snapshot = payload
    booking.last_event_at = envelope.occurred_at
    booking.version = version
    if not same_items:
        booking.items = [
            BookingItem(asset_id=asset_id, category=category) for asset_id, category in _item_keys(payload)
        ]
    if not same_location:
        _remember_location(session, payload["location"], envelope.occurred_at, only_if_new=True)
    session.flush()
    return booking, True


def _item_keys(snapshot: dict[str, Any]) -> list[tuple[int, str]]:
    """The booking's items as the copy keeps them (``BookingItem``: asset and category)."""
    return [(int(item["asset_id"]), str(item.get("category") or "other")) for item in snapshot.get("items", [])]


def _remember_location(session: Session, data: dict[str, Any], at: datetime, only_if_new: bool = False) -> None:
    location = session.get(Location, int(data["id"]))
    if location is not None and (only_if_new or location.last_event_at > at):
        return
    if location is None:
        location = Location(id=int(data["id"]))
        try:
            # Two events of one location applied at once both find no copy: the second one merges into the first.
            with session.begin_nested():
                _fill_location(location, data, at)
                session.add(location)
            return
        except IntegrityError:
            location = session.get(Location, int(data["id"]))
            assert location is not None
            if only_if_new or location.last_event_at > at:
                return
    _fill_location(location, data, at)


def _fill_location(location: Location, data: dict[str, Any], at: datetime) -> None:
    location.name = str(data.get("name") or "")
    location.email = data.get("email") or None
    location.snapshot = data
    location.last_event_at = at


def link_token(envelope: Envelope) -> str | None:
    """The private link's token for the event's mails: the envelope's secret (v2), or v1's payload field."""
    if envelope.secret:
        return envelope.secret
    url = envelope.payload.get("status_url")
    return str(url).rsplit("/", 1)[-1] if url else None


def apply_booking_event(session: Session, envelope: Envelope, config: NotifyConfig) -> None:
    """Update the copy, queue the event's immediate messages, recompute the reminders."""
    booking, newer = upsert_booking(session, envelope)  # the copy is locked until the commit
    token = link_token(envelope)
    known = notifications.rows_of(session, booking.request_id)
    for kind, audience in IMMEDIATE.get(envelope.type, ()):
        row = notifications.ensure_notification(
            session,
            kind=kind,
            audience=audience,
            due_at=envelope.occurred_at,
            request_id=booking.request_id,
            location_id=booking.location_id,
            secret=token if audience == "requester" else None,
            known=known,
        )
        if not newer and kind not in OUT_OF_ORDER_HARMLESS and row.status == "scheduled":
            # "Approved" arriving after "cancelled" would mislead: logged, not sent.
            notifications.settle(
                row, "skipped", envelope.occurred_at, why=Why.status(Reason.OUT_OF_ORDER, booking.status)
            )
    if newer:
        categories = [item.category for item in booking.items]
        created = booking.snapshot.get("created_at")
        wanted = reminders_for(
            booking.status,
            booking.pickup_at,
            booking.return_at,
            categories,
            config,
            created_at=_instant(str(created)) if created else None,
        )
        notifications.recompute_reminders(session, booking, wanted, token, known)
        if not booking.contact_email and (booking.snapshot.get("contact") or {}).get("phone"):
            _plan_digests(session, booking, config)


def _plan_digests(session: Session, booking: Booking, config: NotifyConfig) -> None:
    """A morning digest to the centre for each day a message of this phone-only requester is first on the call
    list (a message due today after the digest hour still gets one today: it is sent at once)."""
    days: set[date] = set(
        session.scalars(
            sa.select(ScheduledNotification.call_day).where(
                ScheduledNotification.request_id == booking.request_id,
                ScheduledNotification.audience == "requester",
                ScheduledNotification.status == "scheduled",
                ScheduledNotification.call_day.is_not(None),
            )
        )
    )
    for day in sorted(d for d in days if d is not None):
        notifications.ensure_digest(session, booking.location_id, digest_due(day, config))


def apply_location_event(session: Session, envelope: Envelope) -> None:
    _remember_location(session, envelope.payload, envelope.occurred_at)


def apply_asset_event(session: Session, envelope: Envelope) -> None:
    data = envelope.payload
    asset = session.get(Asset, int(data["id"]))
    if asset is not None and asset.last_event_at > envelope.occurred_at:
        return
    if asset is None:
        asset = Asset(id=int(data["id"]))
        session.add(asset)
    asset.code = str(data.get("code") or "")
    asset.category = str(data.get("category") or "other")
    asset.location_id = data.get("location_id")
    asset.snapshot = data
    asset.last_event_at = envelope.occurred_at


def event_handlers(config: NotifyConfig) -> dict[str, Handler]:
    """Event type → handler(session, envelope), as ``shared.consumer.apply_event`` wants them."""

    def booking_handler(session: Session, envelope: Envelope) -> None:
        apply_booking_event(session, envelope, config)

    handlers: dict[str, Callable[[Session, Envelope], None]] = {event.type: booking_handler for event in RequestEvent}
    handlers[booking_contract.CONTACT_ANONYMISED] = apply_contact_anonymised
    handlers[TOKEN_REVOKED] = token_revoked_handler(RevokedToken)
    handlers[STAFF_CHANGED] = staff_changed_handler(StaffChange)
    for verb in ("created", "updated"):
        handlers[f"inventory.location.{verb}"] = apply_location_event
    for verb in ("created", "updated", "retired"):
        handlers[f"inventory.asset.{verb}"] = apply_asset_event
    return handlers
