"""The public pages: catalogue and date search, an asset's page, the request form, confirmation, status."""

from __future__ import annotations

import time as timer
import uuid
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.booking.api.present import request_view
from services.booking.api.schemas import ContactPatchSchema
from services.booking.config import BookingPolicy
from services.booking.domain import decisions, idempotency, links, queries
from services.booking.domain.errors import IdempotencyInProgress, IdempotencyKeyReused, LinkNotFound
from services.booking.domain.lifecycle import REQUESTER, Actor, can
from services.booking.domain.requests import create_request
from services.booking.limits import LINK_MISS_SCOPE, LINK_SCOPE, configured, unknown_link
from services.booking.models import AuditEntry, BookingRequest, InvLocation
from services.booking.web import catalogue, forms
from services.booking.web.i18n import localise_detail
from services.booking.web.limits import limiter
from services.booking.web.texts import ACTIONS, ACTORS, BADGES, CATEGORIES, STATUSES, WEEKDAYS
from shared import clock
from shared.db import get_database, get_session
from shared.errors import DomainError, InvalidInput
from shared.pages.i18n import COOKIE
from shared.timeparse import parse_instant

blp = Blueprint("public", __name__)


def _policy() -> BookingPolicy:
    policy: BookingPolicy = current_app.extensions["booking_policy"]
    return policy


@blp.app_context_processor
def _common() -> dict[str, Any]:
    return {
        "badges": BADGES,
        "categories": CATEGORIES,
        "weekday_names": WEEKDAYS,
        "status_names": STATUSES,
        "action_names": ACTIONS,
        "actor_names": ACTORS,
    }


@blp.get("/")
def home() -> str:
    db = get_session()
    search = _date_search(db)
    return render_template("catalogue.html", entries=catalogue.catalogue(db), search=search)


def _date_search(db: Any) -> dict[str, Any]:
    """'Wanneer heb je het nodig?': what is free for these dates, and where to fetch it."""
    args = request.args
    values = {k: args.get(k, "") for k in ("van_datum", "van_uur", "tot_datum", "tot_uur")}
    result: dict[str, Any] = {"values": values, "errors": {}, "results": None}
    if not values["van_datum"] and not values["tot_datum"]:
        return result
    instants = {}
    for prefix in ("van", "tot"):
        moment = values[f"{prefix}_uur"] or ("10:00" if prefix == "van" else "17:00")
        try:
            instants[prefix] = parse_instant(f"{values[prefix + '_datum']}T{moment}")
        except ValueError as error:
            result["errors"][f"{prefix}_datum"] = _("Kies een datum.") if not values[prefix + "_datum"] else str(error)
    if result["errors"]:
        return result
    try:
        found = queries.what_can_i_borrow(db, instants["van"], instants["tot"], None, 1)
    except InvalidInput:
        result["errors"]["tot_datum"] = _("Het terugbrengen moet na het ophalen komen.")
        return result
    result["results"] = found
    return result


@blp.get("/lenen/<code>")
def asset_page(code: str) -> str:
    db = get_session()
    asset = catalogue.find_public_asset(db, code) or abort(404)
    entry = catalogue.entry(db, asset)
    today = clock.to_local(clock.now()).date()
    month = catalogue.parse_month(request.args.get("maand"), today)
    return render_template(
        "asset.html",
        entry=entry,
        opening=catalogue.opening_lines(entry.location),
        month=month,
        weeks=catalogue.month_grid(db, asset, entry.location, month, today),
        previous=catalogue.shift_month(month, -1) if month > today.replace(day=1) else None,
        following=catalogue.shift_month(month, 1),
    )


def _render_form(
    asset: Any, form: dict[str, str], errors: forms.FormErrors, status: int = 200, staff_mode: bool = False
) -> tuple[str, int]:
    db = get_session()
    entry = catalogue.entry(db, asset)
    form.setdefault("idempotency_key", str(uuid.uuid4()))
    return (
        render_template(
            "request_form.html",
            entry=entry,
            opening=catalogue.opening_lines(entry.location),
            questions=forms.questions_for(db, asset),
            form=form,
            errors=errors,
            drivers=forms.DRIVER_CHOICES,
            earliest=None if staff_mode else _earliest_pickup(asset),
            staff_mode=staff_mode,
            layout="staff/base.html" if staff_mode else "base.html",
            action=url_for("staff.walk_in_submit" if staff_mode else "public.submit_request", code=asset.code),
        ),
        status,
    )


def _earliest_pickup(asset: Any) -> datetime:
    return clock.now() + timedelta(hours=asset.lead_time_hours)


@blp.get("/lenen/<code>/aanvraag")
def request_form(code: str) -> tuple[str, int]:
    asset = catalogue.find_public_asset(get_session(), code) or abort(404)
    defaults = {"language": "en" if request.cookies.get(COOKIE) == "en" else "nl", "quantity": "1"}
    return _render_form(asset, defaults, forms.FormErrors())


