"""The staff's pages: the dashboard of requests waiting for a decision, approve, reject, the desk form.

Every decision goes through ``application.decide`` (one call, one transaction); a refusal is flashed in the
staff member's language and the page scrolls back to the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from services.booking import application
from services.booking.config import current_policy
from services.booking.domain.commands import (
    Approve,
    ById,
    Cancel,
    Decision,
    PickUp,
    Reject,
    Return,
    VerifyRequirement,
)
from services.booking.domain.lifecycle import staff_actor
from services.booking.queries import catalogue as catalogue_reads
from services.booking.queries import requests as reads
from services.booking.web import forms, texts
from services.booking.web.messages import say_error
from shared import clock
from shared.auth import Principal, current_principal
from shared.db import get_session
from shared.errors import DomainError
from shared.pages import require_staff_login

blp = Blueprint("staff", __name__, url_prefix="/staff")
require_staff_login(blp)


def principal() -> Principal:
    found = current_principal()
    assert found is not None  # require_staff_login
    return found


@blp.app_context_processor
def _staff_context() -> dict[str, Any]:
    return {"principal": current_principal()}


def _age(created_at: datetime) -> str:
    hours = int((clock.now() - created_at).total_seconds() // 3600)
    if hours < 1:
        return _("minder dan een uur")
    if hours < 48:
        return ngettext("%(num)d uur", "%(num)d uur", hours)
    return ngettext("%(num)d dag", "%(num)d dagen", hours // 24)


@blp.get("")
@blp.get("/")
def dashboard() -> str:
    db = get_session()
    board = reads.dashboard(db, reads.centres_of(principal()))
    cards = [
        {
            "booking": card.request,
            "age": _age(card.request.created_at),
            "competition": card.competition,
            "location": card.location,
            "assets": board.asset_names,
        }
        for card in board.cards
    ]
    return render_template(
        "staff/dashboard.html",
        cards=cards,
        labels=forms.requirement_labels(db, board.codes),
        without_email=board.without_email,
        shortfalls=board.shortfalls,
        closed_days=board.closed_days,
        holiday_names=texts.HOLIDAYS,
    )


DONE = {
    Approve: lambda ref: _("Aanvraag %(ref)s is goedgekeurd.", ref=ref),
    Reject: lambda ref: _("Aanvraag %(ref)s is geweigerd.", ref=ref),
    VerifyRequirement: lambda ref: _("Voorwaarde bij %(ref)s bewaard.", ref=ref),
    PickUp: lambda ref: _("%(ref)s is meegegeven.", ref=ref),
    Return: lambda ref: _("%(ref)s is teruggebracht.", ref=ref),
    Cancel: lambda ref: _("De uitlening %(ref)s is geannuleerd.", ref=ref),
}


def decide(request_id: int, command: Decision, to: str = "staff.dashboard") -> Response:
    """Run a staff decision; say what happened (or why not) and go back to the page it came from."""
    try:
        outcome = application.decide(
            get_session(), ById(request_id), staff_actor(principal()), command, current_policy()
        )
    except DomainError as error:
        if error.status == 404:
            abort(404)
        flash(_("Niet gelukt: %(why)s", why=say_error(error, staff=True)), "error")
        return redirect(url_for(to) + f"#aanvraag-{request_id}", code=303)
    flash(DONE[type(command)](outcome.request.reference), "ok")
    return redirect(url_for(to), code=303)


@blp.post("/aanvragen/<int:request_id>/goedkeuren")
def approve(request_id: int) -> Response:
    return decide(request_id, Approve())


@blp.post("/aanvragen/<int:request_id>/voorwaarden/<int:item_id>/<code>")
def verify(request_id: int, item_id: int, code: str) -> Response:
    """Staff saw the requirement met (or found it not met, which blocks approval)."""
    return decide(request_id, VerifyRequirement(item_id, code, request.form.get("verified") == "yes"))


@blp.post("/aanvragen/<int:request_id>/weigeren")
def reject(request_id: int) -> Response:
    return decide(request_id, Reject(request.form.get("reason", "").strip() or None))


@blp.get("/balie")
def walk_in_choose() -> str:
    """A resident at the desk or on the phone: first choose what they want to borrow."""
    return render_template("staff/walk_in.html", assets=catalogue_reads.bookable_assets(get_session(), is_staff=True))


def _staff_asset(code: str) -> Any:
    asset = catalogue_reads.find_asset(get_session(), code, is_staff=True)
    if asset is None:
        abort(404)
    return asset


@blp.get("/balie/<code>")
def walk_in_form(code: str) -> tuple[str, int]:
    from services.booking.web.public import render_form

    return render_form(_staff_asset(code), {"quantity": "1", "language": "nl"}, forms.FormErrors(), staff_mode=True)


@blp.post("/balie/<code>")
def walk_in_submit(code: str) -> Response | tuple[str, int]:
    from services.booking.web.public import handle_submission

    return handle_submission(_staff_asset(code), staff_actor(principal()))
