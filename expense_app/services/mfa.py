"""Two-factor sign-in with TOTP (RFC 6238, `pyotp`): enrolment, code checks, disabling.

- Enrolment: `start_enrolment` keeps a new secret (encrypted, `expense_app.crypto`) in
  `totp_pending_secret`; only `confirm_enrolment` with a correct code moves it to `totp_secret`,
  turns 2FA on and creates the recovery codes (`recovery_codes`).
- A code is accepted within one step either side of now (clock drift) and only once: the step it
  matched is stored in `totp_last_step` by a compare-and-swap UPDATE, so a replayed code, or two
  concurrent requests with one code, cannot both pass.
- Disabling 2FA and regenerating the recovery codes need the password and a current code (or, to
  disable, a recovery code: a user who lost the device must be able to turn it off and re-enrol).
  Those checks count against the per-account limit (`account_throttle`).

The sign-in step itself (the challenge between password and code) is `mfa_challenges`.
"""

from __future__ import annotations

import hmac
import time

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from expense_app import crypto
from expense_app.errors import AuthError, Conflict, ValidationFailed
from expense_app.models import User
from expense_app.models.base import utcnow
from expense_app.passwords import verify_password
from expense_app.services import account_throttle, recovery_codes, security_log
from expense_app.services.unit_of_work import transaction

ISSUER = "Expense Manager"
VALID_WINDOW = 1  # steps either side of now
CODE_DIGITS = 6
BAD_SHAPE = "Enter the 6-digit code from your authenticator app."
WRONG_CODE = "That code is not correct; enter the current code from your authenticator app."
USED_CODE = "That code was already used; wait for the next one in your authenticator app."
WRONG_PASSWORD = "The password is not correct."  # noqa: S105 (a message, not a password)
ALREADY_ENABLED = "Two-factor sign-in is already on; turn it off first to enrol a new device."
NOT_ENABLED = "Two-factor sign-in is not on for this account."
NO_ENROLMENT = "Start the set-up again: there is no enrolment waiting for a code."
NEED_ONE_FACTOR = "Enter a code from your authenticator app or a recovery code."


class WrongFactor(AuthError):
    """A well-formed code or recovery code that is not (or no longer) valid."""


def normalise_code(code: str | None) -> str:
    """The code without spaces and dashes; ValidationFailed unless it is six ASCII digits."""
    cleaned = "".join(code.split()).replace("-", "") if isinstance(code, str) else ""
    if len(cleaned) != CODE_DIGITS or not (cleaned.isascii() and cleaned.isdigit()):
        raise ValidationFailed({"code": [BAD_SHAPE]})
    return cleaned


