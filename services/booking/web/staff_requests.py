"""Staff pages about one request and one initiative: everything recorded of a request, and moving its dates.

A request of another centre is a 404, never its data: the page reads through ``queries.requests.request_page``
(which refuses another centre's request) and the initiative page through ``initiative_page`` (only the requests
and contact persons of the reader's centres; an initiative with none there is not found). The reschedule form
makes the API's command (``RescheduleSchema``) and runs it through ``application.decide``; the event it emits
(``booking.request.rescheduled``) is what notify mails with the moved appointment (.ics).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from services.booking import application
from services.booking.api.schemas import RescheduleSchema
from services.booking.config import current_policy
from services.booking.domain.commands import ById, Reschedule
from services.booking.domain.lifecycle import can, staff_actor
from services.booking.domain.vocabulary import Action, Status
from services.booking.models import AuditEntry, BookingRequest
from services.booking.queries import requests as reads
from services.booking.web import forms
from services.booking.web.catalogue import opening_lines
from services.booking.web.i18n import long_datetime, parse_iso
from services.booking.web.messages import say, say_error
from services.booking.web.staff import blp, principal
from services.booking.web.texts import ACTIONS, CALL_OUTCOMES, CALL_SUBJECTS, STAFF_ACTORS, STATUSES
from shared import clock
from shared.db import get_session
from shared.errors import DomainError, InvalidInput, schema_problems

# The contact details a change names (the audit keeps which changed, not the values).
CONTACT_FIELDS = {
    "name": _l("naam"),
    "email": _l("e-mailadres"),
    "phone": _l("telefoonnummer"),
    "language": _l("taal"),
}
DATE_FIELDS = ("pickup_date", "pickup_time", "return_date", "return_time")


def _status(code: str | None) -> str:
    return str(STATUSES.get(code or "", code or ""))


def _details(entry: AuditEntry, labels: Mapping[str, str]) -> list[str]:
    """What an audit row's details say, in the reader's words (the domain records codes and values)."""
    details = entry.details or {}
    lines: list[str] = []
    if details.get("buffers_overridden"):
        lines.append(_("Goedgekeurd zonder de tijd om na te kijken."))
    for code, done in (details.get("checks") or {}).items():
        label = labels.get(code, code)
        lines.append(_("%(what)s: nagekeken", what=label) if done else _("%(what)s: niet nagekeken", what=label))
    if details.get("notes"):
        lines.append(_("Opmerkingen: %(text)s", text=details["notes"]))
    if details.get("not_done_because"):
        lines.append(_("Toch meegegeven omdat: %(text)s", text=details["not_done_because"]))
    if details.get("condition"):
        lines.append(_("Staat bij terugbrengen: %(text)s", text=details["condition"]))
    if details.get("damage"):
        lines.append(_("Schade: %(text)s", text=details["damage"]))
    before = details.get("before")
    if isinstance(before, dict) and before.get("pickup_at") and before.get("return_at"):
        lines.append(
            _(
                "Was: ophalen %(pickup)s, terugbrengen %(back)s.",
                pickup=long_datetime(parse_iso(before["pickup_at"])),
                back=long_datetime(parse_iso(before["return_at"])),
            )
        )
    if entry.action == Action.VERIFY_REQUIREMENT and "code" in details:
        label = labels.get(str(details["code"]), str(details["code"]))
        lines.append(
            _("%(what)s: in orde", what=label) if details.get("verified") else _("%(what)s: niet in orde", what=label)
        )
    if details.get("changed"):
        words = [str(CONTACT_FIELDS.get(name, name)) for name in details["changed"]]
        lines.append(_("Gewijzigd: %(what)s", what=", ".join(words)))
    if details.get("reason_code"):
        lines.append(say(str(details["reason_code"])))
    return lines


def audit_lines(entries: list[AuditEntry], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The audit trail as the page shows it: when, what, who, the status it moved between, reason, details."""
    me = principal().staff_id
    lines = []
    for entry in entries:
        who = str(STAFF_ACTORS.get(entry.actor_kind, entry.actor_kind))
        if entry.staff_id is not None:
            who = _("door jou") if entry.staff_id == me else _("door medewerker nr. %(id)s", id=entry.staff_id)
        moved = entry.from_status is not None and entry.from_status != entry.to_status
        lines.append(
            {
                "at": entry.at,
                "action": str(ACTIONS.get(entry.action, entry.action)),
                "who": who,
                "moved": (_status(entry.from_status), _status(entry.to_status)) if moved else None,
                "reason": entry.reason,
                "details": _details(entry, labels),
            }
        )
    return lines


def _local(value: Any) -> tuple[str, str]:
    local = clock.to_local(value)
    return local.date().isoformat(), local.strftime("%H:%M")