@blp.post("/lenen/<code>/aanvraag")
@limiter.limit(configured("PUBLIC_FORM_LIMIT"), methods=["POST"])
def submit_request(code: str) -> Response | tuple[str, int]:
    asset = catalogue.find_public_asset(get_session(), code) or abort(404)
    return handle_submission(asset, REQUESTER)


def handle_submission(asset: Any, actor: Actor) -> Response | tuple[str, int]:
    """Check the form with the API's schema and the domain, then create the request once per idempotency key."""
    db = get_session()
    staff_mode = actor.kind == "staff"
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    errors = forms.FormErrors()
    if form.get("consent") != "yes":
        if staff_mode:
            errors.add("consent", _("Leg de privacyverklaring uit en vink dat hier aan."))
        else:
            errors.add("consent", _("Lees de privacyverklaring en vink aan dat je akkoord gaat."))
    data = forms.build_request_data(asset, forms.questions_for(db, asset), form, staff_mode)
    loaded = forms.load_with_schema(data, errors)
    if loaded is not None and errors:
        _dry_run(db, loaded, actor, errors)  # consent missing: still tell every other problem now
    if errors or loaded is None:
        return _render_form(asset, form, errors, 422, staff_mode)
    try:
        key = idempotency.check_key(form.get("idempotency_key") or str(uuid.uuid4()))
        replay = _claim(db, key, idempotency.body_hash(data))
    except IdempotencyKeyReused:
        form["idempotency_key"] = str(uuid.uuid4())
        errors.add(None, _("Deze aanvraag was al verstuurd. Kijk je gegevens na en verstuur opnieuw."))
        return _render_form(asset, form, errors, 422, staff_mode)
    if replay is not None:
        return _confirm(_replayed_token(db, replay))
    try:
        created = create_request(db, loaded, actor, _policy().status_link_days)
        idempotency.complete(db, key, 201, {"reference": created.request.reference}, created.request.id)
        db.commit()
    except InvalidInput as error:
        _release(key)
        forms.add_domain_errors(errors, error.extra.get("errors") or [{"field": "", "detail": error.detail}])
        return _render_form(asset, form, errors, 422, staff_mode)
    except BaseException:
        _release(key)
        raise
    return _confirm(created.token)


def _dry_run(db: Any, loaded: dict[str, Any], actor: Actor, errors: forms.FormErrors) -> None:
    """Let the domain judge the request inside a savepoint that is always rolled back (nothing is kept)."""
    savepoint = db.begin_nested()
    try:
        create_request(db, loaded, actor, _policy().status_link_days)
    except InvalidInput as error:
        forms.add_domain_errors(errors, error.extra.get("errors") or [])
    finally:
        savepoint.rollback()
        db.rollback()


def _claim(db: Any, key: str, digest: str) -> idempotency.Replay | None:
    """A second click while the first is still being handled waits for the first's answer."""
    for _attempt in range(20):
        try:
            return idempotency.claim(db, key, digest)
        except IdempotencyInProgress:
            timer.sleep(0.25)
    raise IdempotencyInProgress("The first submission with this key is still being handled; try again shortly.")


def _replayed_token(db: Any, replay: idempotency.Replay) -> str:
    booking = db.get(BookingRequest, replay.request_id) if replay.request_id else None
    if booking is None:
        abort(404)
    token = links.issue_link(db, booking, _policy().status_link_days)
    db.commit()
    return token


def _release(key: str) -> None:
    with get_database().session_factory() as cleanup:
        idempotency.release_key(cleanup, key)


# The confirmation shows the private link for a short while only: on a shared computer (a library, a community
# centre's desk) the next person must not find the previous requester's link.
CONFIRMATION_SECONDS = 15 * 60


def _confirm(token: str) -> Response:
    session["confirm_token"] = token
    session["confirm_at"] = clock.now().timestamp()
    return redirect(url_for("public.confirmation"), code=303)


@blp.get("/aanvraag/ontvangen")
def confirmation() -> str:
    token = session.get("confirm_token")
    if not token or clock.now().timestamp() - float(session.get("confirm_at", 0)) > CONFIRMATION_SECONDS:
        session.pop("confirm_token", None)
        session.pop("confirm_at", None)
        return redirect(url_for("public.home"))  # type: ignore[return-value]
    db = get_session()
    try:
        booking = links.request_for_token(db, token)
    except LinkNotFound:
        abort(404)
    link = url_for("public.status", token=token, _external=True)
    return render_template("confirmation.html", booking=booking, link=link, view=_view(db, booking))


def _view(db: Any, booking: BookingRequest) -> dict[str, Any]:
    return request_view(db, booking)


