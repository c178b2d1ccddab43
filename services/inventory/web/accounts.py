"""Staff pages for the staff accounts (``/inventory/beheer/medewerkers``, administrators) and one's own password
(``/inventory/beheer/wachtwoord``, everyone).

On the beheer blueprint (the same login redirect and CSRF check). The forms are read through the JSON API's own
schemas (``StaffInSchema``, ``StaffPatchSchema``) and saved by the same application calls as
``/inventory/staff-accounts`` (``add_staff``, ``change_staff``), so a change of role, centres, active flag or
password voids the account's older sessions and tokens here too. An administrator may also give another
account a new random password, shown once (``reset_password``).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from services.inventory import application
from services.inventory.api.auth import password_failures
from services.inventory.api.schemas import StaffInSchema, StaffPatchSchema
from services.inventory.domain import locations, staff
from services.inventory.domain.permissions import check_is_admin
from services.inventory.web.beheer import CODES, blp
from shared.auth import current_principal, set_session_cookie
from shared.db import get_session
from shared.errors import DomainError, Forbidden, schema_problems
from shared.timeparse import whole_number

ROLES = {"staff": _l("medewerker"), "admin": _l("beheerder")}
FIELD_TEXTS = {
    "email": _l("Dit is geen geldig e-mailadres."),
    "name": _l("Vul een naam in (één regel, hoogstens 200 tekens)."),
    "password": _l("Een wachtwoord heeft minstens 12 tekens."),
    "new_password": _l("Een wachtwoord heeft minstens 12 tekens."),
    "role": _l("Kies een rol."),
    "location_ids": _l("Een van de gekozen buurtcentra bestaat niet (meer)."),
}


def _admins_only() -> None:
    try:
        check_is_admin(current_principal())
    except Forbidden:
        abort(403, _("Alleen een beheerder mag de accounts van medewerkers beheren."))


def _errors(problems: Any) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in problems:
        name = problem.field.split(".")[0]
        message = CODES.get(problem.code) or FIELD_TEXTS.get(name) or _("Kijk dit na.")
        errors.setdefault(name if name in FIELD_TEXTS else "general", str(message))
    return errors


def _refusal(error: DomainError) -> dict[str, str]:
    if error.problem == "duplicate-code":
        return {"email": _("Er is al een account met dit e-mailadres.")}
    if error.status == 403:
        return {"general": _("Vraag een andere beheerder om je eigen rol, buurtcentra of wachtwoord te wijzigen.")}
    if error.status == 404:
        abort(404)
    return _errors(error.problems) or {"general": _("Dat lukte niet. Kijk de gegevens na en probeer opnieuw.")}


def _form_data(with_account: bool) -> dict[str, Any]:
    form = request.form
    data: dict[str, Any] = {"name": form.get("name", "").strip(), "role": form.get("role", "staff")}
    ids = [whole_number(value) for value in form.getlist("location_ids")]
    data["location_ids"] = [i for i in ids if i is not None]
    if with_account:
        data["email"] = form.get("email", "").strip()
        data["password"] = form.get("password", "")
    else:
        data["active"] = form.get("active") == "yes"
    return data


def _list_page(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    session = get_session()
    html = render_template(
        "beheer_staff.html",
        accounts=staff.list_staff(session),
        centres=locations.list_locations(session),
        roles=ROLES,
        errors=errors or {},
        form=request.form if request.method == "POST" else {},
    )
    return html, status


@blp.get("/medewerkers")
def staff_page() -> tuple[str, int]:
    _admins_only()
    return _list_page()


@blp.post("/medewerkers")
def add_staff() -> Response | tuple[str, int]:
    _admins_only()
    try:
        body = StaffInSchema().load(_form_data(with_account=True))
    except ma.ValidationError as invalid:
        return _list_page(_errors(schema_problems(invalid.messages)), 422)
    try:
        account = application.add_staff(get_session(), body, current_principal())
    except DomainError as error:
        return _list_page(_refusal(error), 422)
    flash(_("Account toegevoegd voor %(name)s.", name=account.name), "ok")
    return redirect(url_for("beheer.staff_page"), code=303)


def _account_page(
    staff_id: int, errors: dict[str, str] | None = None, status: int = 200, new_password: str | None = None
) -> tuple[str, int]:
    session = get_session()
    account = staff.get_account(session, staff_id)
    principal = current_principal()
    html = render_template(
        "beheer_staff_account.html",
        account=account,
        own=principal is not None and principal.staff_id == account.id,
        chosen={location.id for location in account.locations},
        centres=locations.list_locations(session),
        roles=ROLES,
        errors=errors or {},
        form=request.form if request.method == "POST" and not new_password else {},
        new_password=new_password,
    )
    return html, status


@blp.get("/medewerkers/<int:staff_id>")
def account_page(staff_id: int) -> tuple[str, int]:
    _admins_only()
    return _account_page(staff_id)


@blp.post("/medewerkers/<int:staff_id>")
def change_staff(staff_id: int) -> Response | tuple[str, int]:
    _admins_only()
    data = _form_data(with_account=False)
    own = (principal := current_principal()) is not None and principal.staff_id == staff_id
    if own:  # one's own claims are another administrator's to change: only the name here
        data = {"name": data["name"]}
    try:
        body = StaffPatchSchema().load(data)
    except ma.ValidationError as invalid:
        return _account_page(staff_id, _errors(schema_problems(invalid.messages)), 422)
    try:
        application.change_staff(get_session(), staff_id, body, current_principal())
    except DomainError as error:
        return _account_page(staff_id, _refusal(error), 403 if error.status == 403 else 422)
    flash(_("Bewaard."), "ok")
    return redirect(url_for("beheer.account_page", staff_id=staff_id), code=303)


@blp.post("/medewerkers/<int:staff_id>/nieuw-wachtwoord")
def reset_password(staff_id: int) -> tuple[str, int]:
    _admins_only()
    try:
        _account, password = application.reset_password(get_session(), staff_id, current_principal())
    except DomainError as error:
        return _account_page(staff_id, _refusal(error), 403 if error.status == 403 else 422)
    return _account_page(staff_id, new_password=password)


# --- one's own password ----------------------------------------------------------------------------------------


def _password_page(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("beheer_password.html", errors=errors or {}), status


@blp.get("/wachtwoord")
def password_page() -> tuple[str, int]:
    return _password_page()


@blp.post("/wachtwoord")
@password_failures  # a wrong current password counts towards the login's back-off (per account)
def change_password() -> Response | tuple[str, int]:
    current, new, again = (request.form.get(name, "") for name in ("current_password", "new_password", "again"))
    if new != again:
        return _password_page({"again": _("De twee nieuwe wachtwoorden zijn niet gelijk.")}, 422)
    try:
        StaffPatchSchema().load({"password": new})
    except ma.ValidationError:
        return _password_page({"new_password": str(FIELD_TEXTS["new_password"])}, 422)
    try:
        principal = application.change_own_password(
            get_session(), current_principal(), current, new, current_app.config["SETTINGS"]
        )
    except DomainError as error:
        field = error.problems[0].field if error.problems else "general"
        message = {
            "current_password": _("Je huidige wachtwoord klopt niet."),
            "new_password": _("Kies een ander wachtwoord dan je huidige."),
        }.get(field, _("Dat lukte niet. Kijk de gegevens na en probeer opnieuw."))
        html, status = _password_page({field: message}, 422)
        response = make_response(html, status)
        if field == "current_password":
            response.headers["X-Uitleen-Password-Wrong"] = "1"  # counted, then taken off (api/auth.py)
        return response
    flash(_("Je wachtwoord is gewijzigd. Je andere sessies en API-sleutels zijn afgesloten."), "ok")
    response = make_response(redirect(url_for("beheer.password_page"), code=303))
    set_session_cookie(response, principal)
    return response
