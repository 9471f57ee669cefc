"""The `Expense` aggregate: one amount spent, on a date, in a category, with optional tags.

Besides its own `amount` and `currency`, an expense stores that amount in its owner's base
currency (`base_amount`) and how it got there: `fx_rate` (original -> base), `fx_date` (the day of
the rate) and `fx_source` (`same`: no conversion; `ecb`: the ECB reference rate; `manual`: given
by the user). An expense waiting for a rate has all four null and is left out of every total.

An imported expense also keeps where it came from, for dedupe (issue 15): `import_source` (the
account or preset of the file), `external_id` (the bank's id of the transaction, when the file has
one) and `import_fingerprint` + `import_occurrence` (a digest of the raw row, computed once at
import and never recomputed, and which identical row of the file it was: two identical coffees on
one day are occurrences 1 and 2). Two partial unique indexes make the same row impossible to
import twice; an expense entered by hand has all four null.
"""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expense_app.models.base import Base, TimestampMixin
from expense_app.models.expense_fields import PAYMENT_METHODS, ExpenseFieldsMixin, expense_field_constraints
from expense_app.models.tags import Tag, expense_tags

__all__ = ["FX_SOURCES", "PAYMENT_METHODS", "Expense"]

FX_SOURCES = ("same", "ecb", "manual")


class Expense(ExpenseFieldsMixin, TimestampMixin, Base):
    """One amount spent, on a date; the shared fields come from `ExpenseFieldsMixin`."""

    __tablename__ = "expenses"
    __table_args__ = (
        *expense_field_constraints("expenses"),
        # Converted (all four set) or waiting for a rate (all four null), never half of each.
        sa.CheckConstraint(
            "(fx_source IS NULL AND base_amount IS NULL AND fx_rate IS NULL AND fx_date IS NULL)"
            " OR (fx_source IN ('same', 'ecb', 'manual') AND base_amount IS NOT NULL"
            " AND fx_rate IS NOT NULL AND fx_date IS NOT NULL)",
            name="fx_complete",
        ),
        sa.CheckConstraint("base_amount >= 0", name="base_amount_not_negative"),
        sa.CheckConstraint("fx_rate > 0", name="fx_rate_positive"),
        # Lists sort by date then id within one user; category filters and amount sorts too.
        # On PostgreSQL the date index also carries what totals need (category, payment method,
        # amount), so analytics over a period, category totals and the ids of a deep page are
        # read from the index alone (index-only scans); SQLite has no INCLUDE and ignores it.
        sa.Index(
            "ix_expenses_user_id_date_id",
            "user_id",
            "date",
            "id",
            postgresql_include=["category_id", "payment_method", "base_amount", "amount", "currency"],
        ),
        # The few expenses waiting for a rate, found without scanning the rest (`flask rates load`).
        sa.Index(
            "ix_expenses_unconverted",
            "currency",
            "date",
            postgresql_where=sa.text("fx_source IS NULL"),
            sqlite_where=sa.text("fx_source IS NULL"),
        ),
        sa.Index("ix_expenses_user_id_category_id_date", "user_id", "category_id", "date"),
        sa.Index("ix_expenses_user_id_amount_id", "user_id", "amount", "id"),
        sa.Index("ix_expenses_user_id_created_at_id", "user_id", "created_at", "id"),
        # Dedupe of imports: the same bank id, or the same raw row, from one source exists once.
        sa.Index(
            "uq_expenses_user_id_import_source_external_id",
            "user_id",
            "import_source",
            "external_id",
            unique=True,
            postgresql_where=sa.text("external_id IS NOT NULL"),
            sqlite_where=sa.text("external_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_expenses_user_id_import_source_fingerprint",
            "user_id",
            "import_source",
            "import_fingerprint",
            "import_occurrence",
            unique=True,
            postgresql_where=sa.text("import_fingerprint IS NOT NULL"),
            sqlite_where=sa.text("import_fingerprint IS NOT NULL"),
        ),
        # The text search `q` (lower(column) LIKE '%...%') on PostgreSQL: trigram indexes, which
        # a B-tree cannot replace, led by user_id (btree_gin) so that GIN intersects the owner's
        # entries with the trigrams inside the index: a word common across all users costs only
        # this user's matches (migration 0013; pg_trgm comes from 0004). SQLite has no such index
        # and scans the user's rows; declared here so autogenerate sees models and migrations agree.
        *(
            sa.Index(
                f"ix_expenses_user_id_{column}_trgm",
                "user_id",
                sa.func.lower(sa.column(column)).label(f"lower_{column}"),
                postgresql_using="gin",
                postgresql_ops={f"lower_{column}": "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("description", "notes")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(sa.Date)
    base_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    # 10 places: enough to reproduce base_amount = round_half_up(amount * fx_rate) from the row.
    fx_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 10))
    fx_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    fx_source: Mapped[str | None] = mapped_column(sa.String(10))
    import_source: Mapped[str | None] = mapped_column(sa.String(100))
    external_id: Mapped[str | None] = mapped_column(sa.String(100))
    import_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    import_occurrence: Mapped[int | None] = mapped_column()

    tags: Mapped[list[Tag]] = relationship(secondary=expense_tags, lazy="raise", order_by=Tag.name)

    def __repr__(self) -> str:
        return f"<Expense {self.id} {self.amount} on {self.date}>"
