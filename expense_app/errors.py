"""Domain errors raised by services: plain Python, no Flask, no HTTP.

Services raise `ServiceError` subclasses; `status_code` is only a hint for the faces.
`expense_app.error_handlers` turns them (and every other error) into responses.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the domain errors; `status_code` is how the HTTP faces report it."""

    status_code = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class ValidationFailed(ServiceError):
    """Input breaks a business rule; `errors` maps field names to messages."""

    status_code = 422

    def __init__(self, errors: dict[str, list[str]], message: str | None = None):
        if message is None:
            message = "Invalid input: " + "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        super().__init__(message, errors)


class NotFound(ServiceError):
    """The object does not exist, or belongs to someone else (the two are indistinguishable)."""

    status_code = 404


class Conflict(ServiceError):
    """The request clashes with the current state (a duplicate name, a category still in use)."""

    status_code = 409


class AuthError(ServiceError):
    """Credentials or a token were refused."""

    status_code = 401


class TooManyAttempts(ServiceError):
    """Too many failed attempts for one account (issue 16); `retry_after` is in seconds."""

    status_code = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}


class Forbidden(ServiceError):
    """The caller is known but may not do this (a read-only access token asked to write)."""

    status_code = 403
