"""Personal access tokens: create (shown once), list and revoke the long-lived credentials of scripts.

Creating one needs a *fresh* login: a JWT access token from `POST /auth/login` (or the MFA step)
younger than FRESH_LOGIN_MINUTES. A refreshed access token, an older one, or a personal access
token cannot create tokens, so a leaked refresh token or token cannot mint credentials that
outlive it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask.views import MethodView
from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, current_access_token, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.access_tokens import AccessTokenCreateSchema, AccessTokenSchema, CreatedAccessTokenSchema
from expense_app.errors import AuthError, Forbidden
from expense_app.services import access_tokens

URL_PREFIX = "/tokens"
blp = Blueprint(
    "Access tokens",
    __name__,
    description="Personal access tokens: long-lived, scoped credentials for scripts and integrations "
    "(`Authorization: Bearer em_pat_...`). A `read` token may only send GET requests.",
)

FRESH_LOGIN_REQUIRED = "A fresh login is required: log in again (POST /auth/login), then create the token."
NOT_WITH_AN_ACCESS_TOKEN = "A personal access token cannot create tokens: log in with your password."  # noqa: S105

TOKEN_EXAMPLE = {
    "id": 3,
    "name": "Nightly backup script",
    "scopes": ["read"],
    "created_at": "2026-11-26T09:30:00+00:00",
    "last_used_at": None,
    "expires_at": "2027-02-24T09:30:00+00:00",
    "revoked_at": None,
    "active": True,
}
CREATED_EXAMPLE = {**TOKEN_EXAMPLE, "token": "em_pat_3q2f8Jx0mN4yHkT7bV1cR9wZ6sP5aL2dE8gU0iO4nMk"}


@dataclass(frozen=True)
class CreatedToken:
    """A new token's row and the token itself, for the response (the row's fields read through)."""

    row: object
    token: str

    def __getattr__(self, name):
        return getattr(self.row, name)


def require_fresh_login() -> None:
    """Refuse unless this request carries a JWT access token from a recent login.

    403 for a personal access token; 401 (with `WWW-Authenticate`) for a JWT whose freshness has
    passed or that came from a refresh (flask-jwt-extended keeps in the `fresh` claim until when it
    is fresh, or `false`).
    """
    if current_access_token() is not None:
        raise Forbidden(NOT_WITH_AN_ACCESS_TOKEN)
    fresh = get_jwt().get("fresh")
    if fresh is True:
        return
    if isinstance(fresh, int | float) and not isinstance(fresh, bool) and fresh > datetime.now(UTC).timestamp():
        return
    error = AuthError(FRESH_LOGIN_REQUIRED)
    error.headers = {"WWW-Authenticate": "Bearer"}
    raise error


@blp.route("")
class AccessTokenCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_access_tokens")
    @protected(blp)
    @blp.response(200, AccessTokenSchema(many=True), example=[TOKEN_EXAMPLE])
    def get(self):
        """List my access tokens

        Live tokens, and those revoked or expired in the last 30 days (`active: false`), newest
        first. The token itself is never shown again: only its name, scopes and dates.
        """
        return access_tokens.list_tokens(user=token_user)

    @blp.doc(operationId="create_access_token")
    @protected(blp, 403, 409, 422)
    @blp.arguments(
        AccessTokenCreateSchema, example={"name": "Nightly backup script", "scopes": ["read"], "expires_in_days": 90}
    )
    @blp.response(201, CreatedAccessTokenSchema, example=CREATED_EXAMPLE)
    def post(self, data):
        """Create an access token

        Returns the token **once** (`token`); only its SHA-256 is stored, so copy it now. Send it
        as `Authorization: Bearer em_pat_...`. Scopes: `read` (GET only; any other method is 403)
        or `write` (which includes `read`). Expiry: `expires_at` or `expires_in_days`, at most
        366 days; none = until revoked. Changing or resetting the password revokes every token.

        Needs a **fresh login**: an access token from `POST /auth/login` (or `POST /auth/mfa`)
        less than 15 minutes old (`FRESH_LOGIN_MINUTES`). A refreshed or older access token is
        401 "A fresh login is required"; a personal access token is 403. A name already used by
        one of your live tokens is 409.
        """
        require_fresh_login()
        row, token = access_tokens.create_token(user=token_user, **data)
        return CreatedToken(row, token), 201


@blp.route("/<int:token_id>")
class AccessTokenItem(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="revoke_access_token")
    @protected(blp, 404)
    @blp.response(204)
    def delete(self, token_id):
        """Revoke an access token

        The token stops working at once (401). Another user's token is 404; revoking a token that
        has already ended changes nothing.
        """
        access_tokens.revoke_token(user=token_user, token_id=token_id)
