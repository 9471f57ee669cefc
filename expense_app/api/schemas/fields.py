"""Field helpers shared by every schema: money in and out, integers from a query. One definition each.

Money is never a float: in a response it is a decimal string with 2 places (`"12.50"`); in a
request a string or a JSON number, read without rounding so `10.005` reaches the service's rule
and is refused there. Digits must be ASCII (`"٣"` is not 3), the input rule of `services.rules`.
"""

from __future__ import annotations

from marshmallow import fields

from expense_app.services.rules import parse_decimal, parse_int

MONEY_METADATA = {"type": "string", "format": "decimal", "example": "12.50"}


class AsciiDecimal(fields.Decimal):
    """`fields.Decimal` that refuses what `rules.parse_decimal` refuses in a string (non-ASCII
    digits, over-long numbers), as the HTML face does."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and parse_decimal(value) is None:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class AsciiInteger(fields.Integer):
    """`fields.Integer` for query strings: ASCII digits only (`int("٣")` is 3 to Python, not to us),
    and no 5,000-digit numbers (refused before `int()`, which has a digit limit of its own)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and parse_int(value) is None:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def money_output(*, allow_none: bool = False, metadata: dict | None = None, **more_metadata) -> fields.Decimal:
    """Money in a response: a decimal string with 2 places, never a float.

    `allow_none` is the field's (documented as `nullable`); the metadata comes as `metadata=` or as
    keywords (`description=`, `example=`).
    """
    return fields.Decimal(
        as_string=True,
        places=2,
        dump_only=True,
        allow_none=allow_none,
        metadata={**MONEY_METADATA, **(metadata or {}), **more_metadata},
    )


def money_input(**kwargs) -> fields.Decimal:
    """An amount in a request: a string (`"12.50"`) or a number; never quantized, so 10.005 reaches the rule."""
    metadata = {
        **MONEY_METADATA,
        "description": 'A decimal string such as "12.50"; a JSON number is accepted too.',
        **kwargs.pop("metadata", {}),
    }
    return AsciiDecimal(metadata=metadata, **kwargs)


UNCONVERTED_DESCRIPTION = (
    "Expenses in this total's scope that have no exchange rate yet; their amounts are not included."
)


def unconverted_count(description: str = UNCONVERTED_DESCRIPTION, example: int = 0) -> fields.Integer:
    """How many expenses a total left out because they wait for an exchange rate (every total is in
    the base currency, and an amount that could not be converted is never added)."""
    return fields.Integer(dump_only=True, metadata={"description": description, "example": example})
