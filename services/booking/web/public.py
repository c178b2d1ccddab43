"""The public pages: catalogue and date search, an asset's page, the request form, confirmation, status.

Each view parses the form or the query string, makes one call (``application`` to change, ``queries`` to
read) and renders; a refusal comes back as field problems, said beside their fields in the reader's language,
with the input kept.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import marshmallow as ma
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from services.booking import application
from services.booking.api.present import request_view
from services.booking.api.schemas import ContactPatchSchema
from services.booking.config import current_policy
from services.booking.domain import idempotency
from services.booking.domain.commands import ByLink, Cancel, Decision, Withdraw
from services.booking.domain.errors import Code, IdempotencyKeyReused, LinkNotFound
from services.booking.domain.lifecycle import REQUESTER, Actor, can
from services.booking.domain.links import status_path
from services.booking.domain.requests import earliest_pickup
from services.booking.domain.vocabulary import Action
from services.booking.limits import LINK_MISS_SCOPE, LINK_SCOPE, configured, unknown_link
from services.booking.queries import availability
from services.booking.queries import catalogue as reads
from services.booking.queries import requests as request_reads
from services.booking.web import catalogue, forms
from services.booking.web.limits import limiter
from services.booking.web.messages import say, say_error
from services.booking.web.texts import page_words
from shared import clock
from shared.db import get_session
from shared.errors import DomainError, InvalidInput, schema_code, schema_problems
from shared.pages.i18n import COOKIE, lang
from shared.timeparse import parse_instant

blp = Blueprint("public", __name__)


@blp.app_context_processor
def _common() -> dict[str, Any]:
    return page_words(lang())


# --- catalogue and date search -------------------------------------------------------------------------------

DEFAULT_PICKUP, DEFAULT_RETURN = "10:00", "17:00"


def _search_dates(args: Any) -> dict[str, Any]:
    """'Wanneer heb je het nodig?': the dates asked for, or why they cannot be read."""
    values = {k: args.get(k, "") for k in ("van_datum", "van_uur", "tot_datum", "tot_uur")}
    search: dict[str, Any] = {"values": values, "errors": {}, "results": None, "instants": None}
    if not values["van_datum"] and not values["tot_datum"]:
        return search
    instants = {}
    for prefix, default in (("van", DEFAULT_PICKUP), ("tot", DEFAULT_RETURN)):
        moment = values[f"{prefix}_uur"] or default
        try:
            instants[prefix] = parse_instant(f"{values[prefix + '_datum']}T{moment}")
        except ValueError as error:
            search["errors"][f"{prefix}_datum"] = say(*schema_code(str(error)))
    if not search["errors"]:
        search["instants"] = (instants["van"], instants["tot"])
    return search


@blp.get("/")
def home() -> str:
    db = get_session()
    search = _search_dates(request.args)
    entries = reads.catalogue(db)
    if search["instants"]:
        try:
            pickup_at, return_at = search["instants"]
            search["results"] = availability.what_can_i_borrow(
                db, pickup_at, return_at, None, 1, clock.now(), catalogue=entries
            )
        except InvalidInput as error:
            search["errors"]["tot_datum"] = say_error(error)
    return render_template("catalogue.html", entries=entries, search=search)


@blp.get("/lenen/<code>")
def asset_page(code: str) -> str:
    db = get_session()
    entry = reads.find_entry(db, code) or abort(404)
    asset = entry.asset
    now = clock.now()
    today = clock.to_local(now).date()
    month = catalogue.parse_month(request.args.get("maand"), today)
    return render_template(
        "asset.html",
        entry=entry,
        opening=catalogue.opening_lines(entry.location),
        month=month,
        weeks=availability.month_grid(db, asset, entry.location, month, today, now),
        previous=catalogue.shift_month(month, -1) if month > today.replace(day=1) else None,
        following=catalogue.shift_month(month, 1),
    )


# --- the request form ------------------------------------------------------------------------------------------


def render_form(
    asset: Any,
    form: dict[str, str],
    errors: forms.FormErrors,
    status: int = 200,
    staff_mode: bool = False,
    dates_taken: bool = False,
    entry: reads.Entry | None = None,
) -> tuple[str, int]:
    db = get_session()
    entry = entry or reads.entry(db, asset)
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
            # the rule's own moment: lead time respected, within the opening hours
            earliest=None if staff_mode else earliest_pickup(asset, clock.now(), entry.location),
            staff_mode=staff_mode,
            # what is already lent out or under maintenance in the coming months, before anything is sent
            taken=availability.taken_periods(db, asset, clock.now()),
            taken_days=availability.TAKEN_AHEAD_DAYS,
            # the dates are taken: offer to file it anyway, as a wish (kept ticked once ticked)
            ask_wish=dates_taken or form.get("file_if_taken") == "yes",
            layout="staff/base.html" if staff_mode else "base.html",
            action=url_for("staff.walk_in_submit" if staff_mode else "public.submit_request", code=asset.code),
        ),
        status,
    )


def _prefilled(args: Any) -> dict[str, str]:
    """The form's first values: the language, and the dates chosen in the date search (they travel along)."""
    form = {"language": "en" if request.cookies.get(COOKIE) == "en" else "nl", "quantity": "1"}
    for field, key in (
        ("pickup_date", "van_datum"),
        ("pickup_time", "van_uur"),
        ("return_date", "tot_datum"),
        ("return_time", "tot_uur"),
    ):
        value = args.get(key, "").strip()[:10]
        if value:
            form[field] = value
    return form


