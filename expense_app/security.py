"""The authentication glue of both faces, installed by `init_app` (nothing happens at import).

- Web: flask-login's user loader, which checks the server-side browser session
  (`services.sign_ins`) and the session version, so logout and a password change end sessions.
- API: flask-jwt-extended's identity, user-lookup and blocklist loaders, and every JWT failure as
  a 401 JSON error in the API's error shape (the library answers 422 or 400 by default).
"""

from __future__ import annotations

from flask import Flask, g

from expense_app.extensions import db, jwt, login_manager
from expense_app.models import User
from expense_app.responses import error_response
from expense_app.services.rules import parse_id, parse_int
from expense_app.services.sign_ins import session_user
from expense_app.services.tokens import active_family_user

# Where the blocklist check leaves the token family's user for the user lookup (flask.g, per request).
_FAMILY_USER = "token_family_user"


def load_session_user(session_id: str):
    """Return the active user for a flask-login id `"<id>.<version>.<sid>"`, else None.

    The sid must name a live browser session of that user (`services.sign_ins`), so a cookie
    copied before logout, or a remember-me cookie of an ended session, signs nobody in. An id of
    the older `"<id>.<version>"` form has no session and is refused (one new login after upgrade).
    """
    user_id, version, sid = ([*session_id.split(".", 2), "", ""])[:3]
    user_id, version = parse_id(user_id), parse_int(version)
    if user_id is None or version is None or not sid:
        return None
    found = session_user(user_id, sid)
    if found is None:
        return None
    user, _web_session = found
    if not user.is_active or user.session_version != version:
        return None
    user.web_sid = sid
    return user


def user_identity(user) -> str:
    """`sub` is the user id as a string (flask-jwt-extended 4.7 requires a string)."""
    return str(user.id)


def load_token_user(_header: dict, payload: dict):
    """Return the active user named by `sub`; None (hence 401) once deleted or deactivated."""
    sub = payload.get("sub")
    user_id = parse_id(sub) if isinstance(sub, str) else None
    if user_id is None:
        return None
    # The blocklist check of this request (it runs first) loaded the family's user already.
    user = g.pop(_FAMILY_USER, None)
    if user is None or user.id != user_id:
        user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def token_is_revoked(_header: dict, payload: dict) -> bool:
    """A token is dead when its family is unknown, revoked or expired.

    Keeps the family's user (loaded by the same query) for `load_token_user`, so a protected
    request authenticates with one query.
    """
    active, user = active_family_user(payload.get("fam"))
    if active and user is not None:
        setattr(g, _FAMILY_USER, user)
    return not active


def _unauthorized(message: str):
    return error_response(401, message, headers={"WWW-Authenticate": "Bearer"})


def init_app(app: Flask) -> None:
    """Register the session and token loaders, and make every JWT failure a 401 in the API's shape."""
    login_manager.user_loader(load_session_user)
    jwt.user_identity_loader(user_identity)
    jwt.user_lookup_loader(load_token_user)
    jwt.token_in_blocklist_loader(token_is_revoked)
    jwt.unauthorized_loader(lambda reason: _unauthorized("Missing bearer token in the Authorization header."))
    jwt.invalid_token_loader(lambda reason: _unauthorized("The token is invalid."))
    jwt.expired_token_loader(lambda header, payload: _unauthorized("The token has expired."))
    jwt.revoked_token_loader(lambda header, payload: _unauthorized("The token has been revoked."))
    jwt.needs_fresh_token_loader(lambda header, payload: _unauthorized("A fresh login is required."))
    jwt.token_verification_failed_loader(lambda header, payload: _unauthorized("The token was refused."))
    jwt.user_lookup_error_loader(lambda header, payload: _unauthorized("The account no longer exists or is disabled."))
