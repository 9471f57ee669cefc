"""Staging an import: read the file, turn its parsed rows into import_rows, decide and propose.

`read_file` checks the size and reads the bytes with the statement readers (nothing is stored
when it fails); `build_rows` gives the ImportRow columns of every parsed row with its dedupe keys
(`source`, `fingerprint`, `occurrence`, computed once here and copied onto the expense at
commit), its status (`error`, `money_in`, then the dedupe of `import_dedupe`, else `new`) and
the proposals for the importable ones: the file's category, else the user's rules, else a learned
suggestion, else the batch's default category. `insert_rows` writes them with one executemany.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import PAYMENT_METHODS, ROW_STATUSES, Category, ImportRow, Rule, User
from expense_app.services import categorization, import_dedupe, suggestions
from expense_app.services.rules import (
    MAX_AMOUNT,
    MIN_DATE,
    Errors,
    check_minor_units,
    clean_currency,
    latest_expense_date,
)
from expense_app.services.tags import MAX_TAGS, TAG_MAX_LENGTH, normalize_tag
from expense_app.statements.model import ParsedFile, ParsedRow, UnreadableFile

SOURCE_MAX_LENGTH = 100
EXTERNAL_ID_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 255
NOTES_MAX_LENGTH = 2000
CATEGORY_NAME_MAX_LENGTH = 50
MESSAGE_MAX_LENGTH = 500
MONEY_IN = "Money in \u2014 not imported"
ZERO = "The amount is 0.00: nothing was spent."


# --- reading -------------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.1f}".removesuffix(".0")


def check_size(data: bytes) -> None:
    """Refuse an empty or oversized upload before reading a byte of it."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationFailed({"file": ["This file is empty: choose a bank statement or an export to import."]})
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise ValidationFailed(
            {
                "file": [
                    f"This file is {_megabytes(len(data))} MB; the largest file you can import is {_megabytes(limit)} MB."
                ]
            }
        )


def read_file(data: bytes, *, filename: str = "", settings: dict | None = None) -> ParsedFile:
    """The file read by `statements.dispatch.read_statement`; ValidationFailed on `file` when
    it cannot be (with the reader's message)."""
    from expense_app.statements import dispatch  # the readers package; imported when first used

    check_size(data)
    try:
        return dispatch.read_statement(
            bytes(data), filename=filename or "", settings=settings, max_rows=current_app.config["IMPORT_MAX_ROWS"]
        )
    except UnreadableFile as error:
        raise ValidationFailed({"file": [str(error)]}) from None


def header_signature(data: bytes, settings: dict) -> str | None:
    from expense_app.statements import csv_detect

    try:
        return csv_detect.header_signature(bytes(data), settings)
    except (UnreadableFile, ValueError):
        return None


# --- text from a file ----------------------------------------------------------------------------


def file_text(value, limit: int, *, multiline: bool = False) -> str:
    """Text from a file made storable: control characters become spaces (newlines and tabs kept
    when `multiline`), runs of spaces one space, trimmed, cut to `limit`."""
    if not isinstance(value, str):
        return ""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(
        char if unicodedata.category(char) != "Cc" or (multiline and char in "\n\t") else " " for char in value
    )
    if multiline:
        text = "\n".join(" ".join(line.split()) for line in kept.split("\n")).strip()
    else:
        text = " ".join(kept.split())
    return text[:limit].strip()


def clean_source(value) -> str:
    return file_text(value, SOURCE_MAX_LENGTH)


def _external_id(value) -> str | None:
    text = file_text(value, 10_000)
    if not text:
        return None
    if len(text) > EXTERNAL_ID_MAX_LENGTH:
        # Cut, two long ids sharing a prefix would become one: a digest keeps them apart.
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def fingerprint(raw: dict) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def clean_tags(names) -> list[str]:
    """Tag names from a file or a rule, normalised; unusable ones dropped, at most MAX_TAGS."""
    kept: list[str] = []
    for name in names or ():
        tag = normalize_tag(file_text(name, TAG_MAX_LENGTH))
        if tag and tag not in kept:
            kept.append(tag)
    return kept[:MAX_TAGS]


