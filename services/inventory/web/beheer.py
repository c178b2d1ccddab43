"""Staff pages to manage what is lent: assets (with their requirements) and maintenance windows.

The pages call inventory's domain functions; every change leaves its event, so booking's copy follows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug.wrappers import Response

from services.inventory.domain import assets, maintenance, requirements
from services.inventory.models import Asset, Location
from shared.auth import current_principal
from shared.db import get_session
from shared.errors import DomainError, PreconditionFailed
from shared.timeparse import parse_instant, whole_number

blp = Blueprint("beheer", __name__, url_prefix="/beheer", template_folder="templates")

NUMBERS = ("quantity", "lead_time_hours", "min_loan_hours", "max_loan_hours", "turnaround_after_hours")
TEXTS = ("name_nl", "name_en", "description_nl", "description_en")

WORDS = {
    "nl": {
        "title": "Materiaal beheren",
        "asset": "Materiaal",
        "where": "Buurtcentrum",
        "qty": "Aantal",
        "needs": "Voorwaarden",
        "public": "Zichtbaar voor het publiek",
        "yes": "ja",
        "no": "nee",
        "edit": "Aanpassen",
        "requirements": "Voorwaarden",
        "kind": "Soort",
        "provided": "Kan geleend worden met",
        "save": "Bewaren",
        "saved": "Bewaard.",
        "stale": "Iemand anders heeft dit intussen aangepast. Kijk de nieuwe gegevens na en probeer opnieuw.",
        "number": "Geef een geheel getal.",
        "maintenance": "Onderhoud",
        "from": "Van",
        "until": "Tot",
        "reason": "Reden",
        "add": "Onderhoud toevoegen",
        "remove": "Verwijderen",
        "none": "Geen onderhoud gepland.",
        "added": "Onderhoud toegevoegd. Uitleningen die erdoor geraakt worden, krijgen een waarschuwing.",
        "removed": "Onderhoud verwijderd.",
        "back": "Terug naar de lijst",
        "problem": "Er loopt iets mis:",
        "name_nl": "Naam (Nederlands)",
        "name_en": "Naam (Engels)",
        "description_nl": "Beschrijving (Nederlands)",
        "description_en": "Beschrijving (Engels)",
        "quantity": "Aantal stuks",
        "lead_time_hours": "Minstens zoveel uur op voorhand aanvragen",
        "min_loan_hours": "Kortste uitlening (uren)",
        "max_loan_hours": "Langste uitlening (uren, leeg: geen grens)",
        "turnaround_after_hours": "Uren om na te kijken na elke uitlening",
        "staff": "Aanvragen",
        "label_nl": "Naam (Nederlands)",
        "label_en": "Naam (Engels)",
        "explanation_nl": "Uitleg in één zin (Nederlands)",
        "explanation_en": "Uitleg in één zin (Engels)",
        "required": "Vul dit in.",
        "single_line": "Eén regel, zonder regeleinden of stuurtekens.",
    },
    "en": {
        "title": "Manage assets",
        "asset": "Asset",
        "where": "Community centre",
        "qty": "Quantity",
        "needs": "Requirements",
        "public": "Visible to the public",
        "yes": "yes",
        "no": "no",
        "edit": "Edit",
        "requirements": "Requirements",
        "kind": "Kind",
        "provided": "Can be borrowed with",
        "save": "Save",
        "saved": "Saved.",
        "stale": "Someone else changed this in the meantime. Check the new data and try again.",
        "number": "Give a whole number.",
        "maintenance": "Maintenance",
        "from": "From",
        "until": "Until",
        "reason": "Reason",
        "add": "Add maintenance",
        "remove": "Remove",
        "none": "No maintenance planned.",
        "added": "Maintenance added. Loans it hits get a warning.",
        "removed": "Maintenance removed.",
        "back": "Back to the list",
        "problem": "Something is wrong:",
        "name_nl": "Name (Dutch)",
        "name_en": "Name (English)",
        "description_nl": "Description (Dutch)",
        "description_en": "Description (English)",
        "quantity": "Number of units",
        "lead_time_hours": "Request at least this many hours ahead",
        "min_loan_hours": "Shortest loan (hours)",
        "max_loan_hours": "Longest loan (hours, empty: no limit)",
        "turnaround_after_hours": "Hours to check after each loan",
        "staff": "Requests",
        "label_nl": "Name (Dutch)",
        "label_en": "Name (English)",
        "explanation_nl": "Explanation in one sentence (Dutch)",
        "explanation_en": "Explanation in one sentence (English)",
        "required": "Please fill this in.",
        "single_line": "One line, without line breaks or control characters.",
    },
}


def _lang() -> str:
    lang = request.cookies.get("uitleen_taal", "nl")
    return lang if lang in WORDS else "nl"


@blp.before_request
def _staff_only() -> Response | None:
    if current_principal() is None:
        return redirect(f"/inventory/login?next=/inventory{request.path}")
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except Exception:  # flask_wtf's ValidationError: missing, expired or forged
            flash(WORDS[_lang()]["stale"], "error")
            return redirect(request.path, code=303)
    return None


def _render(template: str, **context: Any) -> str:
    lang = _lang()
    return render_template(
        template, t=WORDS[lang], lang=lang, csrf=generate_csrf(), principal=current_principal(), **context
    )


@blp.get("")
def overview() -> str:
    db = get_session()
    rows = db.scalars(sa.select(Asset).order_by(Asset.status, Asset.name_nl)).all()
    locations = {loc.id: loc.name for loc in db.scalars(sa.select(Location))}
    names = {a.id: a.name_nl for a in rows}
    return _render(
        "beheer_overview.html",
        assets=rows,
        locations=locations,
        requirements=requirements.list_requirements(db),
        names=names,
    )


@blp.get("/materiaal/<int:asset_id>")
def asset_page(asset_id: int, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    db = get_session()
    asset = assets.get_asset(db, asset_id)
    return (
        _render(
            "beheer_asset.html",
            asset=asset,
            windows=maintenance.list_maintenance_windows(db, asset_id),
            catalogue=requirements.list_requirements(db),
            chosen={r.code for r in asset.requirements},
            errors=errors or {},
            form=request.form if request.method == "POST" else {},
            fields=TEXTS,
            numbers=NUMBERS,
        ),
        status,
    )


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
            errors[name] = WORDS[_lang()]["number"]
    data["public"] = form.get("public") == "yes"
    data["requirement_codes"] = sorted(form.getlist("requirement_codes"))
    return data


@blp.post("/materiaal/<int:asset_id>")
def update(asset_id: int) -> Response | tuple[str, int]:
    errors: dict[str, str] = {}
    data = _asset_changes(request.form, errors)
    if errors:
        return asset_page(asset_id, errors, 422)
    db = get_session()
    try:
        assets.update_asset(db, asset_id, data, _form_version(), current_principal())
        db.commit()
    except PreconditionFailed:
        db.rollback()
        flash(WORDS[_lang()]["stale"], "error")
        return redirect(f"/inventory/beheer/materiaal/{asset_id}", code=303)
    except DomainError as error:
        db.rollback()
        field = next((p.field for p in error.problems if p.field), "general")
        words = WORDS[_lang()].get(error.code) or error.detail or WORDS[_lang()]["problem"]
        return asset_page(asset_id, {str(field): words}, 422)
    flash(WORDS[_lang()]["saved"], "ok")
    return redirect(f"/inventory/beheer/materiaal/{asset_id}", code=303)


@blp.post("/materiaal/<int:asset_id>/onderhoud")
def add_window(asset_id: int) -> Response | tuple[str, int]:
    form = request.form
    errors: dict[str, str] = {}
    moments = {}
    for name in ("starts", "ends"):
        try:
            moments[name] = parse_instant(f"{form.get(name + '_date', '')}T{form.get(name + '_time', '') or '00:00'}")
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        return asset_page(asset_id, errors, 422)
    db = get_session()
    try:
        maintenance.add_maintenance_window(
            db, asset_id, moments["starts"], moments["ends"], form.get("reason", "").strip(), current_principal()
        )
        db.commit()
    except DomainError as error:
        db.rollback()
        return asset_page(asset_id, {"ends": error.detail}, 422)
    flash(WORDS[_lang()]["added"], "ok")
    return redirect(f"/inventory/beheer/materiaal/{asset_id}#onderhoud", code=303)


@blp.post("/materiaal/<int:asset_id>/onderhoud/<int:window_id>/verwijderen")
def remove_window(asset_id: int, window_id: int) -> Response:
    db = get_session()
    try:
        maintenance.remove_maintenance_window(db, asset_id, window_id, current_principal())
        db.commit()
    except DomainError as error:
        db.rollback()
        flash(error.detail, "error")
        return redirect(f"/inventory/beheer/materiaal/{asset_id}#onderhoud", code=303)
    flash(WORDS[_lang()]["removed"], "ok")
    return redirect(f"/inventory/beheer/materiaal/{asset_id}#onderhoud", code=303)


REQUIREMENT_TEXTS = ("label_nl", "label_en", "explanation_nl", "explanation_en")


@blp.get("/voorwaarden/<int:requirement_id>")
def requirement_page(requirement_id: int, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    requirement = requirements.get_requirement(get_session(), requirement_id)
    form = request.form if request.method == "POST" else {}
    context = {"requirement": requirement, "errors": errors or {}, "form": form, "fields": REQUIREMENT_TEXTS}
    return _render("beheer_requirement.html", **context), status


@blp.post("/voorwaarden/<int:requirement_id>")
def update_requirement(requirement_id: int) -> Response | tuple[str, int]:
    data = {name: request.form.get(name, "").strip() for name in REQUIREMENT_TEXTS}
    errors = {name: WORDS[_lang()]["required"] for name in ("label_nl", "label_en") if not data[name]}
    if errors:
        return requirement_page(requirement_id, errors, 422)
    db = get_session()
    try:
        requirements.update_requirement(db, requirement_id, data, _form_version(), current_principal())
        db.commit()
    except PreconditionFailed:
        db.rollback()
        flash(WORDS[_lang()]["stale"], "error")
        return redirect(f"/inventory/beheer/voorwaarden/{requirement_id}", code=303)
    except DomainError as error:  # Forbidden: only administrators change the requirement catalogue
        db.rollback()
        flash(error.detail, "error")
        return redirect(f"/inventory/beheer/voorwaarden/{requirement_id}", code=303)
    flash(WORDS[_lang()]["saved"], "ok")
    return redirect(f"/inventory/beheer/voorwaarden/{requirement_id}", code=303)
