"""/inventory/auth: staff login and logout (a cookie for the whole origin) and machine tokens."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, make_response
from flask.views import MethodView

from services.inventory import application
from services.inventory.api.schemas import (
    LoginSchema,
    PrincipalSchema,
    TokenInSchema,
    TokenOutSchema,
    TokenQuerySchema,
)
from services.inventory.domain import credentials, staff
from shared.auth import clear_session_cookie, current_principal, require_principal, require_staff, set_session_cookie
from shared.config import Settings
from shared.db import get_session
from shared.openapi import problems
from shared.ratelimit import client_address, configured, failed_login, limit_setting, make_limiter, typed_field
from shared.web import ApiBlueprint as Blueprint

limiter = make_limiter()


def limit_config(settings: Settings) -> dict[str, str]:
    """Every attempt counts towards the first limit, failures alone towards the second (the back-off).

    Raises ConfigError naming the variable when a value does not parse."""
    return {
        "LOGIN_LIMIT": limit_setting(settings, "INVENTORY_LOGIN_LIMIT", "20 per minute"),
        "LOGIN_FAILURE_LIMIT": limit_setting(settings, "INVENTORY_LOGIN_FAILURE_LIMIT", "5 per 15 minutes"),
    }


def login_key() -> str:
    """One back-off counter per address and account, whichever way in (the API or the form) is tried."""
    return f"{client_address()}:{staff.account_key(typed_field('email'))[:200]}"


# Shared limits: the JSON login and the login form count into the same windows (the scope names them), so
# alternating between the two ways in gives no extra guesses.
login_attempts = limiter.shared_limit(configured("LOGIN_LIMIT"), scope="login")
login_failures = limiter.shared_limit(
    configured("LOGIN_FAILURE_LIMIT"), scope="login-failures", key_func=login_key, deduct_when=failed_login
)


def password_key() -> str:
    """The own-password form's back-off: per address and logged-in account."""
    principal = current_principal()
    return f"{client_address()}:staff-{principal.staff_id if principal else 0}"


def wrong_current_password(response: Response) -> bool:
    """Only a wrong current password counts (the page marks it: ``X-Uitleen-Password-Wrong``)."""
    return response.headers.pop("X-Uitleen-Password-Wrong", None) is not None


# Proving the current password on the own-password page (services/inventory/web/accounts.py) is guessing a
# password too: the login's failure limit, in its own window, per account.
password_failures = limiter.shared_limit(
    configured("LOGIN_FAILURE_LIMIT"),
    scope="password-failures",
    key_func=password_key,
    deduct_when=wrong_current_password,
)


blp = Blueprint("auth", __name__, url_prefix="/auth", description="Staff login and API tokens")


@blp.route("/login", methods=["POST"])
# Every attempt counts towards the first limit; only failures towards the second, which is the back-off after
# repeated wrong passwords (per address and account, so one attacker cannot lock out a colleague elsewhere).
@login_attempts
@login_failures
@blp.arguments(LoginSchema)
@blp.response(200, PrincipalSchema)
@problems(401, 429)
def login(data: dict[str, str]) -> Any:
    """Log in; sets the signed session cookie valid for every service of this origin."""
    hours = current_app.config["SETTINGS"].session_hours
    principal = application.log_in(get_session(), data["email"], data["password"], hours)
    response = make_response(jsonify(PrincipalSchema().dump(principal)))
    set_session_cookie(response, principal)
    return response


@blp.route("/logout", methods=["POST"])
@blp.response(204)
def logout() -> Any:
    """Log out: the session and every token minted from it are revoked, at every service."""
    application.log_out(get_session(), current_principal())
    response = make_response("", 204)
    clear_session_cookie(response)
    return response


@blp.route("/me", methods=["GET"])
@blp.response(200, PrincipalSchema)
@problems(401, security="staff")
def me() -> Any:
    """Who is logged in (401 when nobody)."""
    return require_principal()


@blp.route("/tokens")
class Tokens(MethodView):
    @require_staff
    @blp.arguments(TokenQuerySchema, location="query")
    @blp.response(200, TokenOutSchema(many=True))
    @problems(403)
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Your tokens, newest first (an administrator: everyone's, or ``staff_id``'s)."""
        found = credentials.list_api_tokens(get_session(), require_principal(), query.get("staff_id"))
        return [credentials.token_view(record) for record in found]

    @require_staff
    @blp.arguments(TokenInSchema)
    @blp.response(201, TokenOutSchema)
    def post(self, data: dict[str, str]) -> dict[str, Any]:
        """Issue an API token acting as you, a child of the session or token you call with: it dies with that
        credential and ends no later than it (API_TOKEN_DAYS at most). Shown once."""
        settings = current_app.config["SETTINGS"]
        record, token = application.mint_token(get_session(), require_principal(), data["name"], settings)
        return {**credentials.token_view(record), "token": token}


@blp.route("/tokens/<token_id>", methods=["DELETE"])
@require_staff
@blp.response(204)
def revoke(token_id: str) -> None:
    """Revoke one of your tokens (an administrator: anyone's), and every token it minted."""
    application.revoke_token(get_session(), require_principal(), token_id)
