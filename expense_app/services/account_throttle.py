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

import hashlib
import logging
import math
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from expense_app.errors import TooManyAttempts

logger = logging.getLogger(__name__)

_EXTENSION = "account_throttle"
LOCKED_MESSAGE = (
    "Too many failed sign-in attempts for this account. Wait {minutes} and try again, or reset your password."
)


def _key(email: str) -> str:
    return "account-failures:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


class _Throttle:
    """The limiter of one app: its storage, strategy and limit."""

    def __init__(self, uri: str, limit: str):
        self.limit = parse(limit)
        self.primary = MovingWindowRateLimiter(storage_from_string(uri))
        self.fallback = MovingWindowRateLimiter(MemoryStorage())

    def run(self, method: str, *args):
        try:
            return getattr(self.primary, method)(*args)
        except Exception as error:  # storage unreachable: count in this process instead
            logger.warning("account throttle storage failed (%s); counting in memory", type(error).__name__)
            return getattr(self.fallback, method)(*args)


def _throttle() -> _Throttle | None:
    config = current_app.config
    if not config.get("ACCOUNT_LOCKOUT_ENABLED", True):
        return None
    throttle = current_app.extensions.get(_EXTENSION)
    if throttle is None:
        throttle = _Throttle(config.get("RATELIMIT_STORAGE_URI", "memory://"), config["ACCOUNT_LOCKOUT"])
        current_app.extensions[_EXTENSION] = throttle
    return throttle


def _wait_words(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def check(email: str) -> None:
    """Raise TooManyAttempts when the account has no failed attempts left; else return."""
    throttle = _throttle()
    if throttle is None:
        return
    key = _key(email)
    if throttle.run("test", throttle.limit, key):
        return
    stats = throttle.run("get_window_stats", throttle.limit, key)
    retry_after = max(1, math.ceil(stats.reset_time - time.time()))
    raise TooManyAttempts(LOCKED_MESSAGE.format(minutes=_wait_words(retry_after)), retry_after)


def record_failure(email: str) -> None:
    """Count one failed check (wrong password, wrong code) against the account."""
    throttle = _throttle()
    if throttle is not None:
        throttle.run("hit", throttle.limit, _key(email))


def clear(email: str) -> None:
    """Forget the failures after a complete, successful sign-in or a password reset."""
    throttle = _throttle()
    if throttle is not None:
        throttle.run("clear", throttle.limit, _key(email))
