"""Personal access tokens: long-lived, scoped API credentials for scripts (issue 16).

A token is `em_pat_` followed by 32 random bytes, url-safe; it is shown once, at creation. Only its
SHA-256 is stored (`PersonalAccessToken.token_hash`), so a copy of the database holds no usable
token. `user_for_token` finds the token and its user with one query.

Scopes: `read` allows GET and HEAD; `write` allows everything else too (see
`expense_app.api.authentication.required_scope`). `write` implies `read`, and both are stored, so
the scope check is a plain membership test.

A token ends when it is revoked (`revoke_token`), when it expires, when the password changes or is
reset (`sign_ins.end_everything`) and when the account is deleted (its rows go with it).
"""

from __future__ import annotations

import datetime as dt
import secrets
from datetime import timedelta

import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import PersonalAccessToken, User
from expense_app.models.base import utcnow
from expense_app.passwords import verify_password
from expense_app.services import account_throttle, security_log
from expense_app.services.data_versions import loading_data_version
from expense_app.services.rules import (
    Errors,
    add_error,
    clean_text,
    is_storable_id,
    parse_date,
    parse_int,
    raise_if,
)
from expense_app.services.sign_ins import digest
from expense_app.services.unit_of_work import transaction

PREFIX = "em_pat_"
SCOPES = ("read", "write")
# What a scope brings with it: a token that may write may also read.
IMPLIED_SCOPES = {"read": ("read",), "write": ("read", "write")}
NAME_MAX_LENGTH = 100
MAX_LIFETIME_DAYS = 366
# Enough for every script a person runs; a bound so a stolen session cannot mint thousands.
MAX_LIVE_TOKENS = 50
# Revoked and expired tokens stay on the list this long, so "why did my script stop?" has an answer.
RECENTLY_ENDED = timedelta(days=30)
# `last_used_at` is written at most this often per token, so a busy script is not a write per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
RANDOM_BYTES = 32


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
        .options(loading_data_version())
    ).first()
    if row is None:
        return None
    user, access_token = row
    if not user.is_active:
        return None
    if access_token.last_used_at is None or now - access_token.last_used_at >= LAST_USED_RESOLUTION:
        _touch(access_token, now)
    return user, access_token


def _touch(access_token: PersonalAccessToken, now: dt.datetime) -> None:
    """Write `last_used_at`, keeping the user and token just read loaded.

    A commit expires every loaded object, so the request would read its user again at the first
    attribute; both rows were read a moment ago by this very lookup, so they are kept as they are
    and the throttled write costs the request one UPDATE, nothing more.
    """
    session = db.session()
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        with transaction():
            access_token.last_used_at = now
    finally:
        session.expire_on_commit = expire_on_commit


def is_live(access_token: PersonalAccessToken, *, now: dt.datetime | None = None) -> bool:
    """True when the token still authenticates: not revoked and not expired."""
    now = now or utcnow()
    return access_token.revoked_at is None and (access_token.expires_at is None or access_token.expires_at > now)


def _live(user_id: int, now: dt.datetime):
    return sa.and_(
        PersonalAccessToken.user_id == user_id,
        PersonalAccessToken.revoked_at.is_(None),
        sa.or_(PersonalAccessToken.expires_at.is_(None), PersonalAccessToken.expires_at > now),
    )


def clean_scopes(errors: Errors, field: str, value) -> list[str]:
    """The sorted scopes a list of scope names grants (`write` brings `read`); errors when not a
    non-empty list of known scope names."""
    allowed = ", ".join(SCOPES)
    if not isinstance(value, list | tuple) or not value:
        add_error(errors, field, f"Choose at least one scope: {allowed}.")
        return []
    unknown = [name for name in value if name not in SCOPES]
    if unknown:
        shown = ", ".join(repr(name) if isinstance(name, str) else "a non-text value" for name in unknown[:3])
        add_error(errors, field, f"Unknown scope {shown}: use {allowed}.")
        return []
    return sorted({implied for name in value for implied in IMPLIED_SCOPES[name]})


