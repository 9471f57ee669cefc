"""Shared OpenAPI fragments: the bearer scheme and the documented error responses.

The 429 is not declared here: every operation is rate limited, so `expense_app.api.spec` documents
it (with `Retry-After` and the rate-limit headers) on all of them; a 429 passed here is skipped.
"""

from http import HTTPStatus

from flask_smorest import Blueprint

from expense_app.api.schemas import ApiErrorSchema

BEARER = [{"bearerAuth": []}]
PUBLIC: list = []


def protected(blp: Blueprint, *codes: int):
    """Decorator: declare the bearer scheme and the 401 (plus `codes`) error responses."""

    def decorate(func):
        func = blp.doc(security=BEARER)(func)
        for code in _declared(401, *codes):
            func = blp.alt_response(code, schema=ApiErrorSchema, **ERROR_RESPONSES[code])(func)
        return func

    return decorate


def errors(blp: Blueprint, *codes: int):
    """Decorator: document error responses for a public operation."""

    def decorate(func):
        func = blp.doc(security=PUBLIC)(func)
        for code in _declared(*codes):
            func = blp.alt_response(code, schema=ApiErrorSchema, **ERROR_RESPONSES[code])(func)
        return func

    return decorate


def _declared(*codes: int) -> list[int]:
    return [code for code in codes if code in ERROR_RESPONSES]


def _error(description: str, code: int, message: str, with_fields: bool = False) -> dict:
    example = {"code": code, "status": HTTPStatus(code).phrase, "message": message}
    if with_fields:
        example["errors"] = {"amount": ["Must be greater than 0."]}
    return {"description": description, "example": example}


ERROR_RESPONSES = {
    400: _error("Malformed request.", 400, "The request body is not valid JSON."),
    401: _error("Missing, invalid, expired or revoked token.", 401, "The token has expired."),
    403: _error(
        "Not allowed with this credential (e.g. a personal access token without the scope).",
        403,
        "A personal access token cannot create tokens: log in with your password.",
    ),
    404: _error("Not found, or not yours.", 404, "Expense not found."),
    409: _error("Conflicts with existing data.", 409, "An account with this email already exists."),
    422: _error(
        "Invalid input; `errors` maps each field to its messages.",
        422,
        "Invalid input: amount: Must be greater than 0.",
        True,
    ),
}
