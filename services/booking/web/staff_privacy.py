"""/staff/privacy: an administrator exports or erases one person's data at the desk (the page for
``POST /booking/privacy/export`` and ``/erase``; same domain functions, same audit). Admins only.

The person is looked up by email, phone number, or a request's reference (UIT-7K3M9Q2P) or id. Everything goes
by POST, so no address ends up in a URL or an access log.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from services.booking import application
from services.booking.domain import privacy
from services.booking.domain.lifecycle import staff_actor
from services.booking.queries import requests as reads
from services.booking.web.forms import FormErrors
from services.booking.web.staff import blp
from services.booking.web.staff import principal as _principal
from shared import clock
from shared.db import get_session
from shared.privacy import Subject, national_phone

KINDS = ("email", "phone", "request_id")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REFERENCE = re.compile(r"^[A-Z]+-[A-Z0-9]+$", re.IGNORECASE)


def _subject(form: dict[str, str], errors: FormErrors) -> Subject | None:
    kind, value = form.get("kind", ""), form.get("value", "").strip()
    if kind not in KINDS:
        errors.add("kind", _("Kies waarmee je de persoon zoekt."))
        return None
    if kind == "email" and EMAIL.match(value):
        return Subject("email", value)
    if kind == "phone" and len(national_phone(value)) >= 8 and national_phone(value).lstrip("+").isdigit():
        return Subject("phone", value)
    if kind == "request_id":
        if value.isdigit():
            return Subject("request_id", value)
        if REFERENCE.match(value):
            found = reads.request_id_for_reference(get_session(), value)
            if found is not None:
                return Subject("request_id", str(found))
            errors.add("value", _("Er is geen aanvraag met dit nummer."))
            return None
    errors.add("value", _("Vul een e-mailadres, een telefoonnummer of een aanvraagnummer (UIT-7K3M9Q2P) in."))
    return None


def _page(form: dict[str, str], errors: FormErrors, status: int = 200) -> tuple[str, int]:
    return render_template("staff/privacy.html", form=form, errors=errors), status


def _forbidden() -> tuple[str, int] | None:
    if not _principal().is_admin:
        return render_template("staff/privacy.html", forbidden=True, form={}, errors=FormErrors()), 403
    return None


@blp.get("/privacy")
def privacy_page() -> tuple[str, int]:
    return _forbidden() or _page({"kind": "email"}, FormErrors())


@blp.post("/privacy")
def privacy_action() -> Response | tuple[str, int]:
    refused = _forbidden()
    if refused:
        return refused
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    errors = FormErrors()
    subject = _subject(form, errors)
    action = form.get("action")
    if action == "erase" and form.get("confirm") != "yes":
        errors.add("confirm", _("Vink aan dat je deze gegevens echt wilt wissen."))
    if subject is None or errors:
        return _page(form, errors, 422)
    session = get_session()
    actor = staff_actor(_principal())
    if action == "export":
        return _download(application.export_person(session, subject, actor))
    try:
        ids = application.erase_person(session, subject, actor, form.get("reason", "").strip() or None)
    except privacy.OpenRequests as error:
        open_ones = ", ".join(f"{r['reference']} ({r['status']})" for r in error.extra["open_requests"])
        errors.add(
            None,
            _("Nog niet afgesloten: %(list)s. Trek ze in, annuleer ze of neem het materiaal terug.", list=open_ones),
        )
        return _page(form, errors, 409)
    flash(ngettext("%(num)d aanvraag gewist.", "%(num)d aanvragen gewist.", len(ids)), "ok")
    return _page({"kind": form.get("kind", "email")}, FormErrors())


def _download(data: dict[str, Any]) -> Response:
    day = clock.to_local(clock.now()).date().isoformat()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="uitleen-gegevens-{day}.json"'},
    )
