"""How an error becomes a response: JSON under /api, an HTML page in the site layout elsewhere.

`error_response` is the one renderer; `JsonErrorApi` is flask-smorest's Api with its app-wide
HTTPException handler routed through it. The domain errors and the handlers that use this module
live in `expense_app.errors`.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, render_template, request
from flask_smorest import Api
from marshmallow import Schema
from marshmallow import fields as ma_fields
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/"


class ApiErrorSchema(Schema):
    """The body of every API error, whatever raised it (`error_response` writes it).

    The only error model of the OpenAPI document: flask-smorest's default error response uses it too
    (`JsonErrorApi.ERROR_SCHEMA`). `errors` is present for input errors only.
    """

    code = ma_fields.Integer(required=True, metadata={"description": "The HTTP status code.", "example": 422})
    status = ma_fields.String(
        required=True, metadata={"description": "The HTTP status phrase.", "example": "Unprocessable Entity"}
    )
    message = ma_fields.String(
        required=True,
        metadata={
            "description": "What went wrong, for people.",
            "example": "Invalid input: amount: Must be greater than 0.",
        },
    )
    errors = ma_fields.Dict(
        keys=ma_fields.String(),
        values=ma_fields.List(ma_fields.String()),
        metadata={"description": "Field name to its messages; present for input errors only."},
    )


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
    429 loses `Retry-After`). This override routes by path and keeps the headers. Its default error
    response is documented with the same schema as every other error.
    """

    ERROR_SCHEMA = ApiErrorSchema

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
