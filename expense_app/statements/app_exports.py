"""Exports of other apps (and of this one), read without a column mapping.

Each built-in preset is CSV settings plus the header columns that recognise the export
(`detect_builtin`); `finish` applies what settings cannot say. The column names come from the
apps' own export code:

- Firefly III (`app/Support/Export/ExportDataGenerator.php`, transactions): `user_id, group_id,
  journal_id, created_at, updated_at, group_title, type, currency_code, amount, ...,
  description, date, source_name, ..., destination_name, ..., category, budget, bill, tags,
  notes` and meta fields. Amounts are negative for withdrawals (our convention); `date` is an
  ISO timestamp; tags are `,`-joined. Opening balances and reconciliations are not transactions.
- Actual Budget (`loot-core/.../export/export-to-csv.ts`): `Account, Date, Payee, Notes,
  Category, Amount, Split_Amount, Cleared` (older: `..., Amount, Cleared, Reconciled`); outflows
  negative; a split's parent row has Amount 0 and its parts follow it; newer versions guard
  formula-like cells with `'` as we do.
- ihatemoney (`models.py` `get_pretty_bills`): `date, what, amount, currency, payer_name,
  payer_weight, owers` (no `currency` before 5.0); bills are positive; currency `XXX` means none.
  The JSON export is a list of those objects with `owers` a list.
- This app (`services/exports.py`): `date, description, category, payment_method, amount,
  currency, base_amount, base_currency, tags, notes`; expenses positive; tags `", "`-joined;
  formula-like text cells prefixed with `'` (undone here, so a round trip is lossless).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation

from expense_app.statements.model import ParsedFile, ParsedRow, UnreadableFile
from expense_app.statements.spreadsheet_safety import unneutralise
from expense_app.statements.textutil import check_row_limit

# This app's CSV export (services/exports.py writes it): the columns, in order.
EXPENSE_MANAGER_HEADER = (
    "date",
    "description",
    "category",
    "payment_method",
    "amount",
    "currency",
    "base_amount",
    "base_currency",
    "tags",
    "notes",
)
_ACTUAL_SPLIT_PART = re.compile(r"^\(SPLIT \d+ OF \d+\) ?")
_ACTUAL_SPLIT_PARENT = re.compile(r"^\(SPLIT INTO \d+\)")
_FIREFLY_NOT_TRANSACTIONS = {"opening balance", "reconciliation", "liability credit", "invalid"}
_NO_CURRENCY = "XXX"

_BASE = {"delimiter": ",", "date_format": "%Y-%m-%d", "decimal": ".", "thousands": ""}

BUILTIN_PRESETS: dict[str, dict] = {
    "firefly": {
        "name": "Firefly III (CSV export)",
        # Columns every version of the export has; which others follow varies (native_/pc_).
        "header": ("journal_id", "type", "currency_code", "amount", "description", "date", "destination_name"),
        "settings": {
            **_BASE,
            "columns": {
                "date": "date",
                "amount": "amount",
                "currency": "currency_code",
                "payee": "destination_name",
                "description": "description",
                "category": "category",
                "tags": "tags",
                "notes": "notes",
                "external_id": "journal_id",
            },
            "preset": "firefly",
        },
    },
    "actual": {
        "name": "Actual Budget (CSV export)",
        "header": ("Account", "Date", "Payee", "Notes", "Category", "Amount", "Cleared"),
        "settings": {
            **_BASE,
            "columns": {"date": "Date", "amount": "Amount", "payee": "Payee", "notes": "Notes", "category": "Category"},
            "preset": "actual",
        },
    },
    "ihatemoney": {
        "name": "ihatemoney (CSV or JSON export)",
        "header": ("date", "what", "amount", "payer_name", "payer_weight", "owers"),
        "settings": {
            **_BASE,
            "columns": {"date": "date", "amount": "amount", "currency": "currency", "description": "what"},
            "amount_sign": "positive_is_expense",
            "preset": "ihatemoney",
        },
    },
    "expense_manager": {
        "name": "Expense Manager (this app's CSV export)",
        "header": EXPENSE_MANAGER_HEADER,
        "settings": {
            **_BASE,
            "columns": {
                "date": "date",
                "description": "description",
                "category": "category",
                "payment_method": "payment_method",
                "amount": "amount",
                "currency": "currency",
                "tags": "tags",
                "notes": "notes",
            },
            "amount_sign": "positive_is_expense",
            "preset": "expense_manager",
        },
    },
}
# This app's header is matched exactly; the others by the columns they always have.
_EXACT = {"expense_manager"}


def detect_builtin(header: list[str]) -> str | None:
    """The key of the built-in preset whose export has this header row, or None."""
    cells = [cell.strip().lstrip("\ufeff") for cell in header]
    while cells and not cells[-1]:
        cells.pop()
    for key, preset in BUILTIN_PRESETS.items():
        wanted = preset["header"]
        if (tuple(cells) == wanted) if key in _EXACT else set(wanted) <= set(cells):
            return key
    return None


def finish(parsed: ParsedFile) -> None:
    """Apply the reading rules of the file's built-in preset that settings cannot express (in
    place): rows that are not transactions are left out with a warning, guarded cells undone."""
    columns = parsed.settings.get("columns", {})
    {
        "firefly": _finish_firefly,
        "actual": _finish_actual,
        "ihatemoney": _finish_ihatemoney,
        "expense_manager": _finish_expense_manager,
    }[parsed.builtin_preset](parsed, columns)


def _finish_firefly(parsed: ParsedFile, columns: dict) -> None:
    kept = [row for row in parsed.rows if row.raw.get("type", "").strip().lower() not in _FIREFLY_NOT_TRANSACTIONS]
    left_out = len(parsed.rows) - len(kept)
    if left_out:
        parsed.warnings.append(f"{left_out} Firefly III opening balance or reconciliation records were left out.")
    parsed.rows = kept


def _finish_actual(parsed: ParsedFile, columns: dict) -> None:
    kept = []
    for row in parsed.rows:
        notes = unneutralise(row.raw.get("Notes", ""))
        if _ACTUAL_SPLIT_PARENT.match(notes):
            continue  # its parts follow it, each with its own amount and category
        row.notes = _ACTUAL_SPLIT_PART.sub("", notes).strip()
        payee = unneutralise(row.raw.get("Payee", "")).strip()
        row.description = payee
        kept.append(row)
    splits = len(parsed.rows) - len(kept)
    if splits:
        parsed.warnings.append(f"{splits} split transactions were read as their parts.")
    parsed.rows = kept


def _finish_ihatemoney(parsed: ParsedFile, columns: dict) -> None:
    for row in parsed.rows:
        if row.currency == _NO_CURRENCY:
            row.currency = parsed.settings.get("default_currency")
        row.notes = _ihatemoney_notes(row.raw.get("payer_name", ""), row.raw.get("owers", ""))


def _ihatemoney_notes(payer: str, owers: str) -> str:
    payer, owers = payer.strip(), owers.strip()
    if not payer:
        return ""
    return f"Paid by {payer} for {owers}" if owers else f"Paid by {payer}"


def _finish_expense_manager(parsed: ParsedFile, columns: dict) -> None:
    # The export wrote the stored text itself: keep it exactly (no whitespace folding).
    for row in parsed.rows:
        row.description = unneutralise(row.raw.get("description", ""))
        row.notes = unneutralise(row.raw.get("notes", ""))
        row.category = unneutralise(row.raw.get("category", "")) or None
        row.tags = tuple(tag for tag in unneutralise(row.raw.get("tags", "")).split(", ") if tag)


def read_ihatemoney_json(text: str, *, max_rows: int = 100_000) -> ParsedFile:
    """Read ihatemoney's JSON export of bills (a list of objects); every bill is an expense.

    Raises UnreadableFile for JSON that is not such an export, or more than `max_rows` bills.
    """
    try:
        bills = json.loads(text)
    except ValueError:
        raise UnreadableFile("This JSON file cannot be read.") from None
    wanted = {"date", "what", "amount"}
    if not isinstance(bills, list) or not all(isinstance(b, dict) and wanted <= set(b) for b in bills):
        raise UnreadableFile(
            "This JSON file is not an ihatemoney export of bills; export your statement as CSV, OFX, "
            "QIF, MT940 or CAMT."
        )
    check_row_limit(len(bills), max_rows)
    rows = [_json_bill(number, bill) for number, bill in enumerate(bills, start=1)]
    return ParsedFile(format="json", rows=rows, builtin_preset="ihatemoney")


def _json_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _json_bill(number: int, bill: dict) -> ParsedRow:
    raw = {str(key): _json_text(value) for key, value in bill.items()}
    row = ParsedRow(line=number, raw=raw, description=raw.get("what", "").strip())
    errors = []
    try:
        row.date = dt.date.fromisoformat(raw["date"].strip())
    except ValueError:
        errors.append(f"Unreadable date `{raw['date']}` (expected YYYY-MM-DD).")
    amount = bill.get("amount")
    try:
        if isinstance(amount, bool) or not isinstance(amount, int | float | str):
            raise InvalidOperation
        value = Decimal(str(amount))
        if not value.is_finite():
            raise InvalidOperation
        row.amount = -value
    except InvalidOperation:
        errors.append(f"Unreadable amount `{raw['amount']}`.")
    currency = raw.get("currency", "").strip().upper()
    row.currency = currency if re.fullmatch(r"[A-Z]{3}", currency) and currency != _NO_CURRENCY else None
    row.notes = _ihatemoney_notes(raw.get("payer_name", ""), raw.get("owers", ""))
    row.error = " ".join(errors) or None
    return row