def _history(db: Any, booking: BookingRequest) -> list[AuditEntry]:
    query = sa.select(AuditEntry).where(AuditEntry.request_id == booking.id).order_by(AuditEntry.id)
    return [e for e in db.scalars(query) if e.action != "verify_requirement"]


def _status_page(
    token: str, message: str | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    db = get_session()
    try:
        booking = links.request_for_token(db, token)
    except LinkNotFound:
        abort(404)
    return (
        render_template(
            "status.html",
            booking=booking,
            token=token,
            view=_view(db, booking),
            location=db.get(InvLocation, booking.location_id),
            history=_history(db, booking),
            can_withdraw=can("withdraw", booking.status, REQUESTER),
            can_cancel=can("cancel", booking.status, REQUESTER),
            can_change=can("change_contact", booking.status, REQUESTER),
            message=message,
            errors=errors or {},
            form=request.form if request.method == "POST" else {},
        ),
        status,
    )


# Every use of a private link counts, per client; unknown links count towards a stricter back-off (guessing).
# The scopes are booking's API's too, so in production (one Redis) both ways in count together.
_link_limit = limiter.shared_limit(configured("STATUS_LINK_LIMIT"), scope=LINK_SCOPE)
_link_miss_limit = limiter.shared_limit(
    configured("STATUS_LINK_MISS_LIMIT"), scope=LINK_MISS_SCOPE, deduct_when=unknown_link
)


def private_link(view: Any) -> Any:
    return _link_limit(_link_miss_limit(view))


@blp.get("/status/<token>")
@private_link
def status(token: str) -> tuple[str, int]:
    return _status_page(token, message=request.args.get("ok") and _("Je wijziging is bewaard."))


@blp.post("/status/<token>/intrekken")
@private_link
def withdraw(token: str) -> Response | tuple[str, int]:
    db = get_session()
    try:
        booking = links.request_for_token(db, token, for_update=True)
        decisions.withdraw(db, booking, REQUESTER, request.form.get("reason", "").strip() or None)
        db.commit()
    except LinkNotFound:
        abort(404)
    except DomainError as error:
        db.rollback()
        return _status_page(token, errors={"withdraw": localise_detail(error.detail)}, status=409)
    return redirect(url_for("public.status", token=token, ok=1), code=303)


@blp.post("/status/<token>/annuleren")
@private_link
def cancel(token: str) -> Response | tuple[str, int]:
    """An approved loan the requester no longer needs: cancelled, and the asset free for someone else."""
    reason = request.form.get("reason", "").strip()
    if not reason:
        return _status_page(token, errors={"cancel": _("Vul in waarom je annuleert.")}, status=422)
    db = get_session()
    try:
        booking = links.request_for_token(db, token, for_update=True)
        decisions.cancel(db, booking, REQUESTER, reason)
        db.commit()
    except LinkNotFound:
        abort(404)
    except DomainError as error:
        db.rollback()
        return _status_page(token, errors={"cancel": localise_detail(error.detail)}, status=409)
    return redirect(url_for("public.status", token=token, ok=1), code=303)


@blp.post("/status/<token>/contact")
@private_link
def change_contact(token: str) -> Response | tuple[str, int]:
    db = get_session()
    data = {
        "name": request.form.get("contact_name", "").strip(),
        "email": request.form.get("email", "").strip() or None,
        "phone": request.form.get("phone", "").strip() or None,
    }
    problems = forms.FormErrors()
    try:
        loaded = ContactPatchSchema().load({k: v for k, v in data.items() if k != "name" or v})
    except ma.ValidationError as error:
        for path, message in forms.flatten_messages(error.messages):
            problems.add(forms.form_field(f"contact.{path}"), forms.schema_message(path, message))
        return _status_page(token, errors={k: v[0] for k, v in problems.fields.items()}, status=422)
    try:
        booking = links.request_for_token(db, token, for_update=True)
        decisions.change_contact(db, booking, REQUESTER, loaded)
        db.commit()
    except LinkNotFound:
        abort(404)
    except InvalidInput:
        db.rollback()
        message = _("Geef een e-mailadres of een telefoonnummer, zodat we je kunnen bereiken.")
        return _status_page(token, errors={"email": message}, status=422)
    except DomainError as error:
        db.rollback()
        return _status_page(token, errors={"email": localise_detail(error.detail)}, status=409)
    return redirect(url_for("public.status", token=token, ok=1), code=303)


# Where people send questions about their data (Stad Gent's data protection officer).
PRIVACY_EMAIL = "privacy@stad.gent"


@blp.get("/privacy")
def privacy() -> str:
    policy = _policy()
    return render_template(
        "privacy.html",
        link_days=policy.status_link_days,
        retention_days=policy.retention_days,
        privacy_email=PRIVACY_EMAIL,
    )
