"""Staff pages of the notify service: the message log (/notify/berichten) and the daily call list
(/notify/bellijst). Server-rendered on the pages frame (``shared.pages``): the same layout, navigation,
language switch and error pages as the other staff pages; Dutch, and English from ``translations/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, render_template, request
from flask_babel import lazy_gettext as _l

from services.notify.domain.dispatch import call_list
from services.notify.domain.notifications import search_notifications
from services.notify.models import Location, ScheduledNotification
from shared import clock
from shared.auth import Principal, current_principal
from shared.config import Settings
from shared.db import get_session
from shared.pages import init_pages, require_staff_login
from shared.timeparse import parse_day

HERE = Path(__file__).resolve().parent

blp = Blueprint("staff_pages", __name__, template_folder="web_templates")
require_staff_login(blp)

STATUSES = {
    "scheduled": _l("gepland"),
    "sending": _l("wordt verstuurd"),
    "sent": _l("verstuurd"),
    "failed": _l("mislukt"),
    "skipped": _l("niet verstuurd"),
    "call_list": _l("op de bellijst"),
}
# Every kind of notification (services/notify/domain/notifications.py and copies.py make them).
KINDS = {
    "request_received": _l("aanvraag ontvangen"),
    "new_request": _l("nieuwe aanvraag (medewerkers)"),
    "approved": _l("goedgekeurd"),
    "rejected": _l("geweigerd"),
    "withdrawn": _l("ingetrokken"),
    "cancelled": _l("geannuleerd"),
    "expired": _l("verlopen"),
    "pickup_reminder": _l("herinnering ophalen"),
    "return_reminder": _l("herinnering terugbrengen"),
    "overdue_notice": _l("te laat"),
    "overdue_escalation": _l("te laat (medewerkers)"),
    "call_list_digest": _l("bellijst"),
}
# What to tell someone on the phone, per reminder (the call list's own words for the domain's kinds).
WHAT_TO_SAY = {
    "pickup_reminder": _l("herinneren aan ophalen"),
    "return_reminder": _l("herinneren aan terugbrengen"),
    "overdue_notice": _l("te laat: vragen om terug te brengen"),
}
PAGE_SIZE = 50


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # require_staff_login
    return principal


def _location_names(principal: Principal) -> dict[int, str]:
    query = sa.select(Location.id, Location.name).order_by(Location.name)
    if not principal.is_admin:
        query = query.where(Location.id.in_(sorted(principal.location_ids)))
    return {row.id: row.name for row in get_session().execute(query)}


@blp.get("/berichten")
def message_log() -> str:
    """The delivery log: what was (or will be) sent to whom, and why something was not."""
    principal = _principal()
    filters: dict[str, Any] = {}
    status = request.args.get("status") or None
    if status in STATUSES:
        filters["status"] = status
    recipient = (request.args.get("ontvanger") or "").strip()[:100]
    if recipient:
        filters["recipient"] = recipient
    page = max(1, min(1000, request.args.get("pagina", 1, type=int) or 1))
    query = search_notifications(get_session(), filters)
    if not principal.is_admin:
        query = query.where(ScheduledNotification.location_id.in_(sorted(principal.location_ids)))
    rows = list(get_session().scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return render_template(
        "notify_log.html",
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page=page,
        status=status or "",
        recipient=recipient,
        statuses=STATUSES,
        kinds=KINDS,
    )


@blp.get("/bellijst")
def call_list_page() -> str:
    """Whom to phone today: reminders of requesters who have no e-mail address."""
    locations = _location_names(_principal())
    chosen = request.args.get("locatie", type=int)
    if chosen not in locations:
        chosen = next(iter(locations), None)
    try:
        day = parse_day(request.args.get("dag", ""))
    except ValueError:
        day = clock.to_local(clock.now()).date()
    entries = call_list(get_session(), chosen, day) if chosen is not None else []
    return render_template(
        "notify_call_list.html", entries=entries, locations=locations, chosen=chosen, day=day, what=WHAT_TO_SAY
    )


def init_staff_pages(app: Flask, settings: Settings) -> None:
    """HTML pages for staff: plain Flask on the pages frame, not part of the API document."""
    app.register_blueprint(blp)
    init_pages(app, settings, HERE / "translations", [blp], home="staff_pages.message_log")
