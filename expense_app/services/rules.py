"""Small shared checks used by several services; each records messages in an errors dict."""

from __future__ import annotations

from functools import cache

from babel.numbers import list_currencies

from expense_app.errors import ValidationFailed

Errors = dict[str, list[str]]


@cache
def iso_currencies() -> frozenset[str]:
    """The ISO 4217 codes Babel knows (about 300)."""
    return frozenset(list_currencies())


def add_error(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def clean_text(errors: Errors, field: str, value: str | None, *, max_length: int, required: bool = False) -> str:
    """Return `value` trimmed; record an error when it is required and blank, or too long."""
    text = (value or "").strip()
    if required and not text:
        add_error(errors, field, "This field is required.")
    elif len(text) > max_length:
        add_error(errors, field, f"Must be at most {max_length} characters.")
    return text


def clean_currency(errors: Errors, field: str, value: str | None) -> str:
    """Return the upper-cased ISO 4217 code; record an error when it is unknown."""
    code = (value or "").strip().upper()
    if code not in iso_currencies():
        add_error(errors, field, "Must be an ISO 4217 currency code such as USD or EUR.")
    return code


def raise_if(errors: Errors) -> None:
    """Raise ValidationFailed when any error was recorded."""
    if errors:
        raise ValidationFailed(errors)
