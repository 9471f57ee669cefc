"""A way back in for a forgotten password: signed reset links, the reset, and the reset mail.

A reset link carries a token signed with `SECRET_KEY` (itsdangerous, salt "password-reset"): the
user id and a fingerprint of the current password hash, valid `PASSWORD_RESET_MINUTES`. Nothing is
stored: the token dies when the password changes (the fingerprint no longer matches), so a link
works once, and any password change, by reset or in Settings, kills every older link.

A reset ends every sign-in of the user (`sign_ins.end_everything`) and clears the account's
failed-attempt counter, so a locked-out owner is let back in (the operator command does the same).

`request_reset` serves the forgotten-password form: it does the same work and says nothing
different whether or not the address has an account, and sends at most `MAILS_PER_ACCOUNT` mails
per account (counted in the rate-limit storage, like `account_throttle`), so the form cannot be
used to flood someone's inbox.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from expense_app.errors import ServiceError, ValidationFailed
from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import account_throttle, mailer, security_log
from expense_app.services.account_counters import AccountCounter
from expense_app.services.accounts import EMAIL_FORMAT, EMAIL_MAX_LENGTH, normalize_email, replace_password
from expense_app.services.rules import has_control_characters

logger = logging.getLogger(__name__)

SALT = "password-reset"
RESET_ENDPOINT = "password_reset.reset_password"
# Where links point when there is neither PUBLIC_URL nor a request (the operator command).
DEFAULT_PUBLIC_URL = "http://localhost:8000"
MAILS_PER_ACCOUNT = "3/hour"

EXPIRED = "This reset link has expired. Ask for a new one: links work for {minutes} minutes."
USED = "This reset link was already used, or the password changed since it was sent. Ask for a new one."
INVALID = "This reset link is not valid. Copy the whole link from the mail, or ask for a new one."


class ResetLinkInvalid(ServiceError):
    """A reset token that is tampered with (400), or expired or already used (410: gone)."""

    def __init__(self, message: str, status_code: int):
        super().__init__(message)
        self.status_code = status_code


def minutes_valid() -> int:
    return current_app.config["PASSWORD_RESET_MINUTES"]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    # A slice of a hash of the hash: enough to notice a change, useless to guess the password.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[-16:]


def make_token(user: User) -> str:
    """A reset token for `user`'s current password, valid `PASSWORD_RESET_MINUTES`."""
    return _serializer().dumps({"user": user.id, "password": _fingerprint(user)})


def reset_link(user: User) -> str:
    """The absolute URL of a new reset link for `user`.

    Built on `PUBLIC_URL` when it is set (always set it where mail goes out: the request's Host
    header is the client's to choose); else on the request's host, or `DEFAULT_PUBLIC_URL` in a
    command run without a request.
    """
    token = make_token(user)
    base = current_app.config.get("PUBLIC_URL")
    if not base and has_request_context():
        return url_for(RESET_ENDPOINT, token=token, _external=True)
    parts = urlsplit((base or DEFAULT_PUBLIC_URL).rstrip("/"))
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https")
    return adapter.build(RESET_ENDPOINT, {"token": token}, force_external=True)


def user_for_token(token: str) -> User:
    """The user a live reset token names; ResetLinkInvalid when it is expired, used or tampered with."""
    minutes = minutes_valid()
    try:
        claims = _serializer().loads(token if isinstance(token, str) else "", max_age=minutes * 60)
    except SignatureExpired:
        raise ResetLinkInvalid(EXPIRED.format(minutes=minutes), 410) from None
    except BadSignature:
        raise ResetLinkInvalid(INVALID, 400) from None
    user_id = claims.get("user") if isinstance(claims, dict) else None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or claims.get("password") != _fingerprint(user):
        raise ResetLinkInvalid(USED, 410)
    return user


def _apply_new_password(user: User, new_password: str, *, how: str) -> User:
    """Set the password (after the password rule) and end every sign-in; log the reset."""
    replace_password(user=user, new_password=new_password, event="password_reset", how=how)
    account_throttle.clear(user.email)
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token: every session and token of the user ends, the link
    dies with the old password, the account's failed-attempt counter is cleared."""
    return _apply_new_password(user_for_token(token), new_password, how="link")


def set_password(user: User, new_password: str) -> User:
    """The operator's reset (`flask reset-password --set`): the same as a reset by link."""
    return _apply_new_password(user, new_password, how="operator")


def unlock(user: User) -> None:
    """Forget the account's failed sign-in attempts (the operator lets a locked-out user back in)."""
    account_throttle.clear(user.email)


def find_user(email: str) -> User | None:
    """The account of `email` (normalised), or None (also for text no address can be)."""
    email = normalize_email(email)
    if len(email) > EMAIL_MAX_LENGTH or has_control_characters(email):
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


# --- the forgotten-password form -------------------------------------------------------------------


def _mail_budget() -> AccountCounter:
    """How many reset mails one account may still get (see `account_counters`)."""
    return AccountCounter.of_app("password-reset-mails", MAILS_PER_ACCOUNT)


def request_reset(email: str) -> None:
    """Mail a reset link to `email` when it has an active account with mail left; else do nothing.

    Returns nothing and raises nothing for a well-formed address either way (ValidationFailed for
    one no account can have: too long, control characters). On this thread both
    paths do the same work (one query, one count in the mail budget, one log line); whatever
    depends on the account (the token, the mail, the log row) runs on a background thread, so
    neither the answer nor its time tells whether the account exists.
    """
    email = normalize_email(email)
    if len(email) > EMAIL_MAX_LENGTH or has_control_characters(email):
        # No account can have it (and PostgreSQL refuses a NUL): refused as the sign-in form does.
        raise ValidationFailed({"email": [EMAIL_FORMAT]})
    user_id = db.session.scalar(sa.select(User.id).where(User.email == email, User.is_active.is_(True)))
    # Counted for every address, with or without an account.
    allowed = _mail_budget().take(email)
    logger.info("password reset requested")
    if user_id is not None:
        mailer.in_background(lambda: _mail_link(user_id, allowed=allowed), purpose="password_reset")


def _mail_link(user_id: int, *, allowed: bool) -> None:
    """Send the reset mail (on the background thread) and log the request in the account's log."""
    user = db.session.get(User, user_id)
    if not allowed:
        security_log.record(user.id, "password_reset_requested", mailed=False, reason="mail limit")
        return
    context = {"user": user, "link": reset_link(user), "minutes": minutes_valid()}
    mailer.send(
        to=user.email,
        subject="Reset your Expense Manager password",
        text=render_template("email/password_reset.txt", **context),
        html=render_template("email/password_reset.html", **context),
    )
    security_log.record(user.id, "password_reset_requested", mailed=True)
