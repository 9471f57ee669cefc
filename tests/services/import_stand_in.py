"""Helpers of the import service tests: CSV text of a statement, and a tiny stand-in reader.

The stand-in is used only while the real readers (`expense_app.statements.dispatch`, h-csv's
branch) are not in this checkout: it reads the plain CSV `statement()` writes (`Date,Amount,
Description` and optional `Currency`, `Id`, `Category`, `Tags`, `Account` columns) into the same
`ParsedFile` the real reader returns, so the tests below are the same against either.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib
import io
import sys
import types
from decimal import Decimal, InvalidOperation

from expense_app.statements.model import ParsedFile, ParsedRow, UnreadableFile


def statement(rows, *, columns=("Date", "Amount", "Description")) -> bytes:
    """A CSV statement: `rows` are tuples in `columns` order (amounts signed, money out < 0)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def real_readers() -> bool:
    try:
        importlib.import_module("expense_app.statements.dispatch")
    except ImportError:
        return False
    return True


def _read(data: bytes, *, filename: str = "", settings=None, max_rows: int = 100_000) -> ParsedFile:
    if b"\0" in data or data[:2] == b"PK":
        raise UnreadableFile("This is not a text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("Unreadable text.") from None
    records = list(csv.DictReader(io.StringIO(text)))
    if len(records) > max_rows:
        raise UnreadableFile(f"This file has more than {max_rows:,} transactions; split it.")
    rows = []
    for number, record in enumerate(records, start=2):
        error = None
        try:
            day = dt.date.fromisoformat(record.get("Date", ""))
        except ValueError:
            day, error = None, f"Unreadable date `{record.get('Date')}`."
        try:
            amount = Decimal(record.get("Amount", ""))
        except InvalidOperation:
            amount, error = None, error or f"Unreadable amount `{record.get('Amount')}`."
        rows.append(
            ParsedRow(
                line=number,
                raw=dict(record),
                date=day,
                amount=amount,
                currency=record.get("Currency") or None,
                description=record.get("Description", ""),
                external_id=record.get("Id") or None,
                account=record.get("Account") or None,
                category=record.get("Category") or None,
                tags=tuple(name for name in (record.get("Tags") or "").split("|") if name),
                error=error,
            )
        )
    return ParsedFile(format="csv", rows=rows, settings={"delimiter": ",", **(settings or {})})


def _header_signature(data: bytes, settings) -> str | None:
    first = data.decode("utf-8-sig", "replace").splitlines()[:1]
    return hashlib.sha256(first[0].strip().lower().encode()).hexdigest() if first else None


class _CsvSettings:
    def __init__(self, values: dict):
        self.values = values

    @classmethod
    def from_dict(cls, values: dict):
        if values.get("delimiter", ",") not in (",", ";", "\t"):
            raise ValueError("Unknown delimiter.")
        return cls(dict(values))

    def as_dict(self) -> dict:
        return {"delimiter": ",", **self.values}


def install(monkeypatch) -> None:
    """Put the stand-in modules in place when the real readers are absent."""
    if real_readers():
        return
    import expense_app.statements as package

    modules = {
        "dispatch": {"read_statement": _read},
        "csv_detect": {"header_signature": _header_signature},
        "app_exports": {"BUILTIN_PRESETS": {}, "detect_builtin": lambda header: None},
        "csv_settings": {"CsvSettings": _CsvSettings},
    }
    for name, members in modules.items():
        module = types.ModuleType(f"expense_app.statements.{name}")
        module.__dict__.update(members)
        monkeypatch.setitem(sys.modules, module.__name__, module)
        monkeypatch.setattr(package, name, module, raising=False)
