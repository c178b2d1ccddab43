"""Staff pages to manage what is lent: assets (with their requirements) and maintenance windows.

Every change is one call to the application layer (``services/inventory/application.py``), which owns its
transaction and leaves its event, so booking's copy follows. The
domain says what went wrong with a problem code and a field (``shared.errors``); ``explain`` gives the page's
words for them.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from services.inventory import application
from services.inventory.api.schemas import AssetInSchema
from services.inventory.domain import assets, maintenance, requirements
from services.inventory.models import Asset, Location
from shared.auth import current_principal
from shared.db import get_session
from shared.errors import DomainError, PreconditionFailed, schema_problems
from shared.pages import require_staff_login
from shared.timeparse import AmbiguousLocalTime, NonExistentLocalTime, parse_instant, whole_number

blp = Blueprint("beheer", __name__, url_prefix="/beheer", template_folder="templates")
require_staff_login(blp)


@blp.context_processor
def _menu() -> dict[str, Any]:
    """The pages the management menu (beheer_menu.html) may link to."""
    return {"menu_endpoints": set(current_app.view_functions)}


TEXTS = {
    "name_nl": _l("Naam (Nederlands)"),
    "name_en": _l("Naam (Engels)"),
    "description_nl": _l("Beschrijving (Nederlands)"),
    "description_en": _l("Beschrijving (Engels)"),
}
NUMBERS = {
    "quantity": _l("Aantal stuks"),
    "lead_time_hours": _l("Minstens zoveel uur op voorhand aanvragen"),
    "min_loan_hours": _l("Kortste uitlening (uren)"),
    "max_loan_hours": _l("Langste uitlening (uren, leeg: geen grens)"),
    "turnaround_after_hours": _l("Uren om na te kijken na elke uitlening"),
}
REQUIREMENT_TEXTS = {
    "label_nl": _l("Naam (Nederlands)"),
    "label_en": _l("Naam (Engels)"),
    "explanation_nl": _l("Uitleg in één zin (Nederlands)"),
    "explanation_en": _l("Uitleg in één zin (Engels)"),
}
# The requirement kinds (services/inventory/models.py REQUIREMENT_KINDS) in words.
KINDS = {
    "confirm": _l("bevestigen (ja of nee)"),
    "license_plate": _l("nummerplaat"),
    "driver_category": _l("rijbewijs"),
    "text": _l("vrije tekst"),
}
# The domain's refusals (problem code, field) in the page's words; the field is the form's.
REFUSALS = {
    ("asset-retired", None): _l("Dit materiaal is uit gebruik: je kan het niet meer aanpassen."),
    ("validation-error", "max_loan_hours"): _l("De langste uitlening moet minstens even lang zijn als de kortste."),
    ("validation-error", "ends"): _l("Het einde moet na het begin komen."),
    ("duplicate-code", "code"): _l("Die code is al in gebruik."),
    ("validation-error", "requirement_codes"): _l("Een van de gekozen voorwaarden bestaat niet (meer)."),
    ("maintenance-window-not-found", None): _l("Dit onderhoud bestaat niet meer."),
}
FORM_FIELDS = {"ends_at": "ends", "starts_at": "starts"}  # the API's field names where the form has others


# Codes any field may carry (shared.errors codes), in the page's words.
CODES = {
    "single_line": _l("Eén regel, zonder regeleinden of stuurtekens."),
    "control_characters": _l("Hier staan tekens in die niet mogen."),
}


def field_of(error: DomainError) -> str | None:
    """The form field the domain's error is about, if it names one."""
    for problem in error.problems:
        if problem.field:
            name = problem.field.split(".")[0]
            return FORM_FIELDS.get(name, name)
    return None


def explain(error: DomainError, forbidden: str) -> str:
    """The refusal in plain words; ``forbidden`` says what this page's 403 means (centre or administrator)."""
    if error.status == 403:
        return forbidden
    field = field_of(error)
    codes = [p.code for p in error.problems] or [error.code]
    message = (
        next((CODES[code] for code in codes if code in CODES), None)
        or REFUSALS.get((error.problem, field))
        or REFUSALS.get((error.problem, None))
    )
    return str(message or _("Dat lukte niet. Kijk de gegevens na en probeer opnieuw."))


def not_your_centre() -> str:
    return _("Je kan alleen aanpassen wat bij je eigen buurtcentrum hoort.")


def stale() -> str:
    return _("Iemand anders heeft dit intussen aangepast. Kijk de nieuwe gegevens na en probeer opnieuw.")


@blp.get("")
def overview() -> str:
    db = get_session()
    rows = db.scalars(sa.select(Asset).order_by(Asset.status, Asset.name_nl)).all()
    locations = {loc.id: loc.name for loc in db.scalars(sa.select(Location))}
    return render_template(
        "beheer_overview.html",
        assets=rows,
        locations=locations,
        requirements=requirements.list_requirements(db),
        names={a.id: (a.name_nl, a.name_en) for a in rows},
        kinds=KINDS,
    )


