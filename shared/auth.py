"""Staff identity, verified the same way by every service.

Staff accounts live in one service (inventory); what crosses to the others is a *signed claim*: the login
sets a session cookie holding the staff member's id, role and community centres, signed with the shared
``SECRET_KEY``; machines send ``Authorization: Bearer <token>``, a signed claim of the same shape with a longer
lifetime. Any service can verify either without reading another's tables.

Every credential inventory issues has an id (``jti``) and names the credentials that minted it (``anc``, the
root first: the login session, then each token that minted the next), the account's claims generation
(``gen``) and when it ends (``exp``, never after its parent's). A service refuses a credential whose id or any
ancestor's id was revoked, or whose generation is older than the account's (a role or centre changed, the
account was deactivated): ``init_auth(app, credential_void=...)`` gives it the check. Inventory asks its own
tables; booking and notify ask the copies they keep from ``inventory.token.revoked`` and
``inventory.staff.changed`` (``shared.revocations``).

A session after an administrator set the account's password claims ``pwd``: the staff member must choose a
password of their own first. Every service then answers only what the app lists as allowed (inventory: its
password page, login and logout); a page asks for the password page, anything else is a 403
``password_change_required`` (``init_auth``'s gate).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, current_app, g, redirect, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared import clock
from shared.errors import Forbidden, Unauthorized

SESSION_COOKIE = "uitleen_staff"
ROLES = ("staff", "admin")
_password_hasher = PasswordHasher()
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    staff_id: int
    name: str
    role: str
    location_ids: frozenset[int]
    via: str = "session"  # or "token"
    token_id: str | None = None  # the credential's own id (jti): a session's or a token's
    ancestors: tuple[str, ...] = ()  # the credentials that minted this one, the root (a session) first
    generation: int = 0  # the account's claims generation when this was signed
    expires_at: int | None = None  # unix seconds (shared clock); None: the signature's age alone bounds it
    must_change_password: bool = False  # an administrator set the password: choose one's own before anything else

    @property
    def lineage(self) -> tuple[str, ...]:
        """This credential's id and its ancestors': revoking any of them voids it."""
        return (*self.ancestors, self.token_id) if self.token_id else self.ancestors

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def works_at(self, location_id: int) -> bool:
        """Admins act for every centre; staff for the centres they belong to."""
        return self.is_admin or location_id in self.location_ids

    def to_claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": self.staff_id,
            "name": self.name,
            "role": self.role,
            "loc": sorted(self.location_ids),
        }
        if self.token_id:
            claims["jti"] = self.token_id
        if self.ancestors:
            claims["anc"] = list(self.ancestors)
        if self.generation:
            claims["gen"] = self.generation
        if self.expires_at is not None:
            claims["exp"] = self.expires_at
        if self.must_change_password:
            claims["pwd"] = True
        return claims

    @classmethod
    def from_claims(cls, claims: dict[str, Any], via: str) -> Principal:
        role = claims["role"]
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return cls(
            staff_id=int(claims["sub"]),
            name=str(claims["name"]),
            role=role,
            location_ids=frozenset(int(x) for x in claims["loc"]),
            via=via,
            token_id=str(claims["jti"]) if claims.get("jti") else None,
            ancestors=tuple(str(x) for x in claims.get("anc") or ()),
            generation=int(claims.get("gen") or 0),
            expires_at=int(claims["exp"]) if claims.get("exp") is not None else None,
            must_change_password=claims.get("pwd") is True,
        )


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_fingerprint(token: str) -> str:
    """What we store of an issued token: enough to revoke it, never enough to use it."""
    return hashlib.sha256(token.encode()).hexdigest()


@functools.lru_cache(maxsize=64)
def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    # built once per key and salt (it keeps no state between calls): every authenticated request reads claims
    return URLSafeTimedSerializer(secret_key, salt=salt)


def sign_session(secret_key: str, principal: Principal) -> str:
    return _serializer(secret_key, "staff-session").dumps(principal.to_claims())


def sign_api_token(secret_key: str, principal: Principal) -> str:
    return _serializer(secret_key, "api-token").dumps(principal.to_claims())


def read_claims(secret_key: str, value: str, salt: str, max_age_seconds: int) -> dict[str, Any] | None:
    try:
        claims = _serializer(secret_key, salt).loads(value, max_age=max_age_seconds)
    except BadSignature:
        return None
    return cast(dict[str, Any], claims) if isinstance(claims, dict) else None


def _signed_claims() -> tuple[dict[str, Any], str] | None:
    """The request's credential's claims (signature and age checked, nothing else) and how it came."""
    settings = current_app.config["SETTINGS"]
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        claims = read_claims(settings.secret_key, header[7:].strip(), "api-token", settings.api_token_days * 86400)
        via = "token"
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        claims = read_claims(settings.secret_key, cookie, "staff-session", settings.session_hours * 3600)
        via = "session"
    return None if claims is None else (claims, via)


def _principal_from_request() -> Principal | None:
    signed = _signed_claims()
    if signed is None:
        return None
    claims, via = signed
    try:
        principal = Principal.from_claims(claims, via)
    except (KeyError, ValueError, TypeError):
        return None
    if principal.expires_at is not None and principal.expires_at <= clock.now().timestamp():
        return None
    void: Callable[[Principal], bool] | None = current_app.extensions.get("credential_void")
    if void is not None and void(principal):
        return None
    return principal


def current_principal() -> Principal | None:
    """The authenticated staff member of this request, or None for the public."""
    if "principal" not in g:
        g.principal = _principal_from_request()
    return cast(Principal | None, g.principal)


def require_principal() -> Principal:
    """Raises Unauthorized when the request carries no valid staff identity."""
    principal = current_principal()
    if principal is None:
        raise Unauthorized("Log in as staff, or send a valid API token, to do this.")
    return principal


def require_staff(view: F) -> F:
    """Writes need staff: 401 without identity."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_principal()
        return view(*args, **kwargs)

    return cast(F, wrapper)


