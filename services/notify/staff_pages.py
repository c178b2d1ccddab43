"""Staff pages of the notify service: the message log (/notify/berichten), the daily call list (/notify/bellijst)
and the calendar feeds behind secret addresses (/notify/agenda). Server-rendered on the pages frame
(``shared.pages``): the same layout, navigation, language switch and error pages as the other staff pages; Dutch,
and English from ``translations/``. The domain says why in codes (``domain/reasons.py``): the words are here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from services.notify import application
from services.notify.domain import call_list, feeds
from services.notify.domain.notifications import search_notifications, skipped_staff_alerts
from services.notify.domain.reasons import Reason
from services.notify.models import Location, ScheduledNotification
from shared import clock
from shared.auth import Principal, current_principal
from shared.config import Settings
from shared.db import get_session
from shared.errors import DomainError, Forbidden
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
# Every kind of notification (services/notify/domain/schedule.py and copies.py make them).
KINDS = {
    "request_received": _l("aanvraag ontvangen"),
    "new_request": _l("nieuwe aanvraag (medewerkers)"),
    "approved": _l("goedgekeurd"),
    "rejected": _l("geweigerd"),
    "withdrawn": _l("ingetrokken"),
    "cancelled": _l("geannuleerd"),
    "expired": _l("verlopen"),
    "rescheduled": _l("verplaatst"),
    "expiry_warning": _l("verloopt bijna (medewerkers)"),
    "pickup_reminder": _l("herinnering ophalen"),
    "return_reminder": _l("herinnering terugbrengen"),
    "overdue_notice": _l("te laat"),
    "overdue_escalation": _l("te laat (medewerkers)"),
    "call_list_digest": _l("bellijst"),
}
# Booking's statuses, as the reasons name them.
BOOKING_STATUSES = {
    "requested": _l("aangevraagd"),
    "approved": _l("goedgekeurd"),
    "rejected": _l("geweigerd"),
    "withdrawn": _l("ingetrokken"),
    "cancelled": _l("geannuleerd"),
    "expired": _l("verlopen"),
    "no_show": _l("niet opgehaald"),
    "picked_up": _l("opgehaald"),
    "overdue": _l("te laat"),
    "returned": _l("teruggebracht"),
}
# The domain's reason codes in the page's words; %(status)s is a booking status above.
REASONS = {
    Reason.NO_EMAIL: _l("geen e-mailadres: staat op de bellijst van het buurtcentrum"),
    Reason.NO_CONTACT: _l(
        "geen e-mail en geen telefoon (aanvraag aan de balie): niet verstuurd, niet op de bellijst; de bewoner komt"
        " langs of belt met het referentienummer"
    ),
    Reason.LOCATION_NO_EMAIL: _l("het buurtcentrum heeft geen e-mailadres"),
    Reason.BOOKING_UNKNOWN: _l("aanvraag onbekend bij de berichtendienst"),
    Reason.STALE: _l("niet meer nodig: de aanvraag is nu %(status)s, of ophalen of terugbrengen is verplaatst"),
    Reason.OUT_OF_ORDER: _l("te laat aangekomen: de aanvraag is al %(status)s"),
    Reason.BOOKING_STATUS: _l("de aanvraag is %(status)s: dit bericht past niet meer"),
    Reason.PICKUP_PASSED: _l("het ophaalmoment is voorbij"),
    Reason.RETURN_PASSED: _l("het terugbrengmoment is voorbij (de melding 'te laat' volgt)"),
    Reason.EXPIRY_PASSED: _l("de aanvraag is al verlopen"),
    Reason.NOBODY_TO_CALL: _l("niemand te bellen die dag"),
    Reason.CONTACT_ANONYMISED: _l("de contactgegevens zijn gewist"),
    Reason.CANNOT_BUILD: _l("het bericht kon niet opgemaakt worden"),
    Reason.BAD_ADDRESS: _l("het e-mailadres is onbruikbaar"),
    Reason.REFUSED: _l("de mailserver weigerde het bericht"),
    Reason.GAVE_UP: _l("opgegeven na %(attempts)s pogingen"),
}
AUDIENCES = {"requester": _l("aanvragers"), "staff": _l("medewerkers")}
OUTCOMES = {"reached": _l("gebeld"), "unreached": _l("niet bereikt")}
PAGE_SIZE = 50


def reason_words(code: str | None, params: dict[str, Any] | None) -> str:
    """A row's reason in the reader's language; a code this version does not know, as it is."""
    if not code:
        return ""
    try:
        words = REASONS[Reason(code)]
    except ValueError:
        return code
    values = dict(params or {})
    if "status" in values:
        values["status"] = str(BOOKING_STATUSES.get(str(values["status"]), values["status"]))
    try:
        return str(words) % values if values else str(words)
    except (KeyError, TypeError, ValueError):
        return str(words)


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # require_staff_login
    return principal


def _centres(principal: Principal) -> list[int] | None:
    return None if principal.is_admin else sorted(principal.location_ids)


def _location_names(principal: Principal) -> dict[int, str]:
    query = sa.select(Location.id, Location.name).order_by(Location.name)
    if not principal.is_admin:
        query = query.where(Location.id.in_(sorted(principal.location_ids)))
    return {row.id: row.name for row in get_session().execute(query)}


def _log_filters() -> tuple[dict[str, Any], dict[str, str]]:
    """The message log's filters from the query (the page's names), as the domain's search wants them."""
    shown = {
        "status": request.args.get("status") or "",
        "doelgroep": request.args.get("doelgroep") or "",
        "reden": request.args.get("reden") or "",
        "ontvanger": (request.args.get("ontvanger") or "").strip()[:100],
    }
    filters: dict[str, Any] = {}
    if shown["status"] in STATUSES:
        filters["status"] = shown["status"]
    if shown["doelgroep"] in AUDIENCES:
        filters["audience"] = shown["doelgroep"]
    if shown["reden"] in {str(r) for r in Reason}:
        filters["reason"] = shown["reden"]
    if shown["ontvanger"]:
        filters["recipient"] = shown["ontvanger"]
    return filters, {name: value for name, value in shown.items() if value}


