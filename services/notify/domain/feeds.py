"""Calendar feeds behind secret addresses, per asset and per centre, for calendar apps (which send no cookie).

The address is ``<PUBLIC_URL>/notify/feeds/<token>.ics`` (also as ``webcal://``): 256 random bits, of which only
the SHA-256 is kept. Staff of the centre make, renew (a new address; the old one stops at once) and revoke a
feed; an unknown or revoked token is a 404 that says nothing more. A feed holds the loans as appointments
(``domain/ical.py``) and no personal data: the initiative's name for the centre's own loans, only the centre's
name for loans another centre lends out with one of its assets.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notify.domain.copies import location_of
from services.notify.domain.ical import calendar, feed_appointments
from services.notify.models import Asset, Booking, BookingItem, CalendarFeed, Location
from shared.auth import Principal
from shared.errors import Forbidden, NotFound

SCOPES = ("asset", "location")
FEED_STATUSES = ("approved", "picked_up", "overdue", "returned")
HISTORY = timedelta(days=90)  # loans returned longer ago than this are left out of a feed
FEED_PATH = "/notify/feeds/{token}.ics"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class FeedTarget:
    """What a feed is of: an asset or a centre, the centre that manages it, and its name."""

    scope: str
    target_id: int
    location_id: int
    name_nl: str
    name_en: str


def target_of(session: Session, scope: str, target_id: int) -> FeedTarget:
    """Raises NotFound for an unknown scope, asset or centre (or an asset notify knows no centre of)."""
    if scope == "location":
        location = session.get(Location, target_id)
        if location is not None:
            return FeedTarget(scope, target_id, location.id, location.name, location.name)
    elif scope == "asset":
        asset = session.get(Asset, target_id)
        if asset is not None and asset.location_id is not None:
            name_nl = str(asset.snapshot.get("name_nl") or asset.code)
            return FeedTarget(
                scope, target_id, int(asset.location_id), name_nl, str(asset.snapshot.get("name_en") or name_nl)
            )
    raise NotFound(code="feed_target_unknown")


def feed_url(public_url: str, token: str) -> str:
    return public_url + FEED_PATH.format(token=token)


def webcal_url(url: str) -> str:
    """The same address for calendar apps that subscribe on a click (``webcal://`` is their https)."""
    return "webcal://" + url.split("://", 1)[1]


def make_feed(
    session: Session, scope: str, target_id: int, reader: Principal, language: str, now: datetime
) -> tuple[CalendarFeed, str]:
    """A new secret address for the target's feed, replacing (revoking) the one it had; the token is returned
    once and never stored. Raises NotFound, Forbidden (another centre's)."""
    target = target_of(session, scope, target_id)
    if not reader.works_at(target.location_id):
        raise Forbidden(code="other_centre")
    for old in active_feeds(session, scope, target_id):
        old.revoked_at = now
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        scope=scope,
        target_id=target_id,
        location_id=target.location_id,
        token_hash=hash_token(token),
        language=language if language in ("nl", "en") else "nl",
        created_at=now,
        created_by=reader.staff_id,
    )
    session.add(feed)
    session.flush()
    return feed, token


def revoke_feed(session: Session, feed_id: int, reader: Principal, now: datetime) -> CalendarFeed:
    """Raises NotFound (no such live feed), Forbidden (another centre's)."""
    feed = session.get(CalendarFeed, feed_id, with_for_update=True)
    if feed is None or feed.revoked_at is not None:
        raise NotFound(code="feed_unknown")
    if not reader.works_at(feed.location_id):
        raise Forbidden(code="other_centre")
    feed.revoked_at = now
    return feed


def active_feeds(session: Session, scope: str, target_id: int) -> list[CalendarFeed]:
    query = sa.select(CalendarFeed).where(
        CalendarFeed.scope == scope, CalendarFeed.target_id == target_id, CalendarFeed.revoked_at.is_(None)
    )
    return list(session.scalars(query))


def feed_for_token(session: Session, token: str) -> CalendarFeed | None:
    """The live feed of this token, or None (unknown, revoked: the caller answers 404 either way)."""
    if not token or len(token) > 200:
        return None
    query = sa.select(CalendarFeed).where(
        CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None)
    )
    return session.scalars(query).first()


def feed_calendar(session: Session, feed: CalendarFeed, now: datetime) -> str:
    """The feed's loans as an iCalendar text (two appointments each, with alarms)."""
    target = target_of(session, feed.scope, feed.target_id)
    query = sa.select(Booking).where(Booking.status.in_(FEED_STATUSES), Booking.return_at >= now - HISTORY)
    if feed.scope == "location":
        query = query.where(Booking.location_id == feed.target_id)
    else:
        query = query.where(
            Booking.request_id.in_(sa.select(BookingItem.request_id).where(BookingItem.asset_id == feed.target_id))
        )
    events: list[list[str]] = []
    for booking in session.scalars(query.order_by(Booking.pickup_at, Booking.request_id)):
        events.extend(
            feed_appointments(
                booking.snapshot,
                location_of(session, booking),
                feed.language,
                now,
                own_centre=booking.location_id == feed.location_id,
                asset_id=feed.target_id if feed.scope == "asset" else None,
            )
        )
    name = target.name_en if feed.language == "en" else target.name_nl
    return calendar(events, f"Uitleen: {name}")


def manageable_targets(session: Session, reader: Principal) -> list[dict[str, Any]]:
    """The centres and assets the reader manages, each with its live feed (if any), centre by centre."""
    locations = sa.select(Location).order_by(Location.name)
    assets = sa.select(Asset).where(Asset.location_id.is_not(None)).order_by(Asset.code)
    if not reader.is_admin:
        ids = sorted(reader.location_ids) or [-1]
        locations, assets = locations.where(Location.id.in_(ids)), assets.where(Asset.location_id.in_(ids))
    live = {
        (feed.scope, feed.target_id): feed
        for feed in session.scalars(sa.select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None)))
    }
    by_location: dict[int, list[Asset]] = {}
    for asset in session.scalars(assets):
        if asset.snapshot.get("status") != "retired":
            by_location.setdefault(int(asset.location_id or 0), []).append(asset)
    found = []
    for location in session.scalars(locations):
        found.append(
            {
                "scope": "location",
                "target_id": location.id,
                "name_nl": location.name,
                "name_en": location.name,
                "feed": live.get(("location", location.id)),
                "location": location.name,
            }
        )
        for asset in by_location.get(location.id, []):
            found.append(
                {
                    "scope": "asset",
                    "target_id": asset.id,
                    "name_nl": asset.snapshot.get("name_nl") or asset.code,
                    "name_en": asset.snapshot.get("name_en") or asset.snapshot.get("name_nl") or asset.code,
                    "feed": live.get(("asset", asset.id)),
                    "location": location.name,
                }
            )
    return found