def require_admin(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not require_principal().is_admin:
            raise Forbidden("Only an administrator may do this.")
        return view(*args, **kwargs)

    return cast(F, wrapper)


def set_session_cookie(response: Response, principal: Principal) -> None:
    settings = current_app.config["SETTINGS"]
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(settings.secret_key, principal),
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="Lax",
    )


def clear_session_cookie(response: Response) -> None:
    settings = current_app.config["SETTINGS"]
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=settings.secure_cookies, samesite="Lax")


# What a session that must change its password may still reach in every app (the language switch, the
# stylesheet); an app adds its own with ``allow_before_password_change``.
ALWAYS_ALLOWED = frozenset({"static", "frame.static", "frame.switch_language"})
PASSWORD_PAGE_HOOK = "password_change_page"  # init_pages: (is this a page request?, the password page's path)


def allow_before_password_change(app: Flask, *endpoints: str) -> None:
    """Endpoints a staff member whose password an administrator set may use before choosing a new one."""
    app.extensions.setdefault("password_change_allows", set()).update(endpoints)


def _password_change_gate() -> Response | None:
    """Before anything else, a staff member whose password an administrator set chooses one of their own.

    Only credentials claiming ``pwd`` pay for the full check (the others are not read here at all).
    Raises Forbidden (``password_change_required``) outside the pages."""
    if request.endpoint in ALWAYS_ALLOWED or request.endpoint in current_app.extensions.get(
        "password_change_allows", ()
    ):
        return None
    signed = _signed_claims()
    if signed is None or signed[0].get("pwd") is not True:
        return None
    principal = current_principal()
    if principal is None or not principal.must_change_password:
        return None  # void anyway: the request goes on as the public's
    hook = current_app.extensions.get(PASSWORD_PAGE_HOOK)
    if hook is not None and hook[0]():
        return cast(Response, redirect(hook[1], code=303))
    raise Forbidden(
        "An administrator set your password: choose a new one first (/inventory/beheer/wachtwoord).",
        code="password_change_required",
    )


def init_auth(app: Flask, credential_void: Callable[[Principal], bool] | None = None) -> None:
    """``credential_void(principal)`` says whether a validly signed credential may no longer act: revoked (it or
    an ancestor), or signed with claims the account no longer has. Also installs the gate that sends a staff
    member whose password an administrator set to choose their own first (``_password_change_gate``)."""
    if credential_void is not None:
        app.extensions["credential_void"] = credential_void
    app.before_request(_password_change_gate)
