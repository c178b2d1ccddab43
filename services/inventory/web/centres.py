"""Staff pages for the community centres (``/inventory/beheer/centra``): the list, a centre's name, address,
e-mail, phone, opening hours and closures (days it stays shut: the Christmas break, a staff day), and
(administrators) a new centre.

On the beheer blueprint (the same login redirect and CSRF check). The form is read through the JSON API's own
schemas (``LocationInSchema``, ``LocationPatchSchema``), and the change is the same application call as
``PATCH``/``POST /inventory/locations`` (``update_location``, ``create_location``): one set of rules. Staff edit
their own centres, administrators every one; only administrators add one.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import marshmallow as ma
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from services.inventory import application
from services.inventory.api.schemas import LocationInSchema, LocationPatchSchema
from services.inventory.domain import locations
from services.inventory.domain.permissions import check_can_manage_location, check_is_admin
from services.inventory.models import Location
from services.inventory.web.beheer import CODES, blp, explain, not_your_centre
from shared.auth import current_principal
from shared.db import get_session
from shared.errors import DomainError, Forbidden, PreconditionFailed, schema_problems
from shared.timeparse import whole_number

FIELDS = {
    "name": _l("Naam"),
    "street": _l("Straat en nummer"),
    "postal_code": _l("Postcode"),
    "city": _l("Gemeente"),
    "email": _l("E-mailadres (voor de meldingen aan de medewerkers)"),
    "phone": _l("Telefoonnummer"),
}
NEW_FIELDS = {"code": _l("Code (in adressen, bv. bc-dampoort)"), **FIELDS}
OPTIONAL = ("email", "phone")  # empty: none
WEEKDAYS = (
    _l("maandag"),
    _l("dinsdag"),
    _l("woensdag"),
    _l("donderdag"),
    _l("vrijdag"),
    _l("zaterdag"),
    _l("zondag"),
)
SLOTS = 2  # a morning and an afternoon; a day with more intervals (from the API) shows them all
# What the schema or the domain said about a field, in the page's words.
FIELD_TEXTS = {
    "code": _l("Gebruik 2 tot 40 kleine letters, cijfers, '-' of '_'."),
    "name": _l("Vul een naam in (één regel, hoogstens 200 tekens)."),
    "street": _l("Vul straat en nummer in (één regel, hoogstens 200 tekens)."),
    "postal_code": _l("Een Belgische postcode heeft 4 cijfers."),
    "city": _l("Vul een gemeente in (één regel, hoogstens 100 tekens)."),
    "email": _l("Dit is geen geldig e-mailadres."),
    "phone": _l("Eén regel, hoogstens 40 tekens."),
}
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def hour_field(weekday: int, slot: int, end: str) -> str:
    return f"hours-{weekday}-{slot}-{end}"


def _slots(location: Location | None) -> list[int]:
    """How many intervals each weekday's row shows: two, or more if the centre has more."""
    counts = [0] * 7
    for interval in location.opening_hours if location else []:
        counts[interval.weekday] += 1
    return [max(SLOTS, n) for n in counts]


def _stored_values(location: Location) -> dict[str, str]:
    values = {name: getattr(location, name) or "" for name in FIELDS}
    seen = [0] * 7
    for interval in location.opening_hours:
        slot = seen[interval.weekday]
        seen[interval.weekday] += 1
        values[hour_field(interval.weekday, slot, "opens")] = f"{interval.opens:%H:%M}"
        values[hour_field(interval.weekday, slot, "closes")] = f"{interval.closes:%H:%M}"
    return values


def _read_form(form: MultiDict[str, str], names: dict[str, Any], slots: list[int]) -> tuple[dict[str, Any], dict]:
    """The form as the API's body, the form field of each opening interval (by index), and the errors found
    before the schema (a half-filled interval, a time that is no time)."""
    data: dict[str, Any] = {}
    for name in names:
        value = form.get(name, "").strip()
        data[name] = None if (name in OPTIONAL and not value) else value
    hours: list[dict[str, Any]] = []
    where: dict[int, str] = {}
    errors: dict[str, str] = {}
    for weekday in range(7):
        for slot in range(max(slots[weekday], SLOTS)):
            opens, closes = (form.get(hour_field(weekday, slot, end), "").strip() for end in ("opens", "closes"))
            first = hour_field(weekday, slot, "opens")
            if not opens and not closes:
                continue
            if not (opens and closes):
                errors[first] = _("Vul zowel het begin als het einde in, of laat beide leeg.")
            elif not (TIME.match(opens) and TIME.match(closes)):
                errors[first] = _("Geef een uur als 9:00 of 13:30.")
            else:
                where[len(hours)] = first
                hours.append({"weekday": weekday, "opens": opens.zfill(5), "closes": closes.zfill(5)})
    data["opening_hours"] = hours
    return data, {"where": where, "errors": errors}


