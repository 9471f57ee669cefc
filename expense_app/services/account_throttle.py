"""The per-account limit on failed sign-ins, whatever address they come from (issue 16).

Credential stuffing spreads guesses over many addresses, so the per-address sign-in budget
(`expense_app.ops.rate_limits`) cannot stop it. This one counts failed password (and second-factor)
checks per account: `ACCOUNT_LOCKOUT` (10 per 15 minutes by default) in a moving window. Once it is
spent, every check of that account is refused with `TooManyAttempts` (429) until the oldest
failure leaves the window, even with the right password, so guessing stops paying.

The key is a hash of the normalised email, never the user id: an email with no account is counted
and refused in exactly the same way, so the limit does not tell who has an account. Password
checks behind a session (password change, account deletion, disabling 2FA) use the same key, so
they share the account's budget.

Counters live in the rate-limit storage (`RATELIMIT_STORAGE_URI`, Redis in production), so every
worker and instance sees the same count. When that storage fails, a per-process memory counter
takes over (logged), as the limiter's own fallback does; the limit then holds per worker.
"""

from __future__ import annotations

import logging
import math

from flask import current_app

from expense_app.errors import TooManyAttempts
from expense_app.services.account_counters import AccountCounter

logger = logging.getLogger(__name__)

LOCKED_MESSAGE = (
    "Too many failed sign-in attempts for this account. Wait {minutes} and try again, or reset your password."
)


def _failures() -> AccountCounter | None:
    config = current_app.config
    if not config.get("ACCOUNT_LOCKOUT_ENABLED", True):
        return None
    return AccountCounter.of_app("account-failures", config["ACCOUNT_LOCKOUT"])


def _wait_words(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def check(email: str) -> None:
    """Raise TooManyAttempts when the account has no failed attempts left; else return."""
    failures = _failures()
    if failures is None or failures.has_room(email):
        return
    retry_after = failures.seconds_until_room(email)
    raise TooManyAttempts(LOCKED_MESSAGE.format(minutes=_wait_words(retry_after)), retry_after)


def record_failure(email: str) -> None:
    """Count one failed check (wrong password, wrong code) against the account."""
    failures = _failures()
    if failures is not None:
        failures.take(email)


def clear(email: str) -> None:
    """Forget the failures after a complete, successful sign-in or a password reset."""
    failures = _failures()
    if failures is not None:
        failures.clear(email)
