"""`ExpenseStats`: each user's expense count, money total and unconverted count, kept by the database itself.

The unfiltered expense list shows how many expenses a user has and what they add up to. Counting
100,000 rows on every request cost about 14 ms of database time, so these two figures are kept
in one row per user instead and read in O(1).

Triggers on `expenses` (migration 0004, one set for PostgreSQL and one for SQLite) maintain the
row, so every way an expense is written keeps it exact: the expenses service, recurring posting,
bulk COPY of the benchmark seed, account deletion, a hand-written SQL statement. The row appears
with a user's first expense; a user without one has no row, which reads as 0 expenses, 0.00.

Warning for later migrations: on SQLite, Alembic's batch mode rebuilds a table by copy-and-drop,
and dropping `expenses` drops its triggers (these and those of `expense_month_totals`, migration
0011). A batch operation on `expenses` must recreate them all (tests/services/test_expense_stats.py
and tests/services/test_month_totals.py fail if they are missing).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base


class ExpenseStats(Base):
    __tablename__ = "expense_stats"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    expense_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The base amounts' total in integer cents: exact on both databases (SQLite would add a float
    # column's values in binary). Expenses waiting for a rate are counted, not summed.
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    unconverted_count: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<ExpenseStats user={self.user_id} {self.expense_count} expenses, {self.total_cents} cents>"