@blp.get("/berichten")
def message_log() -> str:
    """The delivery log: what was (or will be) sent to whom, and why something was not."""
    principal = _principal()
    filters, shown = _log_filters()
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
        shown=shown,
        statuses=STATUSES,
        kinds=KINDS,
        audiences=AUDIENCES,
        outcomes=OUTCOMES,
        reasons={str(code): words for code, words in REASONS.items()},
        reason_words=reason_words,
        skipped_alerts=skipped_staff_alerts(get_session(), _centres(principal)),
    )


@blp.get("/bellijst")
def call_list_page() -> str:
    """Whom to phone on a day, at every centre of the staff member (or one): every message for a requester
    without e-mail, with what to say and a "gebeld" / "niet bereikt" tick."""
    principal = _principal()
    locations = _location_names(principal)
    chosen = request.args.get("locatie", type=int)
    if chosen not in locations:
        chosen = None
    try:
        day = parse_day(request.args.get("dag", ""))
    except ValueError:
        day = clock.to_local(clock.now()).date()
    centres = [chosen] if chosen is not None else _centres(principal)
    config = current_app.extensions["notify_config"]
    entries = call_list.entries(get_session(), centres, day, config, clock.now())
    history = call_list.history(get_session(), [e["notification_id"] for e in entries])
    return render_template(
        "notify_call_list.html",
        entries=entries,
        history=history,
        locations=locations,
        chosen=chosen,
        day=day,
        outcomes=OUTCOMES,
        kinds=KINDS,
    )