@blp.get("/lenen/<code>/aanvraag")
def request_form(code: str) -> tuple[str, int]:
    entry = reads.find_entry(get_session(), code) or abort(404)
    return render_form(entry.asset, _prefilled(request.args), forms.FormErrors(), entry=entry)


@blp.post("/lenen/<code>/aanvraag")
@limiter.limit(configured("PUBLIC_FORM_LIMIT"), methods=["POST"])
def submit_request(code: str) -> Response | tuple[str, int]:
    asset = reads.find_asset(get_session(), code) or abort(404)
    return handle_submission(asset, REQUESTER)


def _form_scope(actor: Actor) -> str:
    """Whose Idempotency-Key the form's is: the staff member's, or this browser session's (a random nonce)."""
    if actor.principal is not None:
        return f"staff:{actor.principal.staff_id}"
    if "form_nonce" not in session:
        session["form_nonce"] = secrets.token_urlsafe(16)
    return f"form:{session['form_nonce']}"


def handle_submission(asset: Any, actor: Actor) -> Response | tuple[str, int]:
    """Parse the form into the API's command and submit it once per idempotency key; refusals beside the fields."""
    db = get_session()
    staff_mode = actor.is_staff
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    questions = forms.questions_for(db, asset)
    labels = forms.labels_of(questions)
    errors = forms.FormErrors()
    if form.get("consent") != "yes":
        errors.add(
            "consent",
            _("Leg de privacyverklaring uit en vink dat hier aan.")
            if staff_mode
            else _("Lees de privacyverklaring en vink aan dat je akkoord gaat."),
        )
    command = forms.parse_request(asset, questions, form, errors, staff_mode)
    if command is None or errors:
        taken = False
        if command is not None:  # consent missing: still tell every other problem now
            taken = _add_refusal(errors, lambda: application.check_request(db, command, actor), labels, staff_mode)
        return render_form(asset, form, errors, 422, staff_mode, taken)
    key = idempotency.Key(
        _form_scope(actor), form.get("idempotency_key") or str(uuid.uuid4()), idempotency.digest_of(command)
    )
    try:
        outcome = application.submit_request(db, command, actor, current_policy(), key)
    except IdempotencyKeyReused:
        form["idempotency_key"] = str(uuid.uuid4())
        errors.add(None, say_error(IdempotencyKeyReused(), staff=staff_mode))
        return render_form(asset, form, errors, 422, staff_mode)
    except InvalidInput as error:
        forms.add_problems(errors, error.problems, labels, staff_mode)
        return render_form(asset, form, errors, 422, staff_mode, _dates_taken(error))
    if outcome.token is None:  # a replay of a request whose personal data has gone
        abort(404)
    return confirm(outcome.token)


def _add_refusal(errors: forms.FormErrors, check: Any, labels: dict[str, str], staff: bool) -> bool:
    """Add what ``check`` refuses to ``errors``; True when one refusal is that the dates are taken."""
    try:
        check()
    except InvalidInput as error:
        forms.add_problems(errors, error.problems, labels, staff)
        return _dates_taken(error)
    return False


def _dates_taken(error: InvalidInput) -> bool:
    return any(problem.code == Code.DATES_TAKEN for problem in error.problems)


# --- confirmation --------------------------------------------------------------------------------------------

# The confirmation shows the private link for a short while only: on a shared computer (a library, a community
# centre's desk) the next person must not find the previous requester's link. The link travels in its own cookie
# that the browser drops after CONFIRMATION_SECONDS, signed with that age, so even a kept copy is refused then.
CONFIRMATION_SECONDS = 15 * 60
CONFIRMATION_COOKIE = "uitleen_bevestiging"


def _confirmations() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="confirmation")


def confirm(token: str) -> Response:
    response = redirect(url_for("public.confirmation"), code=303)
    response.set_cookie(
        CONFIRMATION_COOKIE,
        _confirmations().dumps({"token": token, "at": clock.now().timestamp()}),
        max_age=CONFIRMATION_SECONDS,
        path=url_for("public.confirmation"),
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SETTINGS"].secure_cookies,
    )
    return response


