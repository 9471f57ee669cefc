"""Who is calling the API: a JWT access token or a personal access token, both as `Bearer`.

`auth_required()` replaces flask-jwt-extended's `auth_required()` on every protected operation, and
`token_user` replaces its `current_user`. A credential starting with `em_pat_` is a personal
access token (`expense_app.services.access_tokens`): looked up with one query, refused with 401
when unknown, revoked or expired, and with 403 when its scopes do not cover the request
(`required_scope`). Anything else goes through flask-jwt-extended as before (signature, expiry,
the token-family blocklist; see `expense_app.security`).

The refresh and logout operations keep `jwt_required`: they act on a JWT's token family, which a
personal access token does not have.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from werkzeug.local import LocalProxy

from expense_app.errors import AuthError, Forbidden
from expense_app.services import access_tokens

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_USER = "api_user"
_ACCESS_TOKEN = "api_access_token"  # noqa: S105 (a flask.g attribute name)


def bearer_credential() -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header, else None."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    credential = credential.strip()
    return credential if scheme.lower() == "bearer" and credential else None


def required_scope(method: str) -> str:
    """The scope a request needs: `read` for GET/HEAD/OPTIONS, `write` for everything else."""
    return "read" if method.upper() in READ_METHODS else "write"


def _unauthorized(message: str) -> AuthError:
    error = AuthError(message)
    error.headers = {"WWW-Authenticate": "Bearer"}
    return error


def authenticate():
    """Authenticate this request once (cached in `g`) and return its user; raise 401/403 otherwise."""
    if _USER in g:
        return g.get(_USER)
    credential = bearer_credential()
    if credential is not None and access_tokens.looks_like_token(credential):
        found = access_tokens.user_for_token(credential)
        if found is None:
            raise _unauthorized("The access token is unknown, revoked or expired.")
        user, access_token = found
        scope = required_scope(request.method)
        if scope not in access_token.scopes:
            raise Forbidden(f"This access token is read-only: it has no {scope!r} scope.")
        setattr(g, _ACCESS_TOKEN, access_token)
    else:
        verify_jwt_in_request()
        user = get_current_user()
    setattr(g, _USER, user)
    return user


def current_access_token():
    """The personal access token this request authenticated with, or None (a JWT, or none yet)."""
    return g.get(_ACCESS_TOKEN)


def auth_required():
    """Decorator factory: the operation needs a valid JWT access token or personal access token."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            authenticate()
            return view(*args, **kwargs)

        return guarded

    return decorate


# The authenticated user of this request (after `auth_required`), for the views.
token_user = LocalProxy(lambda: g.get(_USER))
