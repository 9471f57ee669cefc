"""`ExpenseMonthTotal`: each user's spending per month, category and payment method, kept by the database.

Analytics over a year read twelve months of a user's expenses, about 8,000 rows each for the heavy
bench user, on every request. This table holds those months already added up: one row per user,
month (its 1st), category and payment method, with the count, the base amounts' total in integer
cents and the count of expenses waiting for a rate (counted, not summed, as in `expense_stats`).
`services.analytics` reads whole months here and only the partial months at a period's ends from
`expenses`.

Triggers on `expenses` (migration 0011; statement-level on PostgreSQL, row-level on SQLite) keep it
exact for every writer, like `expense_stats`: the services, imports, recurring posts, bulk SQL,
the seed's COPY, base-currency changes, deletes. A row whose count falls to 0 is deleted by the
same trigger, so every row stands for at least one expense. `category_id` is never null
(`expenses.category_id` is NOT NULL). No foreign key to `categories`: a category with a row here
still has expenses, which its own foreign key already protects.

Warning for later migrations: on SQLite, Alembic's batch mode rebuilds a table by copy-and-drop,
and dropping `expenses` drops its triggers (these and `expense_stats`'). A batch operation on
`expenses` must recreate them (tests/services/test_month_totals.py fails if they are missing).
"""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base

FIGURES = ("expense_count", "total_cents", "unconverted_count")


class ExpenseMonthTotal(Base):
    __tablename__ = "expense_month_totals"
    # On PostgreSQL the key carries the figures (INCLUDE), so reading a user's months is an
    # index-only scan. Without it a 12-month summary was a bitmap heap scan over rows scattered on
    # hundreds of pages, costed high enough that the planner started two parallel workers: 10.8 ms
    # against 0.8 ms (bench user, 24 months, EXPLAIN ANALYZE).
    __table_args__ = (
        sa.PrimaryKeyConstraint("user_id", "month", "category_id", "payment_method", postgresql_include=list(FIGURES)),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)  # the 1st of the month
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    payment_method: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    expense_count: Mapped[int] = mapped_column(sa.BigInteger)
    # Integer cents of the base amounts, the rule `expense_stats` and `services.money` use.
    total_cents: Mapped[int] = mapped_column(sa.BigInteger)
    unconverted_count: Mapped[int] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return (
            f"<ExpenseMonthTotal user={self.user_id} {self.month:%Y-%m} category={self.category_id} "
            f"{self.payment_method}: {self.expense_count} expenses, {self.total_cents} cents>"
        )
