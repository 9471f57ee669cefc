"""Read a CSV statement with known settings: every data row becomes a `ParsedRow`.

A row that cannot be read is still returned, with `error` saying why in words, so the preview can
list it next to the rows that can. Cells are kept as text exactly as the file has them (`raw`):
nothing is evaluated, and a formula-looking cell (`=1+1`, `@SUM`) is just text.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterator
from decimal import Decimal

from expense_app.statements import app_exports
from expense_app.statements.csv_settings import VOID_STATUS_VALUES, CsvSettings
from expense_app.statements.dates import DateError, parse_date
from expense_app.statements.model import ParsedFile, ParsedRow, UnreadableFile
from expense_app.statements.numbers import AmountError, parse_amount
from expense_app.statements.textutil import check_row_limit

# A bank's cell can be long (the Sparkasse sample has a 961-character purpose), not megabytes.
FIELD_LIMIT = 100_000
_SPACE_RUN = re.compile(r"\s+")
_CURRENCY = re.compile(r"[A-Z]{3}")
# Currency columns that hold a sign rather than a code; `$` is left out (dollars of which country?).
_SYMBOLS = {"€": "EUR", "£": "GBP"}


def records(text: str, settings: CsvSettings) -> Iterator[tuple[int, list[str]]]:
    """`(line, cells)` for every non-blank record after the skipped lines; `line` is 1-based and
    is where the record starts. Raises UnreadableFile when the text is not CSV at all."""
    lines = text.split("\n")
    skip = min(settings.skip_rows, len(lines))
    body = io.StringIO("\n".join(lines[skip:]))
    reader = csv.reader(body, delimiter=settings.delimiter, quotechar=settings.quotechar, strict=False)
    previous_end = 0
    old_limit = csv.field_size_limit(FIELD_LIMIT)
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield skip + start, cells
    except csv.Error as error:
        raise UnreadableFile(f"This file cannot be read as CSV near line {skip + previous_end + 1}: {error}.") from None
    finally:
        csv.field_size_limit(old_limit)


def column_names(header: list[str]) -> list[str]:
    """Unique, non-empty names for a header's cells: a blank one is `column N`, a repeated one
    gets ` (2)`, so `raw` never loses a cell to a clash."""
    names: list[str] = []
    for index, cell in enumerate(header):
        name = cell.strip() or f"column {index + 1}"
        base, count = name, 2
        while name in names:
            name, count = f"{base} ({count})", count + 1
        names.append(name)
    return names


def read(text: str, settings: CsvSettings, max_rows: int = 100_000) -> ParsedFile:
    """Every data row of `text` read with `settings`.

    Raises UnreadableFile for a file that is not CSV, has more than `max_rows` data rows, or lacks
    a column the settings name.
    """
    rows_in = records(text, settings)
    if settings.has_header:
        first = next(rows_in, None)
        header = column_names(first[1]) if first else []
        header_text = [cell.strip() for cell in first[1]] if first else []
    else:
        header, header_text = None, None
    data = []
    repeated_headers = 0
    for record in rows_in:
        # Some exports repeat the header on every page; those lines are not transactions.
        if header_text and [cell.strip() for cell in record[1]] == header_text:
            repeated_headers += 1
            continue
        data.append(record)
        check_row_limit(len(data), max_rows)
    if header is None:
        width = max((len(cells) for _, cells in data), default=0)
        names = [str(index) for index in range(width)]
    else:
        names = header
    footer = footer_length(data, names) if header is not None else 0
    if footer:
        data = data[:-footer]
    index = _column_indexes(settings, names, optional=settings.preset is not None)
    balance_lines = 0
    if "date" in index:
        kept = [(line, cells) for line, cells in data if not _is_balance_line(cells, index["date"])]
        balance_lines, data = len(data) - len(kept), kept
    missing = settings.missing()
    rows = [_row(line, cells, names, index, settings, missing, header is not None) for line, cells in data]
    parsed = ParsedFile(
        format="csv",
        rows=rows,
        settings=settings.as_dict(),
        currency=settings.default_currency,
        builtin_preset=settings.preset,
    )
    if balance_lines:
        parsed.warnings.append(f"{balance_lines} opening or closing balance lines were left out.")
    if repeated_headers:
        parsed.warnings.append(f"{repeated_headers} repeated header lines were left out.")
    if footer:
        parsed.warnings.append(f"{footer} short lines after the last transaction (balances or totals) were left out.")
    if settings.preset:
        app_exports.finish(parsed)
    return parsed


def footer_length(data: list[tuple[int, list[str]]], names: list[str]) -> int:
    """How many records at the end are a footer: lines filling fewer than half the header's
    cells, like comdirect's `"Alter Kontostand";"1.234,56 EUR";`, after at least one full row."""
    count = 0
    for _, cells in reversed(data):
        if sum(1 for cell in cells if cell.strip()) * 2 >= len(names):
            break
        count += 1
    return count if count < len(data) else 0