def _schema_errors(error: ma.ValidationError, where: dict[int, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in schema_problems(error.messages):
        name = problem.field.split(".")[0]
        if name == "opening_hours":
            index = whole_number(problem.field.split(".")[1]) if "." in problem.field else None
            errors.setdefault(where.get(index or 0, "general"), _("Geef een uur als 9:00 of 13:30."))
        else:
            message = CODES.get(problem.code) or FIELD_TEXTS.get(name)
            errors.setdefault(name if name in NEW_FIELDS else "general", str(message or _("Kijk dit na.")))
    return errors


def _domain_errors(error: DomainError, where: dict[int, str]) -> dict[str, str]:
    if error.problem == "duplicate-code":  # a Conflict: its field is in ``extra``
        return {"code": _("Die code is al in gebruik.")}
    for problem in error.problems:
        parts = problem.field.split(".")
        if parts[0] == "opening_hours" and len(parts) > 1:
            field = where.get(whole_number(parts[1]) or 0, "general")
            if parts[-1] == "closes":
                return {field: _("Het einde moet na het begin komen.")}
            return {field: _("Dit overlapt met een ander uur op dezelfde dag.")}
        if parts[0] in NEW_FIELDS:
            message = CODES.get(problem.code) or FIELD_TEXTS.get(parts[0])
            return {parts[0]: str(message)}
    return {"general": explain(error, _("Alleen een beheerder mag een buurtcentrum toevoegen."))}


def _render(
    template_location: Location | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
    current: dict[str, str] | None = None,
    closure_form: dict[str, str] | None = None,
) -> tuple[str, int]:
    html = render_template(
        "beheer_centre.html",
        closure_form=closure_form or {},
        location=template_location,
        fields=FIELDS if template_location else NEW_FIELDS,
        values=values,
        current=current or {},
        errors=errors,
        weekdays=WEEKDAYS,
        slots=_slots(template_location),
        hour_field=hour_field,
    )
    return html, status


@blp.get("/centra")
def centres_page() -> str:
    principal = current_principal()
    rows = locations.list_locations(get_session())
    mine = {loc.id for loc in rows if principal and principal.works_at(loc.id)}
    return render_template("beheer_centres.html", centres=rows, mine=mine, weekdays=WEEKDAYS)


def _own_centre(location_id: int) -> Location:
    """The centre, if the visitor may change it; else a 403 page (404 if there is none)."""
    location = locations.get_location(get_session(), location_id)
    try:
        check_can_manage_location(current_principal(), location.id)
    except Forbidden:
        abort(403, not_your_centre())
    return location


@blp.get("/centra/<int:location_id>")
def centre_page(location_id: int) -> tuple[str, int]:
    location = _own_centre(location_id)
    return _render(location, _stored_values(location), {}, 200)


@blp.post("/centra/<int:location_id>")
def update_centre(location_id: int) -> Response | tuple[str, int]:
    location = _own_centre(location_id)
    values = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version")}
    data, found = _read_form(request.form, FIELDS, _slots(location))
    if found["errors"]:
        return _render(location, values, found["errors"], 422)
    try:
        body = LocationPatchSchema().load(data)
    except ma.ValidationError as error:
        return _render(location, values, _schema_errors(error, found["where"]), 422)
    version = whole_number(request.form.get("version", "")) or 0
    try:
        application.update_location(get_session(), location_id, body, version, current_principal())
    except PreconditionFailed:
        fresh = locations.get_location(get_session(), location_id)
        stale = _(
            "Iemand anders heeft dit buurtcentrum intussen aangepast. Wat je typte, staat er nog; "
            "wat nu bewaard is, staat onder elk veld dat verschilt. Bewaar opnieuw om jouw versie te houden."
        )
        return _render(fresh, values, {"general": stale}, 409, current=_stored_values(fresh))
    except DomainError as error:
        status = 403 if error.status == 403 else 422
        return _render(location, values, _domain_errors(error, found["where"]), status)
    flash(_("Bewaard."), "ok")
    return redirect(url_for("beheer.centre_page", location_id=location_id), code=303)


def _admin_only() -> None:
    try:
        check_is_admin(current_principal())
    except Forbidden:
        abort(403, _("Alleen een beheerder mag een buurtcentrum toevoegen."))


@blp.get("/centra/nieuw")
def new_centre_page() -> tuple[str, int]:
    _admin_only()
    return _render(None, {"city": "Gent"}, {}, 200)


@blp.post("/centra/nieuw")
def create_centre() -> Response | tuple[str, int]:
    _admin_only()
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    data, found = _read_form(request.form, NEW_FIELDS, [SLOTS] * 7)
    if found["errors"]:
        return _render(None, values, found["errors"], 422)
    try:
        body = LocationInSchema().load(data)
    except ma.ValidationError as error:
        return _render(None, values, _schema_errors(error, found["where"]), 422)
    try:
        location = application.create_location(get_session(), body, current_principal())
    except DomainError as error:
        status = 403 if error.status == 403 else 422
        return _render(None, values, _domain_errors(error, found["where"]), status)
    flash(_("Buurtcentrum toegevoegd."), "ok")
    return redirect(url_for("beheer.centre_page", location_id=location.id), code=303)


# --- closures -------------------------------------------------------------------------------------------------

CLOSURE_FIELDS = ("closure_starts_on", "closure_ends_on", "closure_reason")
CLOSURE_TEXTS = {
    "closure_ends_before_start": ("closure_ends_on", _l("De laatste dag mag niet voor de eerste dag liggen.")),
    "reason_required": ("closure_reason", _l("Zeg kort waarom het centrum dicht is (bv. kerstvakantie).")),
    "too_long": ("closure_reason", _l("Hoogstens 200 tekens.")),
    "single_line": ("closure_reason", CODES["single_line"]),
    "control_characters": ("closure_reason", CODES["control_characters"]),
}


def _day(raw: str) -> date | None:
    """A form's day (YYYY-MM-DD, what a date field sends) between 1970 and 2199, else None."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return day if 1970 <= day.year <= 2199 else None


def _closure_refused(
    location: Location, form: dict[str, str], errors: dict[str, str], status: int = 422
) -> tuple[str, int]:
    return _render(location, _stored_values(location), errors, status, closure_form=form)


@blp.post("/centra/<int:location_id>/sluitingen")
def add_closure(location_id: int) -> Response | tuple[str, int]:
    location = _own_centre(location_id)
    form = {name: request.form.get(name, "") for name in CLOSURE_FIELDS}
    starts_on, ends_on = _day(form["closure_starts_on"]), _day(form["closure_ends_on"])
    errors = {
        name: _("Kies een dag (tussen 1970 en 2199).")
        for name, day in (("closure_starts_on", starts_on), ("closure_ends_on", ends_on))
        if day is None
    }
    if errors or starts_on is None or ends_on is None:
        return _closure_refused(location, form, errors)
    try:
        application.add_closure(
            get_session(), location_id, starts_on, ends_on, form["closure_reason"], current_principal()
        )
    except DomainError as error:
        if error.status == 403:
            abort(403, not_your_centre())
        codes = [p.code for p in error.problems] or [error.code]
        field, text = next((CLOSURE_TEXTS[c] for c in codes if c in CLOSURE_TEXTS), ("closure_reason", None))
        return _closure_refused(location, form, {field: str(text or explain(error, not_your_centre()))})
    flash(_("Sluiting bewaard: op die dagen kan niemand ophalen of terugbrengen."), "ok")
    return redirect(url_for("beheer.centre_page", location_id=location_id, _anchor="sluitingen"), code=303)


@blp.post("/centra/<int:location_id>/sluitingen/<int:closure_id>/verwijderen")
def remove_closure(location_id: int, closure_id: int) -> Response:
    _own_centre(location_id)
    try:
        application.remove_closure(get_session(), location_id, closure_id, current_principal())
    except DomainError as error:
        flash(
            _("Deze sluiting bestaat niet meer.") if error.status == 404 else explain(error, not_your_centre()), "error"
        )
    else:
        flash(_("Sluiting verwijderd."), "ok")
    return redirect(url_for("beheer.centre_page", location_id=location_id, _anchor="sluitingen"), code=303)
