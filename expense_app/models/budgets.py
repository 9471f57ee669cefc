"""The `Budget` aggregate: a monthly spending plan for one category, or overall, with rollover.

A budget is a scope (one category of the user, or `category_id` NULL for the overall budget)
plus its versions. Each `BudgetVersion` holds the amount and the rollover mode in force from its
`effective_from` month (always the 1st) until the next version, so changing a budget from a
month onward never rewrites the figures of earlier months.
"""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expense_app.models.base import Base, TimestampMixin
from expense_app.models.categories import Category

ROLLOVER_MODES = ("none", "surplus", "full")


class Budget(TimestampMixin, Base):
    __tablename__ = "budgets"
    __table_args__ = (
        # A category budget's category has the same owner; deleting the category deletes its budget.
        # With category_id NULL (the overall budget) the foreign key does not apply.
        sa.ForeignKeyConstraint(
            ["category_id", "user_id"],
            ["categories.id", "categories.user_id"],
            name="fk_budgets_category_id_user_id_categories",
            ondelete="CASCADE",
        ),
        # One budget per category per user. NULLs are distinct in a UNIQUE constraint on both
        # databases, so the overall budget (category_id NULL) gets its own partial unique index:
        # at most one row per user where category_id IS NULL. Both SQLite and PostgreSQL have
        # partial indexes.
        sa.UniqueConstraint("user_id", "category_id", name="uq_budgets_user_id_category_id"),
        sa.Index(
            "uq_budgets_user_id_overall",
            "user_id",
            unique=True,
            sqlite_where=sa.text("category_id IS NULL"),
            postgresql_where=sa.text("category_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column()

    category: Mapped[Category | None] = relationship(lazy="raise")
    versions: Mapped[list["BudgetVersion"]] = relationship(
        back_populates="budget",
        lazy="raise",
        order_by="BudgetVersion.effective_from",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Budget {self.id} category={self.category_id}>"


class BudgetVersion(TimestampMixin, Base):
    __tablename__ = "budget_versions"
    __table_args__ = (
        sa.UniqueConstraint("budget_id", "effective_from", name="uq_budget_versions_budget_id_effective_from"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint(
            "rollover IN (" + ", ".join(f"'{mode}'" for mode in ROLLOVER_MODES) + ")",
            name="rollover_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(sa.ForeignKey("budgets.id", ondelete="CASCADE"))
    # The first day of the first month this version applies to.
    effective_from: Mapped[dt.date] = mapped_column(sa.Date)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    rollover: Mapped[str] = mapped_column(sa.String(10), default="none")

    budget: Mapped[Budget] = relationship(back_populates="versions", lazy="raise")

    def __repr__(self) -> str:
        return f"<BudgetVersion {self.budget_id} from {self.effective_from}: {self.amount} {self.rollover}>"
