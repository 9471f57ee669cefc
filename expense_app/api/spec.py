"""What the OpenAPI document says beyond what each route declares, so generated clients are good.

One apispec plugin, added to flask-smorest's Api in `expense_app.api.register_api`, applies the API's
cross-cutting rules to every operation and schema, including routes added later:

- **required**: a dump-only field is always in the response (marshmallow writes every dump field of
  the object; a null value is written as null), so it is listed in its schema's `required`. Nullable
  fields stay required and are marked `nullable`. Request schemas are untouched: their fields are
  not dump-only. A typed client therefore gets `str`/`int` fields, not `str | Unset`.
- **enum member names**: a string enum with a value that is not an identifier (`-date`) gets
  `x-enum-varnames` (`DATE_DESC`), which openapi-python-client uses instead of `VALUE_0`.
- **429**: every operation is rate limited (`expense_app.ops.rate_limits`), so every operation
  documents the 429 with `Retry-After` and the `X-RateLimit-*` headers.
- **Idempotency-Key**: every POST of an authenticated route takes the optional header
  (`expense_app.api.idempotency`) and documents its 409 (same key still in progress) and 422
  (key reused with another body); the credential endpoints ignore it and do not declare it.
- **If-None-Match**: an operation that documents a 304 (`expense_app.api.conditional`) takes the
  optional header.
- **403 read-only token**: every protected operation that is not a GET may answer 403 to a
  personal access token without the `write` scope (`expense_app.api.authentication`), so each
  documents it.
"""

from __future__ import annotations

import re

from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance

from expense_app.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from expense_app.api.idempotency import MAX_KEY_LENGTH, applies_to_path

RATE_LIMITED = "RATE_LIMITED"
IDEMPOTENCY_PARAMETER = "IDEMPOTENCY_KEY"
IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_IN_PROGRESS"
IDEMPOTENCY_MISMATCH = "IDEMPOTENCY_KEY_REUSED"
READ_ONLY_TOKEN = "READ_ONLY_TOKEN"  # noqa: S105 (a component name)
READ_METHODS = frozenset({"get", "head", "options"})
ERROR_REF = {"$ref": "#/components/schemas/ApiError"}

RATE_LIMIT_HEADERS = {
    "Retry-After": {
        "description": "Seconds to wait before the next attempt; at least 1.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
    "X-RateLimit-Limit": {"description": "Requests allowed in the window.", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the window (0 here).", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "When the window resets (Unix time).", "schema": {"type": "integer"}},
}


def _error_response(description: str, code: int, status: str, message: str, headers: dict | None = None) -> dict:
    response = {
        "description": description,
        "content": {
            "application/json": {
                "schema": ERROR_REF,
                "example": {"code": code, "status": status, "message": message},
            }
        },
    }
    if headers:
        response["headers"] = headers
    return response


COMPONENT_RESPONSES = {
    RATE_LIMITED: _error_response(
        "Too many requests: wait `Retry-After` seconds. Sign-in (register, log in, refresh) has its own "
        "budget per client address; every other operation counts against your API budget.",
        429,
        "Too Many Requests",
        "Too many requests; retry after the number of seconds in Retry-After.",
        RATE_LIMIT_HEADERS,
    ),
    READ_ONLY_TOKEN: _error_response(
        "Forbidden: a personal access token with only the `read` scope may send GET requests only.",
        403,
        "Forbidden",
        "This access token is read-only: it has no 'write' scope.",
    ),
    IDEMPOTENCY_CONFLICT: _error_response(
        "A request with this `Idempotency-Key` is still being handled; retry shortly.",
        409,
        "Conflict",
        "A request with this Idempotency-Key is still in progress; retry shortly.",
    ),
}
IDEMPOTENCY_PARAMETER_SPEC = {
    "in": "header",
    "name": IDEMPOTENCY_HEADER,
    "required": False,
    "description": "Any unique string (a UUID) per logical request. A retry with the same key and body "
    "within 24 hours returns the first response (status, body, `Location`) without doing the work "
    "again; the same key with another body or path is 422; while the first is in progress, 409. "
    "Server errors (5xx) are not stored, so a failed request can be retried with its key. Register, "
    "log in and refresh do not take it: their answers are new credentials, which are never stored.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": r"^[\x21-\x7e]+$"},
}
MISMATCH_DESCRIPTION = "The `Idempotency-Key` was already used with another body or path."


def enum_varnames(values: list) -> list[str] | None:
    """Readable member names (`-date` -> `DATE_DESC`) when some string value is not an identifier."""
    strings = [value for value in values if value is not None]
    if not strings or not all(isinstance(value, str) for value in strings):
        return None
    if all(value[:1].isalpha() and re.fullmatch(r"\w+", value) for value in strings):
        return None  # openapi-python-client names these after the value already
    names = []
    for value in strings:
        descending = value.startswith("-")
        name = re.sub(r"\W+", "_", value.lstrip("-+")).strip("_").upper() or "EMPTY"
        names.append(f"{name}_DESC" if descending else name)
    return names if len(set(names)) == len(names) else None


def enum_attributes(self, field, ret, **kwargs) -> dict:
    """marshmallow field attribute function: add `x-enum-varnames` to an enum that needs them."""
    names = enum_varnames(ret.get("enum") or [])
    return {"x-enum-varnames": names} if names else {}


IF_NONE_MATCH_SPEC = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The `ETag` of an earlier answer (or several, comma-separated; weak tags match too): "
    "while it is still current the answer is `304 Not Modified` without a body.",
    "schema": {"type": "string"},
}


class ClientFriendlySpec(BasePlugin):
    """The apispec plugin described in the module docstring."""

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self.spec = spec
        for name, response in COMPONENT_RESPONSES.items():
            spec.components.response(name, response)
        spec.components.parameter(IDEMPOTENCY_PARAMETER, "header", IDEMPOTENCY_PARAMETER_SPEC)

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        if schema is None:
            return None
        instance = resolve_schema_instance(schema)
        always = [field.data_key or key for key, field in instance.fields.items() if field.dump_only]
        if always:
            definition["required"] = sorted({*definition.get("required", []), *always})
        return None

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            # Status codes are ints or strings at this point (smorest uses ints, apispec strings).
            for code in [code for code in responses if str(code) == "429"]:
                del responses[code]
            responses["429"] = RATE_LIMITED  # one definition, with its headers
            if "304" in {str(code) for code in responses}:
                operation.setdefault("parameters", []).append(dict(IF_NONE_MATCH_SPEC))
            writes = method.lower() not in READ_METHODS
            if operation.get("security") and writes and "403" not in {str(code) for code in responses}:
                responses["403"] = READ_ONLY_TOKEN
            if method.lower() == "post" and applies_to_path(path):
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                declared = {str(code) for code in responses}
                if "409" not in declared:
                    responses["409"] = IDEMPOTENCY_CONFLICT
                if "422" not in declared:  # a POST without a body declares no 422; a reused key is one
                    responses["422"] = _error_response(
                        MISMATCH_DESCRIPTION,
                        422,
                        "Unprocessable Entity",
                        "This Idempotency-Key was already used with a different request.",
                    )


def servers(app) -> list[dict]:
    """The `servers` entry: API_SERVER_URL when set (the public origin), else the relative root."""
    url = app.config.get("API_SERVER_URL") or "/"
    return [{"url": url, "description": app.config.get("API_SERVER_DESCRIPTION") or "This server"}]