@blp.post("/bellijst/<int:notification_id>")
def record_call(notification_id: int) -> Response:
    """Note "gebeld" or "niet bereikt" (with an optional note) for one entry of the call list."""
    principal = _principal()
    back = url_for(
        "staff_pages.call_list_page", dag=request.form.get("dag") or None, locatie=request.form.get("locatie") or None
    )
    try:
        application.record_call(
            get_session(),
            notification_id,
            request.form.get("outcome", ""),
            request.form.get("note", ""),
            principal,
            current_app.extensions["notify_config"],
        )
    except Forbidden:
        flash(_("Dit hoort bij een buurtcentrum waar je niet werkt."), "error")
        return redirect(back, 303)
    except DomainError as error:
        flash(_call_refusal(error), "error")
        return redirect(back, 303)
    flash(_("Genoteerd."), "ok")
    return redirect(f"{back}#bericht-{notification_id}", 303)


def _call_refusal(error: DomainError) -> str:
    if error.field_problem("note") is not None:
        return _("De notitie is te lang (hoogstens %(max)d tekens).", max=call_list.NOTE_LENGTH)
    if error.field_problem("outcome") is not None:
        return _("Kies 'gebeld' of 'niet bereikt'.")
    return _("Dit bericht staat niet (meer) op de bellijst.")


@blp.get("/agenda")
def feeds_page() -> str:
    """The calendar feeds of the staff member's centres and assets: make, renew or revoke a secret address."""
    return _feeds_page()


def _feeds_page(new: dict[str, str] | None = None, status: int = 200) -> Any:
    targets = feeds.manageable_targets(get_session(), _principal())
    html = render_template("notify_feeds.html", targets=targets, new=new, english=str(get_locale()) == "en")
    return html if status == 200 else (html, status)


@blp.post("/agenda")
def make_feed() -> Any:
    """A new secret address for a feed (the old one, if any, stops working): shown once, on this answer."""
    scope = request.form.get("scope", "")
    target_id = request.form.get("target_id", type=int)
    if scope not in feeds.SCOPES or target_id is None:
        flash(_("Kies een buurtcentrum of materiaal."), "error")
        return redirect(url_for("staff_pages.feeds_page"), 303)
    try:
        feed, token = application.make_feed(get_session(), scope, target_id, _principal(), str(get_locale() or "nl"))
    except Forbidden:
        flash(_("Dit hoort bij een buurtcentrum waar je niet werkt."), "error")
        return redirect(url_for("staff_pages.feeds_page"), 303)
    except DomainError:
        flash(_("Dat buurtcentrum of materiaal bestaat niet (meer)."), "error")
        return redirect(url_for("staff_pages.feeds_page"), 303)
    url = feeds.feed_url(current_app.extensions["notify_config"].public_url, token)
    # the address is shown on this answer only (it is never stored): no redirect, no flash cookie holding it
    return _feeds_page(
        {"scope": feed.scope, "target_id": str(feed.target_id), "url": url, "webcal": feeds.webcal_url(url)}
    )


@blp.post("/agenda/<int:feed_id>/intrekken")
def revoke_feed(feed_id: int) -> Response:
    """Revoke a feed's address: calendar apps subscribed to it get nothing more (a 404)."""
    try:
        application.revoke_feed(get_session(), feed_id, _principal())
    except Forbidden:
        flash(_("Dit hoort bij een buurtcentrum waar je niet werkt."), "error")
        return redirect(url_for("staff_pages.feeds_page"), 303)
    except DomainError:
        flash(_("Deze link bestaat niet (meer)."), "error")
        return redirect(url_for("staff_pages.feeds_page"), 303)
    flash(_("De link is ingetrokken: agenda's die hem volgden, krijgen niets meer."), "ok")
    return redirect(url_for("staff_pages.feeds_page"), 303)


def init_staff_pages(app: Flask, settings: Settings) -> None:
    """HTML pages for staff: plain Flask on the pages frame, not part of the API document."""
    app.register_blueprint(blp)
    init_pages(app, settings, HERE / "translations", [blp], home="staff_pages.message_log")
