"""Pages and feeds: captured mail (embedded default, staff only) and its .ics attachments, the staff call list,
iCal feeds per location and asset: for staff (cookie or Bearer token) and behind secret addresses (no cookie)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template_string
from flask.views import MethodView

from services.notify.api.schemas import CallListEntrySchema, CallListQuerySchema
from services.notify.domain import call_list, feeds
from services.notify.domain.copies import location_of
from services.notify.domain.ical import calendar, feed_appointments
from services.notify.domain.outbox_mail import captured_mail_for, readable_mail
from services.notify.models import Booking, BookingItem
from shared import clock
from shared.auth import current_principal, require_principal, require_staff
from shared.db import get_session
from shared.errors import Forbidden
from shared.openapi import problems
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("pages", __name__, description="Captured mail, call list, calendar feeds")

FEED_STATUSES = feeds.FEED_STATUSES

MAIL_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Verstuurde mail (demo)</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
article{border:1px solid #ccc;margin:1rem 0;padding:.5rem 1rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere}</style></head><body>
<h1>Verstuurde mail</h1><p>De demo verstuurt niets: elke mail staat hier ({{ mails|length }}, nieuwste eerst{% if not
admin %}, van de buurtcentra waar je werkt{% endif %}).</p>
{% for m in mails %}<article><h2>{{ m.subject }}</h2><p>Aan: {{ m.recipient }} · {{ m.captured_at }} ·
{{ m.message_id }}{% if m.ics %} ·
<a href="{{ url_for('pages.OutboxMailCalendar', mail_id=m.id) }}" download="uitleen-{{ m.id }}.ics">agenda-afspraak
(.ics) downloaden</a>{% endif %}</p><pre>{{ m.text }}</pre></article>
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


@blp.route("/outbox-mail/<int:mail_id>.ics")
class OutboxMailCalendar(MethodView):
    @blp.doc(responses={200: {"description": "The .ics a captured mail carried", "content": {"text/calendar": {}}}})
    @problems(404, security="staff")
    def get(self, mail_id: int) -> Response:
        """The calendar appointment (.ics) attached to a captured mail, to open or import (same readers as the
        mail: administrators all, staff their own centres'; anyone else a 404)."""
        reader = current_principal()
        if current_app.extensions["notify_config"].mail_backend != "capture" or reader is None:
            abort(404)
        mail = readable_mail(get_session(), reader, mail_id)
        if mail is None or not mail.ics:
            abort(404)
        response = Response(mail.ics, mimetype="text/calendar")
        response.headers["Content-Disposition"] = f'attachment; filename="uitleen-{mail_id}.ics"'
        return response


@blp.route("/call-list")
class CallList(MethodView):
    @require_staff
    @blp.arguments(CallListQuerySchema, location="query")
    @blp.response(200, CallListEntrySchema(many=True))
    @problems(403)
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Whom to phone on a day (default today): every message for a requester without e-mail, with what to say.

        One centre (``location_id``) or every centre of the caller.
        """
        principal = require_principal()
        location_id = query.get("location_id")
        if location_id is not None and not principal.works_at(location_id):
            raise Forbidden("You do not work at this location.")
        day: date = query.get("day") or clock.to_local(clock.now()).date()
        if location_id is not None:
            centres: list[int] | None = [location_id]
        else:
            centres = None if principal.is_admin else sorted(principal.location_ids)
        config = current_app.extensions["notify_config"]
        return call_list.entries(get_session(), centres, day, config, clock.now())


CALENDAR = {"description": "An iCal feed", "content": {"text/calendar": {"schema": {"type": "string"}}}}


def _feed(bookings: list[Booking], name: str, location_id: int | None) -> Response:
    session = get_session()
    now = clock.now()
    events = [
        event
        for b in bookings
        for event in feed_appointments(
            b.snapshot, location_of(session, b), "nl", now, own_centre=location_id in (None, b.location_id)
        )
    ]
    return Response(calendar(events, name), mimetype="text/calendar")


@blp.route("/ical/locations/<int:location_id>.ics")
class LocationFeed(MethodView):
    @require_staff
    @blp.doc(responses={200: CALENDAR})
    @problems(403)
    def get(self, location_id: int) -> Response:
        """The loans picked up at a location, as an iCal feed (staff; send the API token as Bearer).

        Calendar apps send no cookie: for them, staff make a secret address at /notify/agenda."""
        if not require_principal().works_at(location_id):
            raise Forbidden("You do not work at this location.")
        bookings = get_session().scalars(
            sa.select(Booking)
            .where(Booking.location_id == location_id, Booking.status.in_(FEED_STATUSES))
            .order_by(Booking.pickup_at)
        )
        return _feed(list(bookings), f"Uitleen locatie {location_id}", location_id)


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
        return _feed(bookings, f"Uitleen materiaal {asset_id}", None)


@blp.route("/feeds/<token>.ics")
class SecretFeed(MethodView):
    @blp.doc(responses={200: CALENDAR, 404: {"description": "No such feed (unknown or revoked address)"}})
    def get(self, token: str) -> Response:
        """A calendar feed behind its secret address (made by staff at /notify/agenda): for calendar apps, which
        send no cookie. An unknown or revoked address is a 404."""
        session = get_session()
        feed = feeds.feed_for_token(session, token)
        if feed is None:
            abort(404)
        response = Response(feeds.feed_calendar(session, feed, clock.now()), mimetype="text/calendar")
        response.headers["Cache-Control"] = "private, max-age=300"
        return response