def provisioning_uri(*, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def start_enrolment(*, user: User) -> tuple[str, str]:
    """Create a new secret for `user`, kept pending until confirmed; return (secret, otpauth URI).

    Conflict when 2FA is already on. Starting again replaces a pending secret.
    """
    if user.mfa_enabled:
        raise Conflict(ALREADY_ENABLED)
    secret = pyotp.random_base32()
    with transaction():
        user.totp_pending_secret = crypto.encrypt(secret)
    return secret, provisioning_uri(user=user, secret=secret)


def pending_secret(*, user: User) -> str | None:
    """The secret of the enrolment waiting for its first code, or None."""
    if user.mfa_enabled or not user.totp_pending_secret:
        return None
    try:
        return crypto.decrypt(user.totp_pending_secret)
    except crypto.DecryptionFailed:
        return None


def _matching_step(secret: str, code: str, for_time: float) -> int | None:
    totp = pyotp.TOTP(secret)
    now_step = int(for_time // totp.interval)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        # hmac.compare_digest: the comparison takes the same time whatever the code.
        if hmac.compare_digest(totp.generate_otp(now_step + offset), code):
            return now_step + offset
    return None


def _claim_step(user: User, step: int) -> bool:
    """Store `step` as the last used one unless it (or a later one) was used: True when stored."""
    with transaction() as session:
        stored = session.execute(
            sa.update(User)
            .where(User.id == user.id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount
        if stored == 1:
            # The row holds the step already; set it on the object without marking it changed (a
            # later flush must not write it back over a newer step stored by another request).
            set_committed_value(user, "totp_last_step", step)
    return stored == 1


def _secret(user: User) -> str:
    try:
        return crypto.decrypt(user.totp_secret)
    except crypto.DecryptionFailed:
        # The key changed (SECRET_KEY rotated without ENCRYPTION_KEY): no code can match.
        raise WrongFactor(WRONG_CODE) from None


def verify_code(*, user: User, code: str, for_time: float | None = None) -> None:
    """Accept `code` for `user` once; return None.

    ValidationFailed when it is not six digits; WrongFactor when wrong or already used.
    `for_time` (seconds since the epoch) is "now", for tests.
    """
    code = normalise_code(code)
    if not user.mfa_enabled:
        raise WrongFactor(NOT_ENABLED)
    step = _matching_step(_secret(user), code, time.time() if for_time is None else for_time)
    if step is None:
        raise WrongFactor(WRONG_CODE)
    if not _claim_step(user, step):
        raise WrongFactor(USED_CODE)


def confirm_enrolment(*, user: User, code: str, for_time: float | None = None) -> list[str]:
    """Turn 2FA on with the pending secret once `code` matches it; return the new recovery codes.

    ValidationFailed (field `code`) when the code is malformed or wrong, or nothing is pending;
    Conflict when 2FA is already on.
    """
    if user.mfa_enabled:
        raise Conflict(ALREADY_ENABLED)
    code = normalise_code(code)
    secret = pending_secret(user=user)
    if secret is None:
        raise ValidationFailed({"code": [NO_ENROLMENT]})
    step = _matching_step(secret, code, time.time() if for_time is None else for_time)
    if step is None:
        raise ValidationFailed({"code": [WRONG_CODE]})
    with transaction():
        user.totp_secret = user.totp_pending_secret
        user.totp_pending_secret = None
        user.totp_enabled_at = utcnow()
        # The confirming code is spent: it cannot also be used to sign in.
        user.totp_last_step = step
        codes = recovery_codes.replace_all(user=user)
        security_log.record(user.id, "mfa_enabled")
    return codes


def _check_password_and_factor(
    *, user: User, password: str, code: str | None, recovery_code: str | None, for_time: float | None
) -> None:
    """The checks of disable/regenerate: ValidationFailed naming the field, counted when wrong."""
    if not user.mfa_enabled:
        raise Conflict(NOT_ENABLED)
    account_throttle.check(user.email)
    if not code and not recovery_code:
        raise ValidationFailed({"code": [NEED_ONE_FACTOR]})
    if not verify_password(user.password_hash, password if isinstance(password, str) else ""):
        # Counted, not logged as a second-factor failure: the same as a wrong current password
        # on the password change form.
        account_throttle.record_failure(user.email)
        raise ValidationFailed({"password": [WRONG_PASSWORD]})
    if code:
        try:
            verify_code(user=user, code=code, for_time=for_time)
        except WrongFactor as error:
            _count_failure(user, "code")
            raise ValidationFailed({"code": [error.message]}) from None
    elif recovery_codes.use(user=user, code=recovery_code) is None:
        _count_failure(user, "recovery_code")
        raise ValidationFailed({"recovery_code": ["That recovery code is not valid or was already used."]})


def _count_failure(user: User, factor: str) -> None:
    account_throttle.record_failure(user.email)
    security_log.record(user.id, "mfa_failed", factor=factor)


def disable(
    *, user: User, password: str, code: str | None = None, recovery_code: str | None = None, for_time=None
) -> None:
    """Turn 2FA off (secret and recovery codes deleted) after the password and a code or recovery code."""
    _check_password_and_factor(user=user, password=password, code=code, recovery_code=recovery_code, for_time=for_time)
    with transaction():
        user.totp_secret = None
        user.totp_pending_secret = None
        user.totp_enabled_at = None
        user.totp_last_step = None
        recovery_codes.delete_all(user=user)
        security_log.record(user.id, "mfa_disabled")


def regenerate_recovery_codes(*, user: User, password: str, code: str, for_time=None) -> list[str]:
    """Replace every recovery code after the password and a current code; return the new codes."""
    if not isinstance(code, str) or not code:
        raise ValidationFailed({"code": [BAD_SHAPE]})
    _check_password_and_factor(user=user, password=password, code=code, recovery_code=None, for_time=for_time)
    with transaction():
        codes = recovery_codes.replace_all(user=user)
        security_log.record(user.id, "recovery_codes_regenerated")
    return codes


def status(*, user: User) -> dict:
    """Whether 2FA is on, since when, and how many recovery codes are left."""
    return {
        "enabled": user.mfa_enabled,
        "enabled_at": user.totp_enabled_at,
        "recovery_codes_left": recovery_codes.remaining(user=user) if user.mfa_enabled else 0,
    }
