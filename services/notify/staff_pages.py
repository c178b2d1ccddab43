"""Staff pages of the notify service: the message log (/notify/berichten) and the daily call list
(/notify/bellijst). Server-rendered, Dutch, the same look as the other staff pages; no JavaScript needed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from services.notify.domain.dispatch import call_list
from services.notify.domain.notifications import search_notifications
from services.notify.models import Location, ScheduledNotification
from shared import clock
from shared.auth import Principal, current_principal
from shared.timeparse import parse_day

blp = Blueprint("staff_pages", __name__, template_folder="web_templates")

STATUSES = ("scheduled", "sending", "sent", "failed", "skipped", "call_list")
STATUS_NL = {
    "scheduled": "gepland",
    "sending": "wordt verstuurd",
    "sent": "verstuurd",
    "failed": "mislukt",
    "skipped": "niet verstuurd",
    "call_list": "op de bellijst",
}
KIND_NL = {
    "request_received": "aanvraag ontvangen",
    "new_request": "nieuwe aanvraag (medewerkers)",
    "approved": "goedgekeurd",
    "rejected": "geweigerd",
    "withdrawn": "ingetrokken",
    "cancelled": "geannuleerd",
    "expired": "verlopen",
    "pickup_reminder": "herinnering ophalen",
    "return_reminder": "herinnering terugbrengen",
    "overdue_notice": "te laat",
    "overdue_escalation": "te laat (medewerkers)",
    "call_digest": "bellijst",
}
PAGE_SIZE = 50


def _staff_or_login() -> Principal | BaseResponse:
    principal = current_principal()
    if principal is None:
        return redirect(f"/inventory/login?next=/notify{request.path}")
    return principal


def _session() -> Any:
    from shared.db import get_session

    return get_session()


def _location_names(principal: Principal) -> dict[int, str]:
    query = sa.select(Location.id, Location.name).order_by(Location.name)
    if not principal.is_admin:
        query = query.where(Location.id.in_(sorted(principal.location_ids)))
    return {row.id: row.name for row in _session().execute(query)}


@blp.get("/berichten")
def message_log() -> Response | BaseResponse:
    """The delivery log: what was (or will be) sent to whom, and why something was not."""
    principal = _staff_or_login()
    if not isinstance(principal, Principal):
        return principal
    filters: dict[str, Any] = {}
    status = request.args.get("status") or None
    if status in STATUSES:
        filters["status"] = status
    recipient = (request.args.get("ontvanger") or "").strip()[:100]
    if recipient:
        filters["recipient"] = recipient
    page = max(1, min(1000, request.args.get("pagina", 1, type=int) or 1))
    query = search_notifications(_session(), filters)
    if not principal.is_admin:
        query = query.where(ScheduledNotification.location_id.in_(sorted(principal.location_ids)))
    rows = list(_session().scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    html = render_template(
        "notify_log.html",
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page=page,
        status=status or "",
        recipient=recipient,
        statuses=STATUSES,
        status_nl=STATUS_NL,
        kind_nl=KIND_NL,
        principal=principal,
        local=clock.to_local,
    )
    return Response(html, mimetype="text/html")


@blp.get("/bellijst")
def call_list_page() -> Response | BaseResponse:
    """Whom to phone today: reminders of requesters who have no e-mail address."""
    principal = _staff_or_login()
    if not isinstance(principal, Principal):
        return principal
    locations = _location_names(principal)
    chosen = request.args.get("locatie", type=int)
    if chosen not in locations:
        chosen = next(iter(locations), None)
    try:
        day = parse_day(request.args.get("dag", ""))
    except ValueError:
        day = clock.to_local(clock.now()).date()
    entries = call_list(_session(), chosen, day) if chosen is not None else []
    html = render_template(
        "notify_call_list.html",
        entries=entries,
        locations=locations,
        chosen=chosen,
        day=day,
        principal=principal,
        local=clock.to_local,
    )
    return Response(html, mimetype="text/html")
