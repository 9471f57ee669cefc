"""Dedupe of staged import rows against the user's expenses: certain and possible duplicates.

- Certain (`duplicate`): an expense of the user with the same (source, external_id), or the same
  (source, fingerprint, occurrence): the same bank transaction, or the same raw record of the same
  account, imported before. The same external id earlier in the file is one too.
- Possible (`possible_duplicate`): an expense of the user, of any source, with the same currency
  and amount, dated within `WINDOW_DAYS`, whose description is similar (rapidfuzz token_set_ratio
  >= `SIMILARITY` on the merchant keys) or empty on either side. Not considered: an expense that
  is already the certain duplicate of a row of this file (it is accounted for), and an expense
  imported from the same source, since that statement listed it as a separate transaction.

Set-based: existing expenses are read in chunks (IN lists of at most `CHUNK`), the possible ones
only within the file's date window; matching happens in memory.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

import sqlalchemy as sa
from rapidfuzz import fuzz

from expense_app.extensions import db
from expense_app.models import Category, Expense
from expense_app.services.suggestions import merchant_key

CHUNK = 500
WINDOW_DAYS = 3
SIMILARITY = 80
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The rows' statuses this module decides between: only readable money-out rows are checked.
CHECKED = ("new", "possible_duplicate")


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def day_text(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def describe(expense) -> str:
    """`12 Mar 2026 “Coffee” 3.50 EUR`, the way messages name an existing expense."""
    return f"{day_text(expense.date)} \u201c{expense.description}\u201d {expense.amount:.2f} {expense.currency}"


def certain_duplicates(user_id: int, rows: list[dict]) -> dict[int, int]:
    """{index in `rows`: id of the expense it certainly duplicates} for the rows in CHECKED."""
    by_external: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    by_fingerprint: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, row in enumerate(rows):
        if row["status"] not in CHECKED:
            continue
        if row["external_id"]:
            by_external[row["source"]][row["external_id"]].append(index)
        by_fingerprint[row["source"]][row["fingerprint"]].append(index)
    found: dict[int, int] = {}
    for source, wanted in by_external.items():
        for part in chunks(list(wanted)):
            query = sa.select(Expense.id, Expense.external_id).where(
                Expense.user_id == user_id, Expense.import_source == source, Expense.external_id.in_(part)
            )
            for expense_id, external_id in db.session.execute(query):
                for index in wanted[external_id]:
                    found[index] = expense_id
    for source, wanted in by_fingerprint.items():
        for part in chunks(list(wanted)):
            query = sa.select(Expense.id, Expense.import_fingerprint, Expense.import_occurrence).where(
                Expense.user_id == user_id, Expense.import_source == source, Expense.import_fingerprint.in_(part)
            )
            for expense_id, fingerprint, occurrence in db.session.execute(query):
                for index in wanted[fingerprint]:
                    if rows[index]["occurrence"] == occurrence:
                        found.setdefault(index, expense_id)
    return found


def possible_duplicates(user_id: int, rows: list[dict], claimed: set[int]) -> dict[int, int]:
    """{index in `rows`: id of the expense it resembles} for the `new` rows (see the module doc);
    `claimed` are expenses already matched as certain duplicates."""
    candidates = [index for index, row in enumerate(rows) if row["status"] == "new"]
    if not candidates:
        return {}
    days = [rows[index]["date"] for index in candidates]
    low, high = min(days) - dt.timedelta(days=WINDOW_DAYS), max(days) + dt.timedelta(days=WINDOW_DAYS)
    amounts = sorted({rows[index]["amount"] for index in candidates})
    existing: dict[tuple, list] = defaultdict(list)
    for part in chunks(amounts):
        query = sa.select(
            Expense.id, Expense.date, Expense.amount, Expense.currency, Expense.description, Expense.import_source
        ).where(Expense.user_id == user_id, Expense.date.between(low, high), Expense.amount.in_(part))
        for expense in db.session.execute(query):
            if expense.id not in claimed:
                existing[(expense.currency, expense.amount)].append(expense)
    keys: dict[str, str] = {}

    def key_of(text: str) -> str:
        if text not in keys:
            keys[text] = merchant_key(text)
        return keys[text]

    found: dict[int, int] = {}
    window = dt.timedelta(days=WINDOW_DAYS)
    for index in candidates:
        row = rows[index]
        best = None
        for expense in existing.get((row["currency"], row["amount"]), ()):
            if expense.import_source == row["source"] or abs(expense.date - row["date"]) > window:
                continue
            mine, theirs = key_of(row["description"]), key_of(expense.description or "")
            if mine and theirs and fuzz.token_set_ratio(mine, theirs) < SIMILARITY:
                continue
            closeness = abs(expense.date - row["date"])
            if best is None or (closeness, expense.id) < best[0]:
                best = ((closeness, expense.id), expense.id)
        if best is not None:
            found[index] = best[1]
    return found


def briefs(user_id: int, expense_ids: set[int]) -> dict[int, sa.Row]:
    """The expenses named (id, date, amount, currency, description, category_name), by id."""
    found: dict[int, sa.Row] = {}
    for part in chunks(sorted(expense_ids)):
        query = (
            sa.select(
                Expense.id,
                Expense.date,
                Expense.amount,
                Expense.currency,
                Expense.description,
                Category.name.label("category_name"),
            )
            .join(Category, Category.id == Expense.category_id)
            .where(Expense.user_id == user_id, Expense.id.in_(part))
        )
        found.update({row.id: row for row in db.session.execute(query)})
    return found


def mark(user_id: int, rows: list[dict]) -> None:
    """Decide `duplicate` / `possible_duplicate` for the readable money-out rows of `rows` (dicts
    with the ImportRow columns), in place: status, include, duplicate_of_id, message."""
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        if row["status"] != "new" or not row["external_id"]:
            continue
        seen = first_line.setdefault((row["source"], row["external_id"]), row["line"])
        if seen != row["line"]:
            _set(row, "duplicate", None, f"The same bank id as line {seen} of this file.")
    certain = certain_duplicates(user_id, rows)
    possible = possible_duplicates(user_id, rows, set(certain.values()))
    named = briefs(user_id, set(certain.values()) | set(possible.values()))
    for index, expense_id in certain.items():
        expense = named.get(expense_id)
        text = f"Already imported: the expense of {describe(expense)}." if expense else "Already imported."
        _set(rows[index], "duplicate", expense_id, text)
    for index, expense_id in possible.items():
        expense = named.get(expense_id)
        if expense is not None:
            _set(rows[index], "possible_duplicate", expense_id, f"Looks like the expense of {describe(expense)}")


def _set(row: dict, status: str, expense_id: int | None, message: str) -> None:
    row.update(status=status, include=False, duplicate_of_id=expense_id, message=message)
