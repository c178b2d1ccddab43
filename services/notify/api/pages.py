"""Pages and feeds: captured mail (embedded default, staff only), the staff call list, iCal feeds per location and
asset."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template_string
from flask.views import MethodView

from services.notify.api.schemas import CallListEntrySchema, CallListQuerySchema
from services.notify.domain.dispatch import call_list, location_of
from services.notify.domain.ical import calendar, loan_event
from services.notify.domain.outbox_mail import captured_mail_for
from services.notify.models import Booking, BookingItem
from shared import clock
from shared.auth import current_principal, require_principal, require_staff
from shared.db import get_session
from shared.errors import Forbidden
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("pages", __name__, description="Captured mail, call list, calendar feeds")

FEED_STATUSES = ("approved", "picked_up", "overdue", "returned")

MAIL_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Verstuurde mail (demo)</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
article{border:1px solid #ccc;margin:1rem 0;padding:.5rem 1rem}pre{white-space:pre-wrap}</style></head><body>
<h1>Verstuurde mail</h1><p>De demo verstuurt niets: elke mail staat hier ({{ mails|length }}, nieuwste eerst{% if not
admin %}, van de buurtcentra waar je werkt{% endif %}).</p>
{% for m in mails %}<article><h2>{{ m.subject }}</h2><p>Aan: {{ m.recipient }} · {{ m.captured_at }} ·
{{ m.message_id }}{% if m.ics %} · met agenda-afspraak (.ics){% endif %}</p><pre>{{ m.text }}</pre></article>
{% endfor %}</body></html>"""


LOGIN_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Aanmelden (demo-mail)</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head><body>
<h1>Verstuurde mail: alleen voor medewerkers</h1>
<p>Deze mails bevatten de persoonlijke links van aanvragers. <a href="{{ login }}">Meld je aan als medewerker</a>
om ze te lezen: beheerders zien alle mail, medewerkers die van hun eigen buurtcentra.</p>
<p lang="en">This mail holds requesters' private links. <a href="{{ login }}">Log in as staff</a> to read it:
administrators see all of it, staff that of their own community centres.</p></body></html>"""
LOGIN_URL = "/inventory/login?next=/notify/outbox-mail"


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


@blp.route("/outbox-mail")
class OutboxMail(MethodView):
    @blp.doc(responses={200: _html("The captured mail"), 401: _html("A page that says to log in as staff")})
    @problems(404, security="staff")
    def get(self) -> Response:
        """The mail captured instead of sent (only with NOTIFY_MAIL_BACKEND=capture, never in production).

        Staff only: it holds private links. Administrators read all of it, staff their own centres' mail.
        """
        if current_app.extensions["notify_config"].mail_backend != "capture":
            abort(404)
        reader = current_principal()
        if reader is None:
            page = render_template_string(LOGIN_PAGE, login=LOGIN_URL)
            return Response(page, status=401, mimetype="text/html")
        mails = captured_mail_for(get_session(), reader)
        return Response(render_template_string(MAIL_PAGE, mails=mails, admin=reader.is_admin), mimetype="text/html")


@blp.route("/call-list")
class CallList(MethodView):
    @require_staff
    @blp.arguments(CallListQuerySchema, location="query")
    @blp.response(200, CallListEntrySchema(many=True))
    @problems(403)
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Requesters without email to phone on a day (default today): their reminders land here."""
        if not require_principal().works_at(query["location_id"]):
            raise Forbidden("You do not work at this location.")
        day: date = query.get("day") or clock.to_local(clock.now()).date()
        return call_list(get_session(), query["location_id"], day)


CALENDAR = {"description": "An iCal feed", "content": {"text/calendar": {"schema": {"type": "string"}}}}


def _feed(bookings: list[Booking], name: str) -> Response:
    session = get_session()
    now = clock.now()
    events = [loan_event(b.snapshot, location_of(session, b), "nl", now) for b in bookings]
    return Response(calendar(events, name), mimetype="text/calendar")


@blp.route("/ical/locations/<int:location_id>.ics")
class LocationFeed(MethodView):
    @require_staff
    @blp.doc(responses={200: CALENDAR})
    @problems(403)
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
    @blp.doc(responses={200: CALENDAR})
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
