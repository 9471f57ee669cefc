"""Encryption at rest of short secrets (the TOTP secrets of two-factor sign-in), with Fernet.

The key is `ENCRYPTION_KEY` when set (any string: HKDF-SHA256 stretches it to a Fernet key),
else derived from `SECRET_KEY` with HKDF under its own `info`, so the encryption key is never the
key that signs sessions. Rotation: the new key in `ENCRYPTION_KEY`, the old one in
`ENCRYPTION_KEY_PREVIOUS`; MultiFernet encrypts with the first and decrypts with any. While a
dedicated key is set, the key derived from `SECRET_KEY` still decrypts too, so setting
`ENCRYPTION_KEY` for the first time does not turn anyone's two-factor sign-in off.

Nothing here logs a secret, a key or a ciphertext.
"""

from __future__ import annotations

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

logger = logging.getLogger(__name__)

_EXTENSION = "encryption"
# Distinct HKDF `info`s: the same string never yields the same key for two purposes.
_INFO_DEDICATED = b"expense-manager/encryption-key/v1"
_INFO_FROM_SECRET_KEY = b"expense-manager/encryption-key-from-secret-key/v1"


class DecryptionFailed(Exception):
    """The ciphertext was made with a key this app no longer has (or was altered)."""


def _fernet(material: str, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys(config) -> MultiFernet:
    keys = []
    if config.get("ENCRYPTION_KEY"):
        keys.append(_fernet(config["ENCRYPTION_KEY"], _INFO_DEDICATED))
    if config.get("ENCRYPTION_KEY_PREVIOUS"):
        keys.append(_fernet(config["ENCRYPTION_KEY_PREVIOUS"], _INFO_DEDICATED))
    keys.append(_fernet(config["SECRET_KEY"], _INFO_FROM_SECRET_KEY))
    return MultiFernet(keys)


def _multi() -> MultiFernet:
    config = current_app.config
    # Cached per app, keyed by the settings it was built from (tests change them on one app).
    settings = (config.get("ENCRYPTION_KEY"), config.get("ENCRYPTION_KEY_PREVIOUS"), config["SECRET_KEY"])
    cached = current_app.extensions.get(_EXTENSION)
    if cached is None or cached[0] != settings:
        cached = (settings, _keys(config))
        current_app.extensions[_EXTENSION] = cached
    return cached[1]


def encrypt(plaintext: str) -> str:
    """The Fernet token (ASCII text) of `plaintext`, under the current key."""
    return _multi().encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """The plaintext of `ciphertext`; DecryptionFailed when no configured key opens it."""
    try:
        return _multi().decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        raise DecryptionFailed("the stored secret cannot be decrypted with the configured keys") from None


def warn_without_dedicated_key(app: Flask) -> None:
    """In production without ENCRYPTION_KEY, say once at start what rotating SECRET_KEY would do."""
    if app.config.get("ENV") == "production" and not app.config.get("ENCRYPTION_KEY"):
        logger.warning(
            "ENCRYPTION_KEY is not set: two-factor secrets are encrypted with a key derived from "
            "SECRET_KEY, so rotating SECRET_KEY turns off every user's two-factor sign-in; set ENCRYPTION_KEY"
        )
