"""Password hashing and the authentication glue of both faces.

- Passwords: argon2id with the app's `PASSWORD_HASHER` parameters (RFC 9106 low-memory profile by
  default, above the OWASP minimum); hashes made with older parameters are upgraded at next login.
- Web: flask-login's user loader, which checks the session version so a password change ends
  every other session.
- API: flask-jwt-extended's identity, user-lookup and blocklist loaders, and every JWT failure as
  a 401 JSON error in the API's error shape (the library answers 422 or 400 by default).
"""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, current_app, g

from expense_app.errors import error_response
from expense_app.extensions import db, jwt, login_manager

# A hash of a random password, verified against when the email is unknown, so that a login for a
# missing account costs the same time as one with a wrong password (no account enumeration).
_DUMMY_PASSWORD = "not-a-real-password-only-for-equal-timing"  # noqa: S105 (never a real credential)
# Where the blocklist check leaves the token family's user for the user lookup (flask.g, per request).
_FAMILY_USER = "token_family_user"


def _hasher() -> PasswordHasher:
    params = current_app.config["PASSWORD_HASHER"]
    cache = current_app.extensions.setdefault("password_hasher", {})
    key = tuple(sorted(params.items()))
    if key not in cache:
        cache[key] = PasswordHasher(**params)
    return cache[key]


def hash_password(password: str) -> str:
    """Return an argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches `password_hash`; a missing hash costs the same time."""
    hasher = _hasher()
    if password_hash is None:
        dummy = current_app.extensions.setdefault("dummy_password_hash", hasher.hash(_DUMMY_PASSWORD))
        with contextlib.suppress(VerificationError):
            hasher.verify(dummy, password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)


@login_manager.user_loader
def load_session_user(session_id: str):
    """Return the active user for a flask-login id `"<id>.<version>"`, else None."""
    from expense_app.models import User

    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


@jwt.user_identity_loader
def user_identity(user) -> str:
    """`sub` is the user id as a string (flask-jwt-extended 4.7 requires a string)."""
    return str(user.id)


@jwt.user_lookup_loader
def load_token_user(_header: dict, payload: dict):
    """Return the active user named by `sub`; None (hence 401) once deleted or deactivated."""
    from expense_app.models import User

    sub = payload.get("sub", "")
    if not isinstance(sub, str) or not sub.isdigit():
        return None
    # The blocklist check of this request (it runs first) loaded the family's user already.
    user = g.pop(_FAMILY_USER, None)
    if user is None or user.id != int(sub):
        user = db.session.get(User, int(sub))
    return user if user is not None and user.is_active else None


@jwt.token_in_blocklist_loader
def token_is_revoked(_header: dict, payload: dict) -> bool:
    """A token is dead when its family is unknown, revoked or expired.

    Keeps the family's user (loaded by the same query) for `load_token_user`, so a protected
    request authenticates with one query.
    """
    from expense_app.services.tokens import active_family_user

    active, user = active_family_user(payload.get("fam"))
    if active and user is not None:
        setattr(g, _FAMILY_USER, user)
    return not active


def _unauthorized(message: str):
    return error_response(401, message, headers={"WWW-Authenticate": "Bearer"})


def register_jwt_errors(app: Flask) -> None:
    """Make every JWT failure a 401 in the API's error shape."""
    jwt.unauthorized_loader(lambda reason: _unauthorized("Missing bearer token in the Authorization header."))
    jwt.invalid_token_loader(lambda reason: _unauthorized("The token is invalid."))
    jwt.expired_token_loader(lambda header, payload: _unauthorized("The token has expired."))
    jwt.revoked_token_loader(lambda header, payload: _unauthorized("The token has been revoked."))
    jwt.needs_fresh_token_loader(lambda header, payload: _unauthorized("A fresh login is required."))
    jwt.token_verification_failed_loader(lambda header, payload: _unauthorized("The token was refused."))
    jwt.user_lookup_error_loader(lambda header, payload: _unauthorized("The account no longer exists or is disabled."))