# What banks write in the date column of a balance line (GLS `Anfangssaldo`, `Endsaldo`).
_BALANCE_LINES = {
    "anfangssaldo",
    "endsaldo",
    "saldo",
    "kontostand",
    "alter kontostand",
    "neuer kontostand",
    "opening balance",
    "closing balance",
    "balance",
    "solde initial",
    "solde final",
    "beginsaldo",
    "eindsaldo",
}


def _is_balance_line(cells: list[str], date_index: int) -> bool:
    if date_index >= len(cells):
        return False
    return cells[date_index].strip().rstrip(":").lower() in _BALANCE_LINES


def _column_indexes(settings: CsvSettings, names: list[str], *, optional: bool) -> dict[str, int]:
    """Role -> cell index. An app export's preset names every column some version has; a column
    this version lacks (ihatemoney before 5.0 had no currency) is skipped, except date and amount."""
    index = {}
    for role, column in settings.columns.items():
        if column not in names and optional and role not in {"date", "amount"}:
            continue
        if column not in names:
            raise UnreadableFile(f"The column `{column}` chosen for the {role.replace('_', ' ')} is not in this file.")
        index[role] = names.index(column)
    return index


def _row(
    line: int,
    cells: list[str],
    names: list[str],
    index: dict[str, int],
    settings: CsvSettings,
    missing: list[str],
    has_header: bool,
) -> ParsedRow:
    raw = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(names)}
    row = ParsedRow(line=line, raw=raw)
    shape = _shape_error(cells, names) if has_header else None
    if shape or missing:
        row.error = shape or " ".join(missing)
        return row

    def cell(role: str) -> str:
        return cells[index[role]].strip() if role in index and index[role] < len(cells) else ""

    errors = []
    try:
        row.date = parse_date(cell("date"), settings.date_format)
    except DateError as error:
        errors.append("The date is empty." if not cell("date") else str(error))
    try:
        amount = _amount(cell, settings)
        # No `-0.00`: a zero is neither money out nor money in, whatever sign it was written with.
        row.amount = abs(amount) if amount == 0 else amount
    except AmountError as error:
        errors.append(str(error))
    currency = _SYMBOLS.get(cell("currency"), cell("currency").upper())
    if currency and not _CURRENCY.fullmatch(currency):
        errors.append(f"Unreadable currency `{cell('currency')}`.")
    row.currency = currency or settings.default_currency
    row.description = _text(" — ".join(part for part in (cell("payee"), cell("description")) if part))
    row.notes = cell("notes")
    row.category = cell("category") or None
    row.tags = tuple(tag.strip() for tag in cell("tags").split(",") if tag.strip())
    row.payment_method = cell("payment_method") or None
    row.external_id = cell("external_id") or None
    status = cell("status").lower()
    row.pending = status in _lowered(tuple(settings.pending_values))
    if status in VOID_STATUS_VALUES:
        errors.append(f"The bank marks this transaction `{cell('status')}`: it did not happen.")
    row.error = " ".join(errors) or None
    return row


def _shape_error(cells: list[str], names: list[str]) -> str | None:
    """A ragged row: more cells than the header (beyond empty trailing ones), or fewer (unless the
    missing ones are unnamed, like the trailing comma of Lloyds' header)."""
    extra = cells[len(names) :]
    short = names[len(cells) :]
    if any(c.strip() for c in extra) or any(not name.startswith("column ") for name in short):
        return f"This row has {len(cells)} cells where the header has {len(names)}."
    return None


def _amount(cell, settings: CsvSettings) -> Decimal:
    def number(role: str) -> Decimal | None:
        text = cell(role)
        return parse_amount(text, decimal=settings.decimal, thousands=settings.thousands) if text else None

    if "amount" in settings.columns:
        value = number("amount")
        if value is None:
            raise AmountError("The amount is empty.")
        if "direction" in settings.columns:
            debit = cell("direction").lower() in _lowered(tuple(settings.debit_values))
            return -abs(value) if debit else abs(value)
        return -value if settings.amount_sign == "positive_is_expense" else value
    debit, credit = number("debit"), number("credit")
    if debit is None and credit is None:
        raise AmountError("Both the debit and the credit amount are empty.")
    if debit and credit:
        raise AmountError("The row has both a debit and a credit amount.")
    if debit:
        return -abs(debit)
    if credit:
        return abs(credit)
    return abs(debit if debit is not None else credit)  # a zero on one side


@functools.lru_cache(maxsize=16)
def _lowered(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(value.lower() for value in values if value)


def _text(value: str) -> str:
    return _SPACE_RUN.sub(" ", value).strip()
