"""Password hashing: argon2id with the app's `PASSWORD_HASHER` parameters.

The RFC 9106 low-memory profile by default (above the OWASP minimum); hashes made with older
parameters are upgraded at the next login (`password_needs_rehash`). The length rule of a new
password belongs to the accounts service, not here.
"""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

# A hash of a random password, verified against when the email is unknown, so that a login for a
# missing account costs the same time as one with a wrong password (no account enumeration).
_DUMMY_PASSWORD = "not-a-real-password-only-for-equal-timing"  # noqa: S105 (never a real credential)


def _dummy_hash(hasher: PasswordHasher) -> str:
    """The dummy hash for these parameters, computed once per app and parameter set.

    Computed on every call before (`setdefault` evaluates its argument), an unknown email cost a
    hash and a verify, twice a known one's time (issue 16): the audit could tell who has an account.
    """
    cache = current_app.extensions.setdefault("dummy_password_hash", {})
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len)
    if key not in cache:
        cache[key] = hasher.hash(_DUMMY_PASSWORD)
    return cache[key]


def _hasher() -> PasswordHasher:
    params = current_app.config["PASSWORD_HASHER"]
    cache = current_app.extensions.setdefault("password_hasher", {})
    key = tuple(sorted(params.items()))
    if key not in cache:
        cache[key] = PasswordHasher(**params)
    return cache[key]


def hash_password(password: str) -> str:
    """Return an argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches `password_hash`; a missing hash costs the same time."""
    hasher = _hasher()
    if password_hash is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(hasher), password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)
