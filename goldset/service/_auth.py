"""Who is calling: authentication and CSRF, enforced by the server on every request.

* API clients send ``Authorization: Bearer <token>`` (a token from ``goldset user add``).
* Browsers log in once with that token and get a session cookie: signed (itsdangerous, with
  the workspace's ``.goldset/service-secret``, 0600), HttpOnly, SameSite=Strict, valid 12 h.
  The session names the token's hash, so revoking the token ends the session at its next
  request. Every unsafe request a cookie authenticates must carry the session's CSRF token
  (header ``X-CSRF-Token`` or form field ``csrf_token``); bearer requests carry no ambient
  credential and need none.

The identity is the authenticated e-mail, and the workspace the library sees is opened as that
user: the audit log records it, and the role matrix of the spec decides what it may do. No
header or environment variable can name another user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fastapi import Request

from goldset.access import users as users_mod

if TYPE_CHECKING:
    from goldset.service._deps import ServiceConfig

SESSION_COOKIE = "goldset_session"
SESSION_MAX_AGE = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    email: str
    via: Literal["token", "session"]
    #: The session's CSRF token (None for bearer requests).
    csrf: str | None = None


class NotAuthenticated(Exception):
    """No valid token or session: 401 for the API, the login page for a browser."""


class CsrfFailed(Exception):
    """A cookie-authenticated unsafe request without the session's CSRF token: 403."""


def load_secret(state_dir: Path) -> bytes:
    """The key that signs session cookies: made once per workspace, mode 0600."""
    from goldset.store import write_atomic

    path = state_dir / "service-secret"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    write_atomic(path, secrets.token_bytes(32).hex().encode(), mode=0o600)
    return path.read_bytes()


def _serializer(config: ServiceConfig) -> object:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(config.secret, salt="goldset-session")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", errors="surrogateescape")).hexdigest()


def make_session(config: ServiceConfig, token: str, email: str) -> tuple[str, str]:
    """(the cookie value, its CSRF token) for a user who logged in with ``token``."""
    csrf = secrets.token_urlsafe(24)
    value = _serializer(config).dumps({"e": email, "t": token_digest(token), "c": csrf})  # type: ignore[attr-defined]
    return str(value), csrf


def _from_session(config: ServiceConfig, cookie: str) -> Principal | None:
    from itsdangerous import BadSignature

    try:
        data = _serializer(config).loads(cookie, max_age=SESSION_MAX_AGE)  # type: ignore[attr-defined]
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "etc"):
        return None
    # The token behind the session must still be active: revoking it ends the session.
    active = {u.token_sha256 for u in users_mod.Users(config.state_dir).list() if u.active and u.email == data["e"]}
    if not any(hmac.compare_digest(data["t"], d) for d in active):
        return None
    return Principal(email=data["e"], via="session", csrf=data["c"])


def authenticate(request: Request) -> Principal:
    """The caller, or :class:`NotAuthenticated`."""
    config: ServiceConfig = request.app.state.config
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Authorization must be 'Bearer <token>'")
        email = users_mod.Users(config.state_dir).authenticate(token.strip())
        if email is None:
            raise NotAuthenticated("unknown or revoked token")
        return Principal(email=email, via="token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = _from_session(config, cookie)
        if principal is not None:
            return principal
    raise NotAuthenticated("log in: send 'Authorization: Bearer <token>' (goldset user add) or use the login page")


async def check_csrf(request: Request, principal: Principal) -> None:
    """Refuse a cookie-authenticated unsafe request without the session's CSRF token."""
    if principal.via != "session" or request.method not in _UNSAFE:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or principal.csrf is None or not hmac.compare_digest(sent, principal.csrf):
        raise CsrfFailed("missing or wrong CSRF token: reload the page and try again")