# --- rows ----------------------------------------------------------------------------------------


def row_source(parsed: ParsedFile, row: ParsedRow, fallback: str) -> str:
    account = row.account or parsed.account
    if account:
        return clean_source(f"{parsed.format}:{account}")
    return fallback


def fallback_source(parsed: ParsedFile, *, data: bytes, preset_name: str | None, builtin: str | None) -> str:
    """The source of rows whose file names no account: the preset, else the CSV's header, else
    the format."""
    if preset_name:
        return clean_source(f"preset:{preset_name}")
    if builtin:
        return builtin
    if parsed.format == "csv":
        signature = header_signature(data, parsed.settings) or fingerprint(
            {"columns": list(parsed.rows[0].raw) if parsed.rows else []}
        )
        return "csv:" + signature[:16]
    return parsed.format


def read_status(row: ParsedRow, currency: str | None) -> tuple[str, str, dict]:
    """(status, message, checked values) from reading alone: `error`, `money_in` or `new`."""
    if row.error:
        return "error", row.error, {}
    errors: Errors = {}
    code = clean_currency(errors, "currency", currency) if currency else None
    if errors:
        return "error", f"{currency}: " + errors["currency"][0], {}
    if row.date is None:
        return "error", "This row has no date.", {}
    latest = latest_expense_date()
    if not MIN_DATE <= row.date <= latest:
        return (
            "error",
            f"The date {row.date.isoformat()} is outside {MIN_DATE.isoformat()} to {latest.isoformat()}.",
            {},
        )
    if row.amount is None:
        return "error", "This row has no amount.", {}
    amount = abs(Decimal(row.amount))
    if amount == 0:
        return "error", ZERO, {}
    if amount > MAX_AMOUNT:
        return "error", f"The amount {amount:,.2f} is more than the largest this app holds ({MAX_AMOUNT:,}).", {}
    check_minor_units(errors, "amount", amount, code)
    if errors:
        return "error", errors["amount"][0], {}
    values = {"date": row.date, "amount": amount, "currency": code}
    if row.amount > 0:
        return "money_in", MONEY_IN, values
    return "new", "", values


def build_rows(
    *, user: User, parsed: ParsedFile, source: str | None, fallback: str, default_category_id: int | None
) -> tuple[list[dict], list[str]]:
    """The ImportRow columns (batch_id left out) of every row of `parsed`, decided and proposed,
    and warnings for the batch."""
    warnings: list[str] = []
    base_used = False
    occurrences: Counter[tuple[str, str]] = Counter()
    rows: list[dict] = []
    for position, parsed_row in enumerate(parsed.rows):
        row_source_ = source or row_source(parsed, parsed_row, fallback)
        raw = {str(key): "" if value is None else str(value) for key, value in (parsed_row.raw or {}).items()}
        digest = fingerprint(raw)
        occurrences[(row_source_, digest)] += 1
        currency = parsed_row.currency or parsed.currency
        if not currency:
            currency, base_used = user.currency, True
        status, message, values = read_status(parsed_row, currency)
        method = parsed_row.payment_method if parsed_row.payment_method in PAYMENT_METHODS else None
        rows.append(
            {
                "position": position,
                "line": parsed_row.line,
                "status": status,
                "include": status == "new",
                "date": values.get("date", parsed_row.date if status == "error" else None),
                "amount": values.get("amount"),
                "currency": values.get("currency") or (currency[:3] if isinstance(currency, str) else None),
                "description": file_text(parsed_row.description, DESCRIPTION_MAX_LENGTH),
                "notes": file_text(parsed_row.notes, NOTES_MAX_LENGTH, multiline=True),
                "payment_method": method,
                "category_id": None,
                "category_source": None,
                "new_category_name": None,
                "tags": clean_tags(parsed_row.tags),
                "pending": bool(parsed_row.pending),
                "rule_ids": [],
                "source": row_source_,
                "external_id": _external_id(parsed_row.external_id),
                "fingerprint": digest,
                "occurrence": occurrences[(row_source_, digest)],
                "raw": raw,
                "message": message[:MESSAGE_MAX_LENGTH],
                "duplicate_of_id": None,
                "expense_id": None,
                "_category": file_text(parsed_row.category, CATEGORY_NAME_MAX_LENGTH),
            }
        )
    if base_used:
        warnings.append(
            f"The file names no currency for some rows: they are taken as {user.currency}, your base currency."
        )
    import_dedupe.mark(user.id, rows)
    propose(user=user, rows=rows, default_category_id=default_category_id)
    for row in rows:
        row.pop("_category", None)
    return rows, warnings


