"""Exact sums of money columns in SQL, the same on SQLite and PostgreSQL.

SQLite stores `Numeric(12, 2)` as a binary float and would add 0.10 + 0.20 as floats, so there the
sum is taken over integer cents; PostgreSQL's numeric addition is exact already. Either way the
result is integer cents, turned into a 2-place Decimal by `cents_to_amount`.

Every total is in the user's base currency: `sum_base_cents` adds the stored `base_amount`s, and
`count_unconverted` counts, in the same query, the expenses it left out because they are waiting
for an exchange rate (`base_amount` null). A waiting amount is never added as if it were in the base
currency. `sum_amount_cents(Expense.amount)` is for totals in one original currency only.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from expense_app.models import Expense


class SumCents(sa.sql.functions.FunctionElement):
    """The exact sum of a money column in cents, 0 when there are no rows; see `sum_amount_cents`."""

    type = sa.Numeric()
    inherit_cache = True
    name = "sum_cents"


@compiles(SumCents)
def _sum_cents_portable(element, compiler, **kw):
    # SQLite stores the column as a binary float: add integer cents, which is exact.
    (column,) = element.clauses
    return compiler.process(sa.func.coalesce(sa.func.sum(sa.cast(sa.func.round(column * 100), sa.BigInteger)), 0), **kw)


@compiles(SumCents, "postgresql")
def _sum_cents_postgresql(element, compiler, **kw):
    # numeric addition is already exact, and four times cheaper than round()/cast per row
    # (measured on 100,000 rows: 10 ms against 43 ms), so PostgreSQL sums the column itself.
    (column,) = element.clauses
    return compiler.process(sa.func.coalesce(sa.func.sum(column), 0) * 100, **kw)


def sum_amount_cents(column=Expense.amount):
    """SQL for the exact sum of a money column in cents (an integer on SQLite, a whole numeric on
    PostgreSQL); 0 when there are no rows, NULLs are skipped. Pass the result to `cents_to_amount`."""
    return SumCents(column)


def sum_base_cents(where=None):
    """SQL for the exact sum of the base amounts in cents (of the rows matching `where`, when given);
    expenses waiting for a rate add nothing (see `count_unconverted`)."""
    column = Expense.base_amount if where is None else sa.case((where, Expense.base_amount))
    return SumCents(column)


def count_unconverted(where=None):
    """SQL counting the expenses waiting for a rate (of the rows matching `where`, when given): the
    ones `sum_base_cents` left out of the same query's total."""
    waiting = Expense.base_amount.is_(None)
    return sa.func.count(sa.case((waiting if where is None else sa.and_(where, waiting), 1)))


def cents_to_amount(cents: int | Decimal) -> Decimal:
    """Integer cents (as SQLite or PostgreSQL return them) to a Decimal with 2 places."""
    return Decimal(int(cents)).scaleb(-2)
