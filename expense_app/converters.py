"""URL converters: an `<int:...>` in a route matches ASCII digits only, on both faces.

Werkzeug's own `int` converter matches `\\d+`, which in a Python regex includes `٣`, `²`-like
digits of every script, and then `int()` reads them: `/expenses/٣` showed expense 3. Replacing the
converter for the whole app keeps every route's `<int:id>` as it is written.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, ValidationError

from expense_app.services.rules import MAX_NUMBER_LENGTH, parse_int


class AsciiIntegerConverter(IntegerConverter):
    """`<int:...>`: ASCII digits only; longer than any id (`MAX_NUMBER_LENGTH`) is no match (404)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        if len(value) > MAX_NUMBER_LENGTH:
            raise ValidationError()
        number = parse_int(value)
        if number is None:
            raise ValidationError()
        return super().to_python(value)


def register_url_converters(app: Flask) -> None:
    """Install the converters before any route is added (a rule binds its converter when added)."""
    app.url_map.converters["int"] = AsciiIntegerConverter