def _confirmed_token() -> str | None:
    try:
        shown = _confirmations().loads(request.cookies.get(CONFIRMATION_COOKIE, ""))
    except BadSignature:
        return None
    if not isinstance(shown, dict) or clock.now().timestamp() - float(shown.get("at", 0)) > CONFIRMATION_SECONDS:
        return None
    return str(shown.get("token"))


def _absolute(path: str) -> str:
    """A link to print or read out: the configured public address, never the Host header a client sent."""
    public_url: str = current_app.config["SETTINGS"].public_url
    return public_url.rstrip("/") + path


@blp.get("/aanvraag/ontvangen")
def confirmation() -> Response | str:
    token = _confirmed_token()
    if token is None:
        return redirect(url_for("public.home"))
    db = get_session()
    try:
        booking = request_reads.request_for_link(db, token)
    except LinkNotFound:
        abort(404)
    return render_template(
        "confirmation.html", booking=booking, link=_absolute(status_path(token)), view=_view(db, booking)
    )


def _view(db: Any, booking: Any) -> dict[str, Any]:
    return request_view(db, booking)


# --- the requester's status page -----------------------------------------------------------------------------


def _status_view(db: Any, booking: Any) -> dict[str, Any]:
    """What the status page shows of a request: its initiative and its items by name. The request's own rows
    (``get_request`` loads items, initiative and centre) and one statement for the names: the API's view would
    also read requirement labels and maintenance, which this page does not show."""
    assets = reads.assets_by_id(db, (item.asset_id for item in booking.items))
    items = []
    for item in booking.items:
        asset = assets.get(item.asset_id)
        items.append(
            {
                "asset_name_nl": asset.name_nl if asset else None,
                "asset_name_en": asset.name_en if asset else None,
                "quantity": item.quantity,
            }
        )
    return {"initiative": booking.initiative, "items": items}


def _status_page(
    token: str, message: str | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    db = get_session()
    try:
        booking = request_reads.request_for_link(db, token)
    except LinkNotFound:
        abort(404)
    view = _status_view(db, booking)
    return (
        render_template(
            "status.html",
            booking=booking,
            token=token,
            view=view,
            location=booking.location,
            history=request_reads.requester_history(db, booking.id),
            can_withdraw=can(Action.WITHDRAW, booking.status, REQUESTER),
            can_cancel=can(Action.CANCEL, booking.status, REQUESTER),
            can_change=can(Action.CHANGE_CONTACT, booking.status, REQUESTER),
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


def _requester_decides(token: str, command: Decision, error_field: str) -> Response | tuple[str, int]:
    """Run the requester's command through the link; a refusal is shown beside the form it came from."""
    try:
        application.decide(get_session(), ByLink(token), REQUESTER, command, current_policy())
    except LinkNotFound:
        abort(404)
    except InvalidInput as error:
        beside = forms.FormErrors()
        forms.add_problems(beside, error.problems)
        return _status_page(token, errors={error_field: say_error(error), **beside.first()}, status=422)
    except DomainError as error:
        return _status_page(token, errors={error_field: say_error(error)}, status=409)
    return redirect(url_for("public.status", token=token, ok=1), code=303)


@blp.post("/status/<token>/intrekken")
@private_link
def withdraw(token: str) -> Response | tuple[str, int]:
    return _requester_decides(token, Withdraw(request.form.get("reason", "").strip() or None), "withdraw")


@blp.post("/status/<token>/annuleren")
@private_link
def cancel(token: str) -> Response | tuple[str, int]:
    """An approved loan the requester no longer needs: cancelled, and the asset free for someone else."""
    return _requester_decides(token, Cancel(request.form.get("reason", "").strip() or None), "cancel")


@blp.post("/status/<token>/contact")
@private_link
def change_contact(token: str) -> Response | tuple[str, int]:
    data = {
        "name": request.form.get("contact_name", "").strip(),
        "email": request.form.get("email", "").strip() or None,
        "phone": request.form.get("phone", "").strip() or None,
    }
    try:
        command = ContactPatchSchema().load({k: v for k, v in data.items() if k != "name" or v})
    except ma.ValidationError as error:
        problems = forms.FormErrors()
        forms.add_problems(problems, schema_problems(error.messages))
        return _status_page(token, errors=problems.first(), status=422)
    return _requester_decides(token, command, "email")


# Where people send questions about their data (Stad Gent's data protection officer).
PRIVACY_EMAIL = "privacy@stad.gent"


@blp.get("/privacy")
def privacy() -> str:
    policy = current_policy()
    return render_template(
        "privacy.html",
        link_days=policy.status_link_days,
        retention_days=policy.retention_days,
        privacy_email=PRIVACY_EMAIL,
    )
