"""/inventory/auth: staff login and logout (a cookie for the whole origin) and machine tokens."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, make_response, request
from flask.views import MethodView

from services.inventory.api.schemas import LoginSchema, PrincipalSchema, TokenInSchema, TokenOutSchema
from services.inventory.domain import staff
from shared.auth import clear_session_cookie, require_principal, require_staff, set_session_cookie
from shared.config import Settings
from shared.db import get_session
from shared.openapi import problems
from shared.ratelimit import client_address, configured, failed_login, limit_setting, make_limiter
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
    body = request.get_json(silent=True) if request.is_json else None
    email = body.get("email", "") if isinstance(body, dict) else ""  # any JSON may come: the schema judges it later
    return f"{client_address()}:{str(email).strip().lower()[:200]}"


blp = Blueprint("auth", __name__, url_prefix="/auth", description="Staff login and API tokens")


@blp.route("/login", methods=["POST"])
# Every attempt counts towards the first limit; only failures towards the second, which is the back-off after
# repeated wrong passwords (per address and e-mail, so one attacker cannot lock out a colleague elsewhere).
@limiter.limit(configured("LOGIN_LIMIT"))
@limiter.limit(configured("LOGIN_FAILURE_LIMIT"), key_func=login_key, deduct_when=failed_login)
@blp.arguments(LoginSchema)
@blp.response(200, PrincipalSchema)
@problems(401, 429)
def login(data: dict[str, str]) -> Any:
    """Log in; sets the signed session cookie valid for every service of this origin."""
    account = staff.authenticate(get_session(), data["email"], data["password"])
    principal = staff.principal_for(account)
    response = make_response(jsonify(PrincipalSchema().dump(principal)))
    set_session_cookie(response, principal)
    return response


@blp.route("/logout", methods=["POST"])
@blp.response(204)
def logout() -> Any:
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
    @blp.arguments(TokenInSchema)
    @blp.response(201, TokenOutSchema)
    def post(self, data: dict[str, str]) -> dict[str, Any]:
        """Issue an API token for a machine, acting as the calling staff member. Shown once."""
        settings = current_app.config["SETTINGS"]
        session = get_session()
        record, token = staff.issue_api_token(
            session, require_principal().staff_id, data["name"], settings.secret_key, settings.api_token_days
        )
        session.commit()
        fields = ("id", "name", "created_at", "expires_at", "revoked_at")
        return {**{name: getattr(record, name) for name in fields}, "token": token}


@blp.route("/tokens/<token_id>", methods=["DELETE"])
@require_staff
@blp.response(204)
def revoke(token_id: str) -> None:
    """Revoke one of your tokens."""
    session = get_session()
    staff.revoke_api_token(session, require_principal().staff_id, token_id)
    session.commit()