def _date_form(booking: BookingRequest) -> dict[str, str]:
    """The reschedule form's first values: the loan's dates as they are."""
    pickup_date, pickup_time = _local(booking.pickup_at)
    return_date, return_time = _local(booking.return_at)
    return {
        "pickup_date": pickup_date,
        "pickup_time": pickup_time,
        "return_date": return_date,
        "return_time": return_time,
    }


def _page_or_404(db: Any, request_id: int) -> reads.RequestPage:
    try:
        return reads.request_page(db, request_id, principal())
    except DomainError as error:
        if error.status in (403, 404):
            abort(404)  # another centre's request is not there for this reader
        raise


def render_request_page(
    request_id: int, form: dict[str, str] | None = None, errors: forms.FormErrors | None = None, status: int = 200
) -> tuple[str, int]:
    db = get_session()
    page = _page_or_404(db, request_id)
    booking = page.context.request
    labels = forms.requirement_labels(db, page.codes | set((booking.pickup_checks or {}).get("checks", {})))
    movable = can(Action.RESCHEDULE, booking.status, staff_actor(principal()), booking.location_id)
    return (
        render_template(
            "staff/request.html",
            b=booking,
            comp=page.context.competition,
            history=page.context.initiative_history,
            contacts=page.context.initiative_contacts,
            calls=page.calls,
            call_subjects=CALL_SUBJECTS,
            call_outcomes=CALL_OUTCOMES,
            audit=audit_lines(page.audit, labels),
            names=page.asset_names,
            shortfalls=page.shortfalls,
            labels=labels,
            checks=booking.pickup_checks,
            movable=movable,
            pickup_movable=booking.status == Status.APPROVED,
            form=form or _date_form(booking),
            errors=errors or forms.FormErrors(),
        ),
        status,
    )


@blp.get("/aanvragen/<int:request_id>")
def request_page(request_id: int) -> tuple[str, int]:
    """One request: status, asset, dates, contact, answers, what competes, hand-over, return, audit trail."""
    return render_request_page(request_id)


@blp.get("/aanvragen/<int:request_id>/briefje")
def slip(request_id: int) -> str:
    """A slip to print or read out for a resident without e-mail: the reference to quote when phoning or coming
    by, the dates, the centre and its phone, and what to bring to the hand-over."""
    db = get_session()
    page = _page_or_404(db, request_id)
    booking = page.context.request
    labels = forms.requirement_labels(db, page.codes)
    return render_template(
        "staff/slip.html", b=booking, names=page.asset_names, labels=labels, opening=opening_lines(booking.location)
    )


def _instant(form: Mapping[str, str], prefix: str) -> str:
    day, moment = form.get(f"{prefix}_date", "").strip(), form.get(f"{prefix}_time", "").strip()
    return f"{day}T{moment}" if day and moment else ""


@blp.post("/aanvragen/<int:request_id>/verplaatsen")
def reschedule(request_id: int) -> Response | tuple[str, int]:
    """New pick-up (while not handed over) and return moments; the requester is mailed the moved appointment."""
    form = {name: request.form.get(name, "").strip() for name in (*DATE_FIELDS, "reason")}
    data: dict[str, Any] = {"return_at": _instant(form, "return"), "reason": form["reason"] or None}
    if form["pickup_date"] or form["pickup_time"]:
        data["pickup_at"] = _instant(form, "pickup")
    errors = forms.FormErrors()
    try:
        command: Reschedule = RescheduleSchema().load(data)
    except ma.ValidationError as error:
        forms.add_problems(errors, schema_problems(error.messages), staff=True)
        return render_request_page(request_id, form, errors, 422)
    try:
        outcome = application.decide(
            get_session(), ById(request_id), staff_actor(principal()), command, current_policy()
        )
    except InvalidInput as error:
        forms.add_problems(errors, error.problems, staff=True)
        return render_request_page(request_id, form, errors, 422)
    except DomainError as error:
        if error.status in (403, 404):
            abort(404)
        errors.add(None, say_error(error, staff=True))
        return render_request_page(request_id, form, errors, 409)
    flash(
        _(
            "%(ref)s is verplaatst: ophalen %(pickup)s, terugbrengen %(back)s. De aanvrager krijgt de nieuwe afspraak.",
            ref=outcome.request.reference,
            pickup=long_datetime(outcome.request.pickup_at),
            back=long_datetime(outcome.request.return_at),
        ),
        "ok",
    )
    return redirect(url_for("staff.request_page", request_id=request_id), code=303)


@blp.get("/initiatieven/<int:initiative_id>")
def initiative_page(initiative_id: int) -> str:
    """An initiative: its requests and contact persons at the reader's centres (an initiative with none: 404)."""
    page = reads.initiative_page(get_session(), initiative_id, reads.centres_of(principal()))
    if page is None:
        abort(404)
    return render_template(
        "staff/initiative.html", initiative=page.initiative, requests=page.requests, contacts=page.contacts
    )