def _clean_expiry(errors: Errors, expires_at, expires_in_days, now: dt.datetime) -> dt.datetime | None:
    """When the token should expire (UTC), or None for never.

    `expires_at` is a datetime, or a date meaning "valid through that day (UTC)"; `expires_in_days`
    counts whole days from now. At most one of them, at most MAX_LIFETIME_DAYS away, in the future.
    """
    latest = now + timedelta(days=MAX_LIFETIME_DAYS)
    if expires_at is not None and expires_in_days is not None:
        add_error(errors, "expires_at", "Give an expiry date or a number of days, not both.")
        return None
    if expires_in_days is not None:
        days = expires_in_days if isinstance(expires_in_days, int) and not isinstance(expires_in_days, bool) else None
        if days is None and isinstance(expires_in_days, str):
            days = parse_int(expires_in_days)
        if days is None or not 1 <= days <= MAX_LIFETIME_DAYS:
            add_error(errors, "expires_in_days", f"Must be a whole number of days from 1 to {MAX_LIFETIME_DAYS}.")
            return None
        return now + timedelta(days=days)
    if isinstance(expires_at, str):  # a form's date field, ISO (YYYY-MM-DD); empty = no expiry
        if not expires_at.strip():
            return None
        parsed = parse_date(expires_at.strip())
        if parsed is None:
            add_error(errors, "expires_at", "Use a date such as 2027-03-31.")
            return None
        expires_at = parsed
    if expires_at is None:
        return None
    if isinstance(expires_at, dt.datetime):
        moment = (expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        last_allowed = latest
    elif isinstance(expires_at, dt.date):
        # Valid through the chosen day: it ends at the next midnight, UTC; the last day allowed is
        # the one MAX_LIFETIME_DAYS from today.
        moment = dt.datetime.combine(expires_at + timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        last_allowed = dt.datetime.combine(latest.date() + timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    else:
        add_error(errors, "expires_at", "Must be a date or a date and time.")
        return None
    if moment <= now:
        add_error(errors, "expires_at", "Must be in the future.")
    elif moment > last_allowed:
        add_error(errors, "expires_at", f"Must be at most {MAX_LIFETIME_DAYS} days from now.")
    else:
        return moment
    return None


def create_token(
    *,
    user: User,
    name,
    scopes,
    expires_at: dt.datetime | dt.date | None = None,
    expires_in_days: int | None = None,
    password: str | None = None,
) -> tuple[PersonalAccessToken, str]:
    """Create a personal access token for `user`; return (its row, the token itself).

    The token is returned here only: just its SHA-256 is stored. ValidationFailed for a bad name,
    scopes or expiry, or when the user already has MAX_LIVE_TOKENS live tokens; Conflict when a
    live token of theirs has the same name. With `password` (a face whose sign-in is not fresh
    asks for it), it is checked first (`confirm_password`).
    """
    if password is not None:
        confirm_password(user=user, password=password)
    now = utcnow()
    errors: Errors = {}
    name = clean_text(errors, "name", name, max_length=NAME_MAX_LENGTH, required=True)
    granted = clean_scopes(errors, "scopes", scopes)
    expiry = _clean_expiry(errors, expires_at, expires_in_days, now)
    raise_if(errors)
    token = PREFIX + secrets.token_urlsafe(RANDOM_BYTES)
    with transaction() as session:
        # Serialises two creations by one user, so the name and count checks hold.
        session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
        live = session.execute(sa.select(PersonalAccessToken.name).where(_live(user.id, now))).scalars().all()
        if name.casefold() in {existing.casefold() for existing in live}:
            message = f"You already have a token named {name!r}: choose another name or revoke that one."
            raise Conflict(message, {"name": [message]})
        if len(live) >= MAX_LIVE_TOKENS:
            raise ValidationFailed(
                {"name": [f"You have {MAX_LIVE_TOKENS} live tokens, the most allowed: revoke one first."]}
            )
        row = PersonalAccessToken(
            user_id=user.id, name=name, token_hash=digest(token), scopes=granted, created_at=now, expires_at=expiry
        )
        session.add(row)
        session.flush()
        security_log.record(user.id, "token_created", token_id=row.id, name=name, scopes=granted)
    return row, token


def confirm_password(*, user: User, password: str) -> None:
    """Check the password a signed-in user typed again to prove it is them (a fresh login).

    TooManyAttempts while the account is locked (the per-account limit counts the failures of
    sign-ins and of these checks together); ValidationFailed on the `password` field when it is
    empty or wrong (a wrong one counts as a failed attempt).
    """
    account_throttle.check(user.email)
    if not isinstance(password, str) or not password:
        raise ValidationFailed({"password": ["Enter your current password to confirm it is you."]})
    if not verify_password(user.password_hash, password):
        account_throttle.record_failure(user.email)
        raise ValidationFailed({"password": ["The password is not correct."]})


def list_tokens(*, user: User) -> list[PersonalAccessToken]:
    """The user's live tokens and those revoked or expired in the last RECENTLY_ENDED, newest first."""
    since = utcnow() - RECENTLY_ENDED
    return list(
        db.session.scalars(
            sa.select(PersonalAccessToken)
            .where(
                PersonalAccessToken.user_id == user.id,
                sa.or_(PersonalAccessToken.revoked_at.is_(None), PersonalAccessToken.revoked_at > since),
                sa.or_(PersonalAccessToken.expires_at.is_(None), PersonalAccessToken.expires_at > since),
            )
            .order_by(PersonalAccessToken.created_at.desc(), PersonalAccessToken.id.desc())
        )
    )


def revoke_token(*, user: User, token_id: int) -> PersonalAccessToken:
    """Revoke one of the user's tokens (it stops working at once) and return it.

    NotFound when it is not theirs (or the id could not be one). Revoking a token that has
    already ended changes nothing.
    """
    if not is_storable_id(token_id):
        raise NotFound("Access token not found.")
    with transaction() as session:
        row = session.scalar(
            sa.select(PersonalAccessToken).where(
                PersonalAccessToken.id == token_id, PersonalAccessToken.user_id == user.id
            )
        )
        if row is None:
            raise NotFound("Access token not found.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            security_log.record(user.id, "token_revoked", token_id=row.id, name=row.name, scopes=list(row.scopes))
    return row
