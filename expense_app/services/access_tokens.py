"""Personal access tokens: long-lived, scoped API credentials for scripts (issue 16).

A token is `em_pat_` followed by 32 random bytes, url-safe; it is shown once, at creation. Only its
SHA-256 is stored (`PersonalAccessToken.token_hash`), so a copy of the database holds no usable
token. `user_for_token` finds the token and its user with one query.

Scopes: `read` allows GET and HEAD; `write` allows everything else too (see
`expense_app.api.authentication.required_scope`).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import PersonalAccessToken, User
from expense_app.models.base import utcnow
from expense_app.services.sign_ins import digest
from expense_app.services.unit_of_work import transaction

PREFIX = "em_pat_"
SCOPES = ("read", "write")
# `last_used_at` is written at most this often per token, so a busy script is not a write per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def looks_like_token(credential: str) -> bool:
    """True when a bearer credential is a personal access token (not a JWT)."""
    return credential.startswith(PREFIX)


def user_for_token(token: str) -> tuple[User, PersonalAccessToken] | None:
    """The active user and live token for `token`, with one query; None when unknown, revoked or expired."""
    now = utcnow()
    row = db.session.execute(
        sa.select(User, PersonalAccessToken)
        .join(PersonalAccessToken, PersonalAccessToken.user_id == User.id)
        .where(
            PersonalAccessToken.token_hash == digest(token),
            PersonalAccessToken.revoked_at.is_(None),
            sa.or_(PersonalAccessToken.expires_at.is_(None), PersonalAccessToken.expires_at > now),
        )
    ).first()
    if row is None:
        return None
    user, access_token = row
    if not user.is_active:
        return None
    if access_token.last_used_at is None or now - access_token.last_used_at >= LAST_USED_RESOLUTION:
        with transaction():
            access_token.last_used_at = now
    return user, access_token
