"""The second step of a two-factor sign-in: a short-lived, single-use challenge.

After a correct password, a user with 2FA gets a challenge token instead of a session or tokens
(`sign_in`): the API's `mfa_token`, the login page's second step (kept in the session). Only
`sign_ins.digest(token)` is stored. `complete` exchanges it plus a code or a recovery code for the
user, once: the challenge is claimed by an atomic UPDATE in the same unit of work that spends the
code, and dies after `MAX_ATTEMPTS` wrong codes or `MFA_CHALLENGE_MINUTES`. Every wrong code also
counts against the per-account limit (`account_throttle`), which is checked first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from expense_app.errors import AuthError, ValidationFailed
from expense_app.extensions import db
from expense_app.models import MFA_PURPOSES, MfaChallenge, User
from expense_app.models.base import utcnow
from expense_app.services import account_throttle, accounts, mfa, recovery_codes, security_log
from expense_app.services.sign_ins import digest
from expense_app.services.unit_of_work import transaction

MAX_ATTEMPTS = 5
EXPIRED = "This sign-in has expired or was already completed; log in again with your password."
WRONG_RECOVERY_CODE = "That recovery code is not valid or was already used."
BOTH_GIVEN = "Enter either a code from your authenticator app or a recovery code, not both."


@dataclass(frozen=True)
class Completed:
    """A finished second step: who signed in, how, whether to remember the browser."""

    user: User
    method: str  # "totp" or "recovery"
    remember: bool
    recovery_codes_left: int | None = None


def begin(*, user: User, purpose: str, remember: bool = False) -> str:
    """Open a challenge for `user` (purpose "api" or "web"); return its token (shown once)."""
    if purpose not in MFA_PURPOSES:
        raise ValueError(f"unknown challenge purpose {purpose!r}")
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(minutes=current_app.config["MFA_CHALLENGE_MINUTES"])
    with transaction() as session:
        session.add(
            MfaChallenge(
                user_id=user.id, token_hash=digest(token), purpose=purpose, remember=remember, expires_at=expires_at
            )
        )
    return token


def sign_in(*, email: str, password: str, purpose: str, remember: bool = False) -> tuple[str, User | str]:
    """Check the password: ("done", user) without 2FA, ("mfa", challenge token) with it.

    Raises what `accounts.authenticate` raises (AuthError, ValidationFailed, TooManyAttempts).
    """
    user = accounts.authenticate(email=email, password=password)
    if user.mfa_enabled:
        return "mfa", begin(user=user, purpose=purpose, remember=remember)
    return "done", user


def _live(token: str | None, purpose: str) -> MfaChallenge:
    if not isinstance(token, str) or not token or len(token) > 200:
        raise AuthError(EXPIRED)
    challenge = db.session.scalar(
        sa.select(MfaChallenge).where(MfaChallenge.token_hash == digest(token), MfaChallenge.purpose == purpose)
    )
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= utcnow():
        raise AuthError(EXPIRED)
    return challenge


def pending_user(*, token: str | None, purpose: str) -> User:
    """The user a live challenge belongs to; AuthError when it is unknown, used or expired."""
    return db.session.get(User, _live(token, purpose).user_id)


def _claim(challenge: MfaChallenge) -> None:
    with transaction() as session:
        claimed = session.execute(
            sa.update(MfaChallenge)
            .where(MfaChallenge.id == challenge.id, MfaChallenge.used_at.is_(None), MfaChallenge.expires_at > utcnow())
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise AuthError(EXPIRED)


def _count_wrong(challenge: MfaChallenge, user: User, factor: str) -> None:
    """One more wrong code: against the challenge (it dies at MAX_ATTEMPTS) and the account."""
    with transaction() as session:
        session.execute(
            sa.update(MfaChallenge)
            .where(MfaChallenge.id == challenge.id)
            .values(
                attempts=MfaChallenge.attempts + 1,
                used_at=sa.case((MfaChallenge.attempts + 1 >= MAX_ATTEMPTS, utcnow()), else_=MfaChallenge.used_at),
            )
            .execution_options(synchronize_session=False)
        )
        security_log.record(user.id, "mfa_failed", factor=factor)
    account_throttle.record_failure(user.email)


def complete(
    *,
    token: str | None,
    purpose: str,
    code: str | None = None,
    recovery_code: str | None = None,
    for_time: float | None = None,
) -> Completed:
    """Finish the sign-in of challenge `token` with a code or a recovery code; return `Completed`.

    AuthError when the challenge is unknown, expired or used (EXPIRED) or the code is wrong;
    ValidationFailed when neither or both factors are given, or one is malformed;
    TooManyAttempts when the account has no attempts left.
    """
    challenge = _live(token, purpose)
    user = db.session.get(User, challenge.user_id)
    account_throttle.check(user.email)
    if bool(code) == bool(recovery_code):
        field = "code" if not recovery_code else "recovery_code"
        raise ValidationFailed({field: [BOTH_GIVEN if code else mfa.NEED_ONE_FACTOR]})
    left = None
    try:
        with transaction():
            if code:
                mfa.verify_code(user=user, code=code, for_time=for_time)
            else:
                left = recovery_codes.use(user=user, code=recovery_code, face=purpose)
                if left is None:
                    raise mfa.WrongFactor(WRONG_RECOVERY_CODE)
            # In the unit of work that spent the code: a challenge claimed by a concurrent
            # request rolls the code back too.
            _claim(challenge)
    except mfa.WrongFactor:
        _count_wrong(challenge, user, "code" if code else "recovery_code")
        raise
    account_throttle.clear(user.email)
    return Completed(
        user=user, method="totp" if code else "recovery", remember=challenge.remember, recovery_codes_left=left
    )
