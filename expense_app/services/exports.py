"""CSV export of a user's expenses: the same filters and order as the list, streamed in batches.

The output is RFC 4180 (comma-separated, CRLF line ends) with every field quoted, and a header row
`"date","description","category","payment_method","amount","currency","base_amount","base_currency","tags","notes"`.
`base_amount` is the amount in the user's base currency (`base_currency`), empty while the expense
waits for an exchange rate: a spreadsheet summing that column gets the same total as the app. Quoting
every field matters: a spreadsheet in a locale whose separator is `;` splits an unquoted
`x;=1+1` into a second cell and evaluates it. Text cells that a spreadsheet would run as a
formula are also prefixed with `'` (OWASP "CSV Injection"; `statements.spreadsheet_safety`,
which the import undoes, so an export imports back losslessly).

Rows are read with `yield_per`, so only one batch of expenses is in memory at a time however many
there are. The filters and the sort are checked when `export_expenses_csv` is called, before the
first chunk exists, so a refused filter is an error response (422), never a 200 whose body stops
halfway. Both faces wrap the returned `CsvExport` in the same streamed attachment.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.models.base import utcnow
from expense_app.services.expenses import DEFAULT_SORT, ExpenseFilters, filter_conditions, sort_order
from expense_app.statements.app_exports import EXPENSE_MANAGER_HEADER
from expense_app.statements.spreadsheet_safety import neutralise

HEADER = EXPENSE_MANAGER_HEADER
BATCH_SIZE = 500


def _row(expense: Expense, base_currency: str) -> tuple[str, ...]:
    return (
        expense.date.isoformat(),
        neutralise(expense.description),
        neutralise(expense.category.name),
        expense.payment_method,
        format(expense.amount, "f"),
        expense.currency,
        "" if expense.base_amount is None else format(expense.base_amount, "f"),
        base_currency,
        neutralise(", ".join(tag.name for tag in expense.tags)),
        neutralise(expense.notes),
    )


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


@dataclass(frozen=True)
class CsvExport:
    """A CSV download: its text chunks (an iterator, read once) and how to offer it."""

    chunks: Iterator[str]
    filename: str
    mimetype: str = "text/csv"

    @property
    def headers(self) -> dict[str, str]:
        """The response headers that make it a download named `filename`."""
        return {"Content-Disposition": f'attachment; filename="{self.filename}"'}


def _stream(query: sa.Select, base_currency: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    yield _drain(buffer)
    for batch in db.session.scalars(query).partitions():
        writer.writerows(_row(expense, base_currency) for expense in batch)
        yield _drain(buffer)


def export_expenses_csv(
    *, user: User, filters: ExpenseFilters | Mapping | None = None, sort: str | None = DEFAULT_SORT
) -> CsvExport:
    """Return the export of `user`'s expenses matching `filters`, in `sort` order.

    Its chunks are the header, then one chunk per batch of rows. The filters and sort are checked
    now, so a bad one raises ValidationFailed before any output; the rows are read while the
    chunks are consumed (a view wraps them in `stream_with_context`, which runs them in a fresh
    app context). The file is named `expenses-YYYY-MM-DD.csv` (UTC date).
    """
    query = (
        sa.select(Expense)
        .where(*filter_conditions(user=user, filters=filters))
        .order_by(*sort_order(sort))
        .options(joinedload(Expense.category, innerjoin=True), selectinload(Expense.tags))
        .execution_options(yield_per=BATCH_SIZE)
    )
    return CsvExport(chunks=_stream(query, user.currency), filename=f"expenses-{utcnow():%Y-%m-%d}.csv")