@blp.get("/materiaal/<int:asset_id>")
def asset_page(asset_id: int, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    db = get_session()
    asset = assets.get_asset(db, asset_id)
    html = render_template(
        "beheer_asset.html",
        asset=asset,
        windows=maintenance.list_maintenance_windows(db, asset_id),
        catalogue=requirements.list_requirements(db),
        chosen={r.code for r in asset.requirements},
        errors=errors or {},
        form=request.form if request.method == "POST" else {},
        fields=TEXTS,
        numbers=NUMBERS,
    )
    return html, status


def _form_version() -> int:
    """The version the form was read at; anything but a number is as stale as an old one (never a 500)."""
    return whole_number(request.form.get("version", "")) or 0


def _asset_changes(form: Any, errors: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in TEXTS}
    for name in NUMBERS:
        raw = form.get(name, "").strip()
        if name == "max_loan_hours" and not raw:
            data[name] = None
        elif whole_number(raw, maximum=1_000_000) is not None:
            data[name] = whole_number(raw, maximum=1_000_000)
        else:
            errors[name] = _("Geef een geheel getal.")
    data["public"] = form.get("public") == "yes"
    data["requirement_codes"] = sorted(form.getlist("requirement_codes"))
    return data


@blp.post("/materiaal/<int:asset_id>")
def update(asset_id: int) -> Response | tuple[str, int]:
    errors: dict[str, str] = {}
    data = _asset_changes(request.form, errors)
    if errors:
        return asset_page(asset_id, errors, 422)
    here = url_for("beheer.asset_page", asset_id=asset_id)
    try:
        application.update_asset(get_session(), asset_id, data, _form_version(), current_principal())
    except PreconditionFailed:
        flash(stale(), "error")
        return redirect(here, code=303)
    except DomainError as error:
        return _refused(asset_id, error, "general")
    flash(_("Bewaard."), "ok")
    return redirect(here, code=303)


def _refused(asset_id: int, error: DomainError, default_field: str) -> tuple[str, int]:
    """The asset's page again, with the input kept and the refusal beside its field."""
    status = 403 if error.status == 403 else 422
    return asset_page(asset_id, {field_of(error) or default_field: explain(error, not_your_centre())}, status)


def _moment(prefix: str) -> Any:
    """The form's day and time as an instant; raises ValueError with the page's words for what is wrong."""
    form = request.form
    try:
        return parse_instant(f"{form.get(prefix + '_date', '')}T{form.get(prefix + '_time', '') or '00:00'}")
    except NonExistentLocalTime:
        raise ValueError(_("Dat uur bestaat niet in Brussel (de klok springt vooruit); kies een ander uur.")) from None
    except AmbiguousLocalTime:
        raise ValueError(
            _("Dat uur komt twee keer voor in Brussel (de klok gaat terug); kies een ander uur.")
        ) from None
    except ValueError:
        raise ValueError(_("Kies een dag (tussen 1970 en 2199) en een uur.")) from None


@blp.post("/materiaal/<int:asset_id>/onderhoud")
def add_window(asset_id: int) -> Response | tuple[str, int]:
    errors: dict[str, str] = {}
    moments = {}
    for name in ("starts", "ends"):
        try:
            moments[name] = _moment(name)
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        return asset_page(asset_id, errors, 422)
    reason = request.form.get("reason", "").strip()
    try:
        application.add_maintenance(
            get_session(), asset_id, moments["starts"], moments["ends"], reason, current_principal()
        )
    except DomainError as error:
        return _refused(asset_id, error, "ends")
    flash(_("Onderhoud toegevoegd. Uitleningen die erdoor geraakt worden, krijgen een waarschuwing."), "ok")
    return redirect(url_for("beheer.asset_page", asset_id=asset_id, _anchor="onderhoud"), code=303)


@blp.post("/materiaal/<int:asset_id>/onderhoud/<int:window_id>/verwijderen")
def remove_window(asset_id: int, window_id: int) -> Response:
    try:
        application.remove_maintenance(get_session(), asset_id, window_id, current_principal())
    except DomainError as error:
        flash(explain(error, not_your_centre()), "error")
    else:
        flash(_("Onderhoud verwijderd."), "ok")
    return redirect(url_for("beheer.asset_page", asset_id=asset_id, _anchor="onderhoud"), code=303)


@blp.get("/voorwaarden/<int:requirement_id>")
def requirement_page(requirement_id: int, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    requirement = requirements.get_requirement(get_session(), requirement_id)
    form = request.form if request.method == "POST" else {}
    context = {"requirement": requirement, "errors": errors or {}, "form": form, "fields": REQUIREMENT_TEXTS}
    return render_template("beheer_requirement.html", kinds=KINDS, **context), status


@blp.post("/voorwaarden/<int:requirement_id>")
def update_requirement(requirement_id: int) -> Response | tuple[str, int]:
    data = {name: request.form.get(name, "").strip() for name in REQUIREMENT_TEXTS}
    errors = {name: _("Vul dit in.") for name in ("label_nl", "label_en") if not data[name]}
    if errors:
        return requirement_page(requirement_id, errors, 422)
    try:
        application.update_requirement(get_session(), requirement_id, data, _form_version(), current_principal())
    except PreconditionFailed:
        flash(stale(), "error")
    except DomainError as error:  # Forbidden: only administrators change the requirement catalogue
        flash(explain(error, _("Alleen een beheerder mag de voorwaarden aanpassen.")), "error")
    else:
        flash(_("Bewaard."), "ok")
    return redirect(url_for("beheer.requirement_page", requirement_id=requirement_id), code=303)


# --- a new asset; retiring one -------------------------------------------------------------------------------

CATEGORY_NAMES = {
    "give_box": _l("give-box"),
    "caravan": _l("caravan"),
    "vehicle": _l("voertuig"),
    "tool": _l("gereedschap"),
    "sewing_machine": _l("naaimachine"),
    "repair_kit": _l("herstelkoffer"),
    "other": _l("iets anders"),
}
# What the API's schema says about a field of the new-asset form, in the page's words.
ASSET_FIELD_TEXTS = {
    "code": _l("Gebruik 2 tot 40 kleine letters, cijfers, '-' of '_'."),
    "name_nl": _l("Vul dit in (één regel, hoogstens 200 tekens)."),
    "name_en": _l("Vul dit in (één regel, hoogstens 200 tekens)."),
    "description_nl": _l("Hoogstens 5000 tekens."),
    "description_en": _l("Hoogstens 5000 tekens."),
    "category": _l("Kies een soort."),
    "location_id": _l("Kies een buurtcentrum."),
    "quantity": _l("Minstens 1."),
    "min_loan_hours": _l("Minstens 1 uur."),
    "max_loan_hours": _l("Minstens 1 uur, of leeg."),
}


def _my_centres() -> list[Location]:
    principal = current_principal()
    rows = get_session().scalars(sa.select(Location).order_by(Location.name))
    return [loc for loc in rows if principal is not None and principal.works_at(loc.id)]


def _new_asset_page(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    html = render_template(
        "beheer_asset_new.html",
        centres=_my_centres(),
        categories=CATEGORY_NAMES,
        catalogue=requirements.list_requirements(get_session()),
        errors=errors or {},
        form=request.form if request.method == "POST" else {},
        fields=TEXTS,
        numbers=NUMBERS,
    )
    return html, status


@blp.get("/materiaal/nieuw")
def new_asset_page() -> tuple[str, int]:
    return _new_asset_page()


@blp.post("/materiaal/nieuw")
def create_asset() -> Response | tuple[str, int]:
    errors: dict[str, str] = {}
    data = _asset_changes(request.form, errors)
    data["code"] = request.form.get("code", "").strip()
    data["category"] = request.form.get("category", "")
    location_id = whole_number(request.form.get("location_id", ""))
    if location_id is None:
        errors["location_id"] = str(ASSET_FIELD_TEXTS["location_id"])
    if errors:
        return _new_asset_page(errors, 422)
    try:
        body = AssetInSchema().load({**data, "location_id": location_id})
    except ma.ValidationError as invalid:
        for problem in schema_problems(invalid.messages):
            name = problem.field.split(".")[0]
            message = CODES.get(problem.code) or ASSET_FIELD_TEXTS.get(name) or _("Kijk dit na.")
            errors.setdefault(name if name in ASSET_FIELD_TEXTS else "general", str(message))
        return _new_asset_page(errors, 422)
    try:
        asset = application.create_asset(get_session(), body, current_principal())
    except DomainError as error:
        if error.status == 403:
            return _new_asset_page({"location_id": not_your_centre()}, 403)
        field = "code" if error.problem == "duplicate-code" else (field_of(error) or "general")
        message = _("Die code is al in gebruik.") if field == "code" else explain(error, not_your_centre())
        return _new_asset_page({field: message}, 422)
    flash(_("Materiaal toegevoegd."), "ok")
    return redirect(url_for("beheer.asset_page", asset_id=asset.id), code=303)


@blp.post("/materiaal/<int:asset_id>/uit-gebruik")
def retire(asset_id: int) -> Response | tuple[str, int]:
    if request.form.get("confirm") != "yes":
        return asset_page(asset_id, {"confirm": _("Vink aan dat je dit materiaal definitief uit gebruik neemt.")}, 422)
    here = url_for("beheer.asset_page", asset_id=asset_id)
    try:
        application.retire_asset(get_session(), asset_id, _form_version(), current_principal())
    except PreconditionFailed:
        flash(stale(), "error")
        return redirect(here, code=303)
    except DomainError as error:
        return _refused(asset_id, error, "confirm")
    flash(_("Dit materiaal is nu uit gebruik: het kan niet meer aangevraagd worden."), "ok")
    return redirect(here, code=303)
