"""URL converters: an `<int:...>` in a route matches ASCII digits only, on both faces.

Werkzeug's own `int` converter matches `\\d+`, which in a Python regex includes `٣`, `²`-like
digits of every script, and then `int()` reads them: `/expenses/٣` showed expense 3. Replacing the
converter for the whole app keeps every route's `<int:id>` as it is written.

Every `<int:...>` in this app names a row, so a number outside the id columns' range (1 ..
`MAX_ID`, PostgreSQL `integer`) is no match either: it names nothing, and left to the database it
failed there (SQLite cannot bind 2**63, PostgreSQL refuses 2**31 for an `integer`).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, ValidationError

from expense_app.services.rules import parse_id


class AsciiIntegerConverter(IntegerConverter):
    """`<int:...>`: ASCII digits of a possible id (1 .. `MAX_ID`); anything else is no match (404)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number


def register_url_converters(app: Flask) -> None:
    """Install the converters before any route is added (a rule binds its converter when added)."""
    app.url_map.converters["int"] = AsciiIntegerConverter
