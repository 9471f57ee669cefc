"""Which reader a statement file needs, decided from its content (never trusting its name).

Binary files (zip, which is also what .xlsx is; gzip; PDF; images; anything with NUL bytes or
mostly control characters) are refused with a message that says what to export instead. Then
each structured format is asked whether the file is one of its own (`looks_like`), JSON goes to
the ihatemoney reader, and anything else is read as CSV.
"""

from __future__ import annotations

import importlib
import json
from types import ModuleType

from expense_app.statements import app_exports, csv_detect, csv_reader
from expense_app.statements.csv_settings import CsvSettings
from expense_app.statements.decoding import bom_encoding, decode
from expense_app.statements.model import ParsedFile, UnreadableFile

BINARY_MESSAGE = "This looks like a binary/zip file; export your statement as CSV, OFX, QIF, MT940 or CAMT."
_MAGIC = (
    b"PK\x03\x04",  # zip, xlsx, ods
    b"PK\x05\x06",  # empty zip
    b"\x1f\x8b",  # gzip
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"\xd0\xcf\x11\xe0",  # old Excel .xls (OLE2)
    b"Rar!",
    b"7z\xbc\xaf",
    b"BZh",
    b"\xfd7zXZ",
)
# Structured formats, asked in this order; XML (CAMT) after OFX because OFX 2 is XML too.
_FORMATS = ("ofx", "camt", "mt940", "qif")
# Share of control characters above which decoded "text" is really binary.
_CONTROL_SHARE = 0.05


def read_statement(
    data: bytes, *, filename: str = "", settings: dict | None = None, max_rows: int = 100_000
) -> ParsedFile:
    """Read `data` in whatever format its content is.

    `settings`: CSV settings (`CsvSettings.as_dict()` shape) or, for QIF, `{"date_order": ...}`;
    None detects everything. Raises UnreadableFile (message for the user) for a binary, empty or
    malformed file, bad settings, or more than `max_rows` transactions. `filename` is only used
    in messages; the content decides the format.
    """
    refuse_binary(data)
    for module in _format_modules():
        if module.looks_like(data):
            return module.read(data, max_rows=max_rows, settings=settings)
    csv_settings = _csv_settings(settings)
    text, encoding = decode(data, csv_settings.encoding if csv_settings else None)
    _refuse_control_characters(text)
    if not text.strip():
        raise UnreadableFile("The file is empty.")
    if _looks_like_json(text):
        return app_exports.read_ihatemoney_json(text, max_rows=max_rows)
    questions = []
    if csv_settings is None:
        csv_settings, questions = csv_detect.detect(text)
    # The encoding the text was read in, so the settings shown and stored say what happened.
    csv_settings.encoding = encoding
    parsed = csv_reader.read(text, csv_settings, max_rows=max_rows)
    parsed.questions = questions
    return parsed


def refuse_binary(data: bytes) -> None:
    """Raise UnreadableFile(BINARY_MESSAGE) for an archive, document, image or other binary."""
    if not data:
        raise UnreadableFile("The file is empty.")
    if data.startswith(_MAGIC):
        raise UnreadableFile(BINARY_MESSAGE)
    # UTF-16/32 text is full of NUL bytes; its mark says so, and the decoded text is checked later.
    if b"\x00" in data and not (bom_encoding(data) or "").startswith(("utf-16", "utf-32")):
        raise UnreadableFile(BINARY_MESSAGE)


def _refuse_control_characters(text: str) -> None:
    sample = text[:100_000]
    controls = sum(1 for char in sample if (char < " " and char not in "\t\n\f\v") or char == "\x7f")
    if "\x00" in sample or controls > len(sample) * _CONTROL_SHARE:
        raise UnreadableFile(BINARY_MESSAGE)


def _format_modules() -> list[ModuleType]:
    """The structured-format readers that are installed; a missing one is skipped, so this works
    before every reader has landed."""
    modules = []
    for name in _FORMATS:
        try:
            modules.append(importlib.import_module(f"expense_app.statements.{name}"))
        except ModuleNotFoundError as error:
            if error.name != f"expense_app.statements.{name}":
                raise
    return modules


def _csv_settings(settings: dict | None) -> CsvSettings | None:
    if settings is None:
        return None
    try:
        return CsvSettings.from_dict(settings)
    except (ValueError, TypeError) as error:
        raise UnreadableFile(f"These CSV settings cannot be used: {error}") from None


def _looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True
