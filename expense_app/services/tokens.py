"""API tokens: token pairs, refresh-token rotation with replay detection, and revocation.

See `expense_app.models.tokens` for the family model. Rotation is a compare-and-swap on the
family's `current_jti`, so two concurrent refreshes with one token cannot both succeed.

A login's access token is *fresh* for `FRESH_LOGIN_MINUTES` (the `fresh` claim holds until when):
it proves a password (or second factor) was just given, which creating a personal access token
asks for. A refreshed access token is never fresh: a refresh token proves only an older login.
The family records where the login came from and when it was last refreshed (the security page).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from expense_app.errors import AuthError
from expense_app.extensions import db
from expense_app.models import TokenFamily, User
from expense_app.models.base import utcnow
from expense_app.services.data_versions import loading_data_version
from expense_app.services.security_log import client_details
from expense_app.services.unit_of_work import transaction

logger = logging.getLogger(__name__)


def _new_pair(user: User, family_id: str, *, fresh: bool) -> tuple[dict, str]:
    """Return the response body for a new token pair and the refresh token's jti.

    A `fresh` access token stays fresh for FRESH_LOGIN_MINUTES (flask-jwt-extended stores the end
    of that window in the `fresh` claim), however long it lives.
    """
    claims = {"fam": family_id}
    freshness = timedelta(minutes=current_app.config["FRESH_LOGIN_MINUTES"]) if fresh else False
    access = create_access_token(identity=user, additional_claims=claims, fresh=freshness)
    refresh = create_refresh_token(identity=user, additional_claims=claims)
    refresh_jti = decode_token(refresh)["jti"]
    body = {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }
    return body, refresh_jti


def issue_token_pair(*, user: User, fresh: bool = True) -> dict:
    """Start a new token family for `user` and return its first access/refresh pair.

    Called right after the password (and second factor) were checked, so the access token is
    fresh unless the caller says otherwise. The family records the request's client address and
    user agent.
    """
    family_id = str(uuid.uuid4())
    body, refresh_jti = _new_pair(user, family_id, fresh=fresh)
    expires_at = utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    address, agent = client_details()
    with transaction() as session:
        session.add(
            TokenFamily(
                id=family_id,
                user_id=user.id,
                current_jti=refresh_jti,
                expires_at=expires_at,
                client_address=address,
                user_agent=agent,
            )
        )
    return body


def rotate(*, user: User, refresh_payload: dict) -> dict:
    """Exchange a live refresh token for a new pair; the presented one dies.

    A refresh token that is no longer its family's current one is a replay (it was stolen or
    leaked): the whole family is revoked, the new pair included, and AuthError is raised. The new
    access token is not fresh; the family's `last_used_at` is set by the same UPDATE.
    """
    family_id = refresh_payload.get("fam")
    old_jti = refresh_payload["jti"]
    body, new_jti = _new_pair(user, family_id, fresh=False)
    with transaction() as session:
        swapped = session.execute(
            sa.update(TokenFamily)
            .where(
                TokenFamily.id == family_id,
                TokenFamily.user_id == user.id,
                TokenFamily.current_jti == old_jti,
                TokenFamily.revoked_at.is_(None),
            )
            .values(current_jti=new_jti, last_used_at=utcnow())
        ).rowcount
    if swapped != 1:
        revoke_family(family_id=family_id)
        logger.warning("refresh token replayed; family revoked", extra={"user_id": user.id})
        raise AuthError("The refresh token has already been used; please log in again.")
    return body


def revoke_family(*, family_id: str | None) -> None:
    """Revoke every token of a family (logout, or a detected replay)."""
    if family_id:
        with transaction() as session:
            session.execute(
                sa.update(TokenFamily)
                .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        logger.info("token family revoked", extra={"family": family_id})


def revoke_all_for_user(*, user: User) -> None:
    """Mark every family of `user` revoked (inside the caller's unit of work, when there is one)."""
    with transaction() as session:
        session.execute(
            sa.update(TokenFamily)
            .where(TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def active_family_user(family_id: str | None) -> tuple[bool, User | None]:
    """Return (whether the family is active, the family's user) with one query.

    Active means it exists, is not revoked and has not expired. Every protected request checks
    the family and then looks its user up; loading both together saves the second query (the
    caller keeps the user for the lookup). The user is None when the family is unknown.
    """
    if not isinstance(family_id, str):
        return False, None
    row = db.session.execute(
        sa.select(TokenFamily, User)
        .outerjoin(User, User.id == TokenFamily.user_id)
        .where(TokenFamily.id == family_id)
        .options(loading_data_version())
    ).first()
    if row is None:
        return False, None
    family = row.TokenFamily
    return family.revoked_at is None and family.expires_at > utcnow(), row.User


def family_is_active(family_id: str | None) -> bool:
    """True when the family exists, is not revoked and has not expired."""
    return active_family_user(family_id)[0]


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete families whose refresh tokens have expired; return how many were deleted."""
    now = now or utcnow()
    with transaction() as session:
        deleted = session.execute(sa.delete(TokenFamily).where(TokenFamily.expires_at <= now)).rowcount
    return deleted
