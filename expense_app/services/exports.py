"""CSV export of a user's expenses: the same filters and order as the list, streamed in batches.

The output is RFC 4180 (comma-separated, CRLF line ends, fields quoted when needed), with a header
row `date,description,category,payment_method,amount,currency,tags,notes`. Rows are read with
`yield_per`, so only one batch of expenses is in memory at a time however many there are. Text
cells that a spreadsheet would run as a formula are prefixed with `'` (OWASP "CSV Injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.services.expenses import DEFAULT_SORT, ExpenseFilters, filter_conditions, sort_order

HEADER = ("date", "description", "category", "payment_method", "amount", "currency", "tags", "notes")
BATCH_SIZE = 500
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefix a cell that starts like a formula with a single quote, so it opens as text."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _row(expense: Expense) -> tuple[str, ...]:
    return (
        expense.date.isoformat(),
        neutralise(expense.description),
        neutralise(expense.category.name),
        expense.payment_method,
        format(expense.amount, "f"),
        expense.currency,
        neutralise(", ".join(tag.name for tag in expense.tags)),
        neutralise(expense.notes),
    )


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


def _stream(query: sa.Select) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield _drain(buffer)
    for batch in db.session.scalars(query).partitions():
        writer.writerows(_row(expense) for expense in batch)
        yield _drain(buffer)


def export_expenses_csv(
    *, user: User, filters: ExpenseFilters | Mapping | None = None, sort: str | None = DEFAULT_SORT
) -> Iterator[str]:
    """Return an iterator of CSV text chunks: the header, then one chunk per batch of rows.

    The filters and sort are checked now, so a bad one raises ValidationFailed before any output;
    the rows are read lazily while the iterator is consumed (wrap it in `stream_with_context`).
    """
    query = (
        sa.select(Expense)
        .where(*filter_conditions(user=user, filters=filters))
        .order_by(*sort_order(sort))
        .options(joinedload(Expense.category, innerjoin=True), selectinload(Expense.tags))
        .execution_options(yield_per=BATCH_SIZE)
    )
    return _stream(query)
