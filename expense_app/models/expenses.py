"""The `Expense` aggregate: one amount spent, on a date, in a category, with optional tags."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expense_app.models.base import Base, TimestampMixin
from expense_app.models.expense_fields import PAYMENT_METHODS, ExpenseFieldsMixin, expense_field_constraints
from expense_app.models.tags import Tag, expense_tags

__all__ = ["PAYMENT_METHODS", "Expense"]


class Expense(ExpenseFieldsMixin, TimestampMixin, Base):
    """One amount spent, on a date; the shared fields come from `ExpenseFieldsMixin`."""

    __tablename__ = "expenses"
    __table_args__ = (
        *expense_field_constraints("expenses"),
        # Lists sort by date then id within one user; category filters and amount sorts too.
        # On PostgreSQL the date index also carries what totals need (category, payment method,
        # amount), so analytics over a period, category totals and the ids of a deep page are
        # read from the index alone (index-only scans); SQLite has no INCLUDE and ignores it.
        sa.Index(
            "ix_expenses_user_id_date_id",
            "user_id",
            "date",
            "id",
            postgresql_include=["category_id", "payment_method", "amount"],
        ),
        sa.Index("ix_expenses_user_id_category_id_date", "user_id", "category_id", "date"),
        sa.Index("ix_expenses_user_id_amount_id", "user_id", "amount", "id"),
        sa.Index("ix_expenses_user_id_created_at_id", "user_id", "created_at", "id"),
        # The text search `q` (lower(column) LIKE '%...%') on PostgreSQL: trigram indexes, which
        # a B-tree cannot replace (migration 0004 creates the pg_trgm extension). SQLite has no
        # such index and scans; declared here so autogenerate sees models and migrations agree.
        *(
            sa.Index(
                f"ix_expenses_{column}_trgm",
                sa.func.lower(sa.column(column)).label(f"lower_{column}"),
                postgresql_using="gin",
                postgresql_ops={f"lower_{column}": "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("description", "notes")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(sa.Date)

    tags: Mapped[list[Tag]] = relationship(secondary=expense_tags, lazy="raise", order_by=Tag.name)

    def __repr__(self) -> str:
        return f"<Expense {self.id} {self.amount} on {self.date}>"
