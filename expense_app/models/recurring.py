"""The `RecurringExpense` aggregate: an expense template with a schedule, and its occurrence ledger.

A template holds everything an expense holds plus a schedule: every `interval_count`
`interval_unit`s (day, week, month, year) counted from `start_date`, optionally ending on
`end_date` or after `max_occurrences` occurrences (counted from `start_date`). `applies_from`
is set on the later half of a split ("this and future occurrences"): it keeps the original
`start_date` as the schedule's anchor, so a rent on the 31st stays on the 31st, while
occurrences before `applies_from` belong to the earlier template. `split_from_id` links the later
half to the template it was split from, and is UNIQUE: the database itself refuses a second
successor of one template, so two concurrent "this and future" edits cannot both take over the
same dates (which would post them twice). Deleting the earlier half keeps the later one
(the link becomes NULL).

`RecurringOccurrence` is the ledger: one row per occurrence that was posted (with the expense
it created) or skipped. Its UNIQUE (recurring_id, occurrence_date) makes posting idempotent
in the database itself: two posting runs at the same moment cannot both insert the same row.
"""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expense_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from expense_app.models.expense_fields import ExpenseFieldsMixin, expense_field_constraints
from expense_app.models.tags import Tag

INTERVAL_UNITS = ("day", "week", "month", "year")
OCCURRENCE_STATUSES = ("posted", "skipped")

recurring_expense_tags = sa.Table(
    "recurring_expense_tags",
    Base.metadata,
    sa.Column("recurring_id", sa.ForeignKey("recurring_expenses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class RecurringExpense(ExpenseFieldsMixin, TimestampMixin, Base):
    """A template of future expenses: the shared fields (`ExpenseFieldsMixin`) plus a schedule."""

    __tablename__ = "recurring_expenses"
    __table_args__ = (
        *expense_field_constraints("recurring_expenses"),
        sa.CheckConstraint(
            "interval_unit IN (" + ", ".join(f"'{u}'" for u in INTERVAL_UNITS) + ")",
            name="interval_unit_known",
        ),
        sa.CheckConstraint("interval_count >= 1", name="interval_count_positive"),
        sa.CheckConstraint("max_occurrences IS NULL OR max_occurrences >= 1", name="max_occurrences_positive"),
        sa.Index("ix_recurring_expenses_user_id_id", "user_id", "id"),
        sa.UniqueConstraint("split_from_id", name="uq_recurring_expenses_split_from_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)

    start_date: Mapped[dt.date] = mapped_column(sa.Date)
    interval_unit: Mapped[str] = mapped_column(sa.String(5), default="month")
    interval_count: Mapped[int] = mapped_column(default=1)
    end_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    max_occurrences: Mapped[int | None] = mapped_column()
    applies_from: Mapped[dt.date | None] = mapped_column(sa.Date)
    # The template this one is the later half of (see the module docstring).
    split_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recurring_expenses.id", ondelete="SET NULL"), default=None
    )
    paused: Mapped[bool] = mapped_column(default=False)
    # The day the template was paused; occurrences from then until resuming are skipped.
    paused_at: Mapped[dt.date | None] = mapped_column(sa.Date)

    tags: Mapped[list[Tag]] = relationship(secondary=recurring_expense_tags, lazy="raise", order_by=Tag.name)

    def __repr__(self) -> str:
        return f"<RecurringExpense {self.id} {self.amount} every {self.interval_count} {self.interval_unit}>"


class RecurringOccurrence(Base):
    __tablename__ = "recurring_occurrences"
    __table_args__ = (
        sa.UniqueConstraint("recurring_id", "occurrence_date", name="uq_recurring_occurrences_recurring_id_date"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in OCCURRENCE_STATUSES) + ")",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recurring_id: Mapped[int] = mapped_column(sa.ForeignKey("recurring_expenses.id", ondelete="CASCADE"))
    occurrence_date: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(7))
    # The expense posted for this occurrence; deleting that expense keeps the row, so the
    # occurrence is not posted again.
    expense_id: Mapped[int | None] = mapped_column(sa.ForeignKey("expenses.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<RecurringOccurrence {self.recurring_id} {self.occurrence_date} {self.status}>"
