"""Pages and feeds: captured mail (embedded default), the staff call list, iCal feeds per location and asset."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template_string
from flask.views import MethodView
from flask_smorest import Blueprint

from services.notify.api.schemas import CallListEntrySchema, CallListQuerySchema
from services.notify.domain.dispatch import call_list, location_of
from services.notify.domain.ical import calendar, loan_event
from services.notify.models import Booking, BookingItem, CapturedMail
from shared import clock
from shared.auth import require_principal, require_staff
from shared.db import get_session
from shared.errors import Forbidden

blp = Blueprint("pages", __name__, description="Captured mail, call list, calendar feeds")

FEED_STATUSES = ("approved", "picked_up", "overdue", "returned")

MAIL_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Verstuurde mail (demo)</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
article{border:1px solid #ccc;margin:1rem 0;padding:.5rem 1rem}pre{white-space:pre-wrap}</style></head><body>
<h1>Verstuurde mail</h1><p>De demo verstuurt niets: elke mail staat hier ({{ mails|length }}, nieuwste eerst).</p>
{% for m in mails %}<article><h2>{{ m.subject }}</h2><p>Aan: {{ m.recipient }} · {{ m.captured_at }} ·
{{ m.message_id }}{% if m.ics %} · met agenda-afspraak (.ics){% endif %}</p><pre>{{ m.text }}</pre></article>
{% endfor %}</body></html>"""


@blp.route("/outbox-mail")
class OutboxMail(MethodView):
    @blp.doc(responses={200: {"description": "HTML page"}})
    def get(self) -> Response:
        """The mail captured instead of sent (only with NOTIFY_MAIL_BACKEND=capture, never in production)."""
        if current_app.extensions["notify_config"].mail_backend != "capture":
            abort(404)
        mails = get_session().scalars(sa.select(CapturedMail).order_by(CapturedMail.id.desc()).limit(200)).all()
        return Response(render_template_string(MAIL_PAGE, mails=mails), mimetype="text/html")


@blp.route("/call-list")
class CallList(MethodView):
    @require_staff
    @blp.arguments(CallListQuerySchema, location="query")
    @blp.response(200, CallListEntrySchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Requesters without email to phone on a day (default today): their reminders land here."""
        if not require_principal().works_at(query["location_id"]):
            raise Forbidden("You do not work at this location.")
        day: date = query.get("day") or clock.to_local(clock.now()).date()
        return call_list(get_session(), query["location_id"], day)


def _feed(bookings: list[Booking], name: str) -> Response:
    session = get_session()
    now = clock.now()
    events = [loan_event(b.snapshot, location_of(session, b), "nl", now) for b in bookings]
    return Response(calendar(events, name), mimetype="text/calendar")


@blp.route("/ical/locations/<int:location_id>.ics")
class LocationFeed(MethodView):
    @require_staff
    @blp.doc(responses={200: {"description": "text/calendar"}})
    def get(self, location_id: int) -> Response:
        """The loans picked up at a location, as an iCal feed (staff; send the API token as Bearer)."""
        if not require_principal().works_at(location_id):
            raise Forbidden("You do not work at this location.")
        bookings = get_session().scalars(
            sa.select(Booking)
            .where(Booking.location_id == location_id, Booking.status.in_(FEED_STATUSES))
            .order_by(Booking.pickup_at)
        )
        return _feed(list(bookings), f"Uitleen locatie {location_id}")


@blp.route("/ical/assets/<int:asset_id>.ics")
class AssetFeed(MethodView):
    @require_staff
    @blp.doc(responses={200: {"description": "text/calendar"}})
    def get(self, asset_id: int) -> Response:
        """The loans of one asset, as an iCal feed (staff of the asset's location)."""
        principal = require_principal()
        ids = sa.select(BookingItem.request_id).where(BookingItem.asset_id == asset_id)
        bookings = list(
            get_session().scalars(
                sa.select(Booking)
                .where(Booking.request_id.in_(ids), Booking.status.in_(FEED_STATUSES))
                .order_by(Booking.pickup_at)
            )
        )
        bookings = [b for b in bookings if principal.works_at(b.location_id)]
        return _feed(bookings, f"Uitleen materiaal {asset_id}")