def propose(*, user: User, rows: list[dict], default_category_id: int | None) -> None:
    """Category, tags, payment method and description proposals for the importable rows, in place."""
    wanted = [row for row in rows if row["status"] in import_dedupe.CHECKED]
    if not wanted:
        return
    by_name = {
        row.name_key: row.id
        for row in db.session.execute(sa.select(Category.name_key, Category.id).where(Category.user_id == user.id))
    }
    changes = categorization.apply_to_many(
        user=user,
        rows=[
            {
                "description": row["description"],
                "notes": row["notes"],
                "amount": row["amount"],
                "currency": row["currency"],
                "payment_method": row["payment_method"],
            }
            for row in wanted
        ],
        for_import=True,
    )
    skip_names = _skip_rule_names(user) if any(change.skip for change in changes) else {}
    for row, change in zip(wanted, changes, strict=True):
        row["rule_ids"] = list(change.rule_ids)
        if change.description is not None:
            row["description"] = file_text(change.description, DESCRIPTION_MAX_LENGTH)
        if change.payment_method is not None:
            row["payment_method"] = change.payment_method
        if change.add_tags:
            row["tags"] = clean_tags([*row["tags"], *change.add_tags])
        named = row["_category"]
        if named:
            row["category_source"] = "file"
            row["category_id"] = by_name.get(named.casefold())
            row["new_category_name"] = None if row["category_id"] else named
        elif change.category_id is not None:
            row["category_id"], row["category_source"] = change.category_id, "rule"
        if change.skip:
            name = next((skip_names[rule_id] for rule_id in change.rule_ids if rule_id in skip_names), "")
            row["include"] = False
            row["message"] = f"Skipped by rule \u201c{name}\u201d"[:MESSAGE_MAX_LENGTH]
    undecided = [row for row in wanted if row["category_source"] is None]
    if undecided:
        learned = suggestions.suggest_categories(user=user, descriptions=[row["description"] for row in undecided])
        for row in undecided:
            found = learned.get(row["description"])
            if found is not None:
                row["category_id"], row["category_source"] = found.category_id, "history"
    apply_default(rows, default_category_id)


def apply_default(rows: list[dict], default_category_id: int | None) -> None:
    """The batch's default category on the importable rows no one else chose a category for."""
    for row in rows:
        if row["status"] in import_dedupe.CHECKED and row["category_source"] in (None, "default"):
            row["category_id"] = default_category_id
            row["category_source"] = "default" if default_category_id is not None else None


def _skip_rule_names(user: User) -> dict[int, str]:
    """{rule id: name} of the user's rules with a `skip` action."""
    rules = db.session.execute(sa.select(Rule.id, Rule.name, Rule.actions).where(Rule.user_id == user.id))
    return {
        rule_id: name
        for rule_id, name, actions in rules
        if any(isinstance(action, dict) and action.get("type") == "skip" for action in actions or ())
    }


def counts_of(rows) -> dict[str, int]:
    """{status: number of rows}, every status present (0 included)."""
    counted = Counter(row["status"] if isinstance(row, dict) else row for row in rows)
    return {status: counted.get(status, 0) for status in ROW_STATUSES}


def insert_rows(session, batch_id: int, rows: list[dict]) -> None:
    """Write the rows with one executemany INSERT (Core: the ORM's bulk path costs more than the
    database does for 10,000 rows)."""
    if rows:
        session.execute(sa.insert(ImportRow.__table__), [{"batch_id": batch_id, **row} for row in rows])
