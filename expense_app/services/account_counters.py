"""Counters per account in the rate-limit storage: a moving window keyed by a hash of the email.

Two budgets of issue 16 are counted per account rather than per address: failed sign-ins
(`account_throttle`) and password-reset mails (`password_reset`). Both count an email with no
account exactly like one with an account (the key is the normalised email's SHA-256, never a user
id), and both must be shared by every worker and instance, so they live in the limiter's storage
(`RATELIMIT_STORAGE_URI`, Redis in production). When that storage fails, a per-process memory
counter takes over (logged), as flask-limiter's own fallback does; the budget then holds per worker.
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

logger = logging.getLogger(__name__)


class AccountCounter:
    """One budget per account: `limit` (a rate string such as "10/15 minutes") under `name`."""

    def __init__(self, name: str, limit: str, storage_uri: str):
        self.name = name
        self.limit = parse(limit)
        self.primary = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.fallback = MovingWindowRateLimiter(MemoryStorage())

    @classmethod
    def of_app(cls, name: str, limit: str) -> AccountCounter:
        """The counter `name` of the current app (made once per app, on the app's storage)."""
        counters = current_app.extensions.setdefault("account_counters", {})
        counter = counters.get(name)
        if counter is None or counter.limit != parse(limit):
            storage_uri = current_app.config.get("RATELIMIT_STORAGE_URI", "memory://")
            counter = counters[name] = cls(name, limit, storage_uri)
        return counter

    def _key(self, email: str) -> str:
        return f"{self.name}:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()

    def _run(self, method: str, email: str):
        try:
            return getattr(self.primary, method)(self.limit, self._key(email))
        except Exception as error:  # storage unreachable: count in this process instead
            logger.warning("%s counter storage failed (%s); counting in memory", self.name, type(error).__name__)
            return getattr(self.fallback, method)(self.limit, self._key(email))

    def has_room(self, email: str) -> bool:
        """True while the account's budget is not spent (counts nothing)."""
        return self._run("test", email)

    def take(self, email: str) -> bool:
        """Count one against the account; False when the budget was already spent."""
        return self._run("hit", email)

    def clear(self, email: str) -> None:
        self._run("clear", email)

    def seconds_until_room(self, email: str) -> int:
        """Whole seconds until the oldest counted event leaves the window, at least 1."""
        stats = self._run("get_window_stats", email)
        return max(1, math.ceil(stats.reset_time - time.time()))
