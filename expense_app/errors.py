"""Domain errors raised by services, and the one place that turns any error into a response.

Services raise `ServiceError` subclasses; they know nothing of HTTP. `register_error_handlers`
maps those, HTTP exceptions, database outages and crashes onto one response each: JSON
`{"code", "status", "message", "errors"?}` under `/api`, an HTML page in the site layout elsewhere.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, g, render_template, request
from flask_smorest import Api
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


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


def wants_json() -> bool:
    """True when the current request belongs to the JSON API (including its docs' assets)."""
    return request.path == "/api" or request.path.startswith(API_PREFIX)


def as_messages(value) -> list[str]:
    """One field's errors as a flat list of strings.

    marshmallow nests the errors of list items and sub-objects (`{"0": ["Not a valid string."]}`);
    those become `"0: Not a valid string."`, so every field maps to a list of strings, as documented.
    """
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, item in value.items() for message in as_messages(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in as_messages(item)]
    return [str(value)]


def flatten_webargs_errors(errors: dict) -> dict[str, list[str]]:
    """Drop webargs' location level (`{"json": {"amount": [...]}}` -> `{"amount": [...]}`).

    Schema errors and service errors then have the same shape, so a client handles one format:
    each field maps to a list of messages (see `as_messages`).
    """
    flat: dict[str, list[str]] = {}
    for location, fields in errors.items():
        if isinstance(fields, dict):
            for field, messages in fields.items():
                flat.setdefault(field, []).extend(as_messages(messages))
        else:
            flat.setdefault(location, []).extend(as_messages(fields))
    return flat


def describe_errors(errors: dict[str, list[str]]) -> str:
    """A one-line summary naming each field, e.g. `amount: Must be greater than 0.`."""
    return "Invalid input: " + "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())


def error_response(
    status: int,
    message: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
) -> Response | tuple:
    """Render an error: JSON under /api, the HTML error page elsewhere."""
    phrase = HTTPStatus(status).phrase
    if wants_json():
        body: dict = {"code": status, "status": phrase, "message": message or phrase}
        if errors:
            body["errors"] = errors
        return body, status, headers or {}
    html = render_template("errors/error.html", status=status, phrase=phrase, message=message)
    return html, status, headers or {}


class JsonErrorApi(Api):
    """flask-smorest's Api whose app-wide HTTPException handler honours the HTML side.

    smorest registers one handler for every HTTPException in the app, which would turn the HTML
    pages' 404 and 429 into JSON, and drops the exception's own headers (a 405 loses `Allow`, a
    429 loses `Retry-After`). This override routes by path and keeps the headers.
    """

    def handle_http_exception(self, error: HTTPException):
        headers = dict(error.get_headers())
        headers.pop("Content-Type", None)
        headers.update(getattr(error, "data", {}).get("headers", {}) or {})
        data = getattr(error, "data", {}) or {}
        errors = data.get("messages")
        message = data.get("message")
        if errors is not None:
            errors = flatten_webargs_errors(errors)
            message = message or describe_errors(errors)
        if message is None and error.code not in (404, 500):
            message = error.description
        status = error.code or 500
        if status >= 500:
            message = None  # never leak internals
        return error_response(status, message, errors, headers)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for domain errors, database outages and unexpected crashes."""
    from expense_app.extensions import db, login_manager

    @app.errorhandler(ServiceError)
    def handle_service_error(error: ServiceError):
        db.session.rollback()
        return error_response(error.status_code, error.message, error.errors or None)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def handle_database_down(error: DBAPIError):
        # A lost or refused connection: say "try again", never the driver's message.
        db.session.rollback()
        if isinstance(error, OperationalError) or error.connection_invalidated:
            logger.error("database unavailable: %s", type(error.orig).__name__ if error.orig else "unknown")
            # The page layout asks flask-login for the current user, which would query the database
            # that just failed (and turn this 503 into a crash): show the page as to a visitor.
            g._login_user = login_manager.anonymous_user()
            return error_response(
                503, "The database is unavailable; please try again shortly.", headers={"Retry-After": "5"}
            )
        logger.exception("database error")
        return error_response(500)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # HTTPExceptions never get here: smorest's more specific HTTPException handler wins.
        logger.exception("unhandled error")
        db.session.rollback()
        return error_response(500)
