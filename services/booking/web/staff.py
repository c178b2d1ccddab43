"""The staff's pages: the dashboard of requests waiting for a decision, approve, reject."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from services.booking.domain import decisions, queries
from services.booking.domain.errors import BookingConflict, InvalidTransition, NotYourCentre, RequirementNotMet
from services.booking.domain.lifecycle import staff_actor
from services.booking.models import BookingRequest, InvAsset, InvLocation, InvRequirement
from services.booking.web.i18n import in_language, localise_detail, long_datetime
from shared import clock
from shared.auth import Principal, current_principal
from shared.db import get_session
from shared.errors import DomainError
from shared.pages import require_staff_login

blp = Blueprint("staff", __name__, url_prefix="/staff")
require_staff_login(blp)


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # require_staff_login
    return principal


@blp.app_context_processor
def _staff_context() -> dict[str, Any]:
    return {"principal": current_principal()}


def pending_for(principal: Principal) -> list[BookingRequest]:
    db = get_session()
    query = queries.filtered_requests_query(queries.RequestFilter(status="requested"))
    query = query.order_by(None).order_by(BookingRequest.created_at, BookingRequest.id)
    if not principal.is_admin:
        query = query.where(BookingRequest.location_id.in_(sorted(principal.location_ids) or [-1]))
    return list(db.scalars(query).unique())


def _age(created_at: datetime) -> str:
    hours = int((clock.now() - created_at).total_seconds() // 3600)
    if hours < 1:
        return _("minder dan een uur")
    if hours < 48:
        return ngettext("%(num)d uur", "%(num)d uur", hours)
    return ngettext("%(num)d dag", "%(num)d dagen", hours // 24)


def _names(db: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.scalars(sa.select(InvAsset).where(InvAsset.id.in_(ids)))
    return {a.id: in_language(a.name_nl, a.name_en) for a in rows}


@blp.get("")
@blp.get("/")
def dashboard() -> str:
    db = get_session()
    pending = pending_for(_principal())
    cards = []
    for booking in pending:
        competition = queries.competition(db, booking)
        cards.append(
            {
                "booking": booking,
                "age": _age(booking.created_at),
                "competition": competition,
                "location": db.get(InvLocation, booking.location_id),
                "assets": _names(db, {item.asset_id for item in booking.items}),
            }
        )
    return render_template("staff/dashboard.html", cards=cards, labels=requirement_labels(db))


def requirement_labels(db: Any) -> dict[str, str]:
    return {r.code: in_language(r.label_nl, r.label_en) for r in db.scalars(sa.select(InvRequirement))}


def _act(request_id: int, command: Callable[..., Any], *args: Any, to: str = "staff.dashboard") -> Response:
    db = get_session()
    try:
        booking = decisions.get_request(db, request_id, for_update=True)
        command(db, booking, staff_actor(_principal()), *args)
        db.commit()
    except DomainError as error:
        db.rollback()
        flash(_explain(error), "error")
        return redirect(url_for(to) + f"#aanvraag-{request_id}", code=303)
    flash(_done(command, booking), "ok")
    return redirect(url_for(to), code=303)


def _done(command: Callable[..., Any], booking: BookingRequest) -> str:
    if command is decisions.approve:
        return _("Aanvraag %(ref)s is goedgekeurd.", ref=booking.reference)
    if command is decisions.verify_requirement:
        return _("Voorwaarde bij %(ref)s bewaard.", ref=booking.reference)
    if command is decisions.pick_up:
        return _("%(ref)s is meegegeven.", ref=booking.reference)
    if command is decisions.take_back:
        return _("%(ref)s is teruggebracht.", ref=booking.reference)
    if command is decisions.cancel:
        return _("De uitlening %(ref)s is geannuleerd.", ref=booking.reference)
    return _("Aanvraag %(ref)s is geweigerd.", ref=booking.reference)


def _explain(error: DomainError) -> str:
    """The domain's refusal in plain words for the staff member."""
    if isinstance(error, BookingConflict):
        conflicts = error.extra.get("conflicts") or []
        refs = sorted({str(c["reference"]) for c in conflicts if c.get("kind") == "booking"})
        parts = []
        if refs:
            parts.append(_("het materiaal is dan al uitgeleend (%(refs)s)", refs=", ".join(refs)))
        for window in (c for c in conflicts if c.get("kind") == "maintenance"):
            starts = long_datetime(datetime.fromisoformat(str(window["starts_at"])))
            parts.append(_("er is onderhoud gepland vanaf %(when)s", when=starts))
        reason = "; ".join(parts) or _("het materiaal is niet vrij")
        return _("Niet goedgekeurd: %(reason)s.", reason=reason)
    if isinstance(error, RequirementNotMet):
        codes = ", ".join(str(u["code"]) for u in error.extra.get("unmet") or [])
        return _("Niet goedgekeurd: een voorwaarde is niet beantwoord of niet in orde (%(codes)s).", codes=codes)
    if isinstance(error, InvalidTransition):
        return _("Dat kan niet meer: iemand heeft deze aanvraag intussen behandeld.")
    if isinstance(error, NotYourCentre):
        return _("Deze aanvraag hoort bij een buurtcentrum waar je niet werkt.")
    if error.detail.startswith("Give a reason"):
        return _("Geef een reden; de aanvrager leest die.")
    return localise_detail(error.detail)


@blp.post("/aanvragen/<int:request_id>/goedkeuren")
def approve(request_id: int) -> Response:
    return _act(request_id, decisions.approve)


@blp.post("/aanvragen/<int:request_id>/voorwaarden/<int:item_id>/<code>")
def verify(request_id: int, item_id: int, code: str) -> Response:
    """Staff saw the requirement met (or found it not met, which blocks approval)."""
    met = request.form.get("verified") == "yes"
    return _act(request_id, decisions.verify_requirement, item_id, code, met, None)


@blp.post("/aanvragen/<int:request_id>/weigeren")
def reject(request_id: int) -> Response:
    return _act(request_id, decisions.reject, request.form.get("reason", "").strip() or None)


@blp.get("/balie")
def walk_in_choose() -> str:
    """A resident at the desk or on the phone: first choose what they want to borrow."""
    db = get_session()
    assets = db.scalars(sa.select(InvAsset).where(InvAsset.status == "active").order_by(InvAsset.name_nl)).all()
    return render_template("staff/walk_in.html", assets=assets)


def _staff_asset(code: str) -> InvAsset:
    asset = get_session().scalar(sa.select(InvAsset).where(InvAsset.code == code, InvAsset.status == "active"))
    if asset is None:
        abort(404)
    return asset


@blp.get("/balie/<code>")
def walk_in_form(code: str) -> tuple[str, int]:
    from services.booking.web.forms import FormErrors
    from services.booking.web.public import _render_form

    return _render_form(_staff_asset(code), {"quantity": "1", "language": "nl"}, FormErrors(), staff_mode=True)


@blp.post("/balie/<code>")
def walk_in_submit(code: str) -> Response | tuple[str, int]:
    from services.booking.web.public import handle_submission

    return handle_submission(_staff_asset(code), staff_actor(_principal()))
