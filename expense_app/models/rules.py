"""Categorisation rules: a user's ordered list of "when these conditions hold, do these actions".

A rule's conditions and actions are small JSON documents validated by
`services/categorization.py` (the only writer): a list of `{"field", "operator", "value"[, "value2"]}`
and a list of `{"type", ...}`. JSON rather than child tables because a rule is always read, checked
and written whole, and its parts have no identity of their own.

A run of the rules over existing expenses is kept (`RuleRun`) with one `RuleRunChange` per expense
it changed, holding the expense's fields before and after, so the run can be undone.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow

RULE_MATCH_MODES = ("all", "any")


class Rule(TimestampMixin, Base):
    __tablename__ = "rules"
    __table_args__ = (
        sa.CheckConstraint("match IN ('all', 'any')", name="match_known"),
        sa.Index("ix_rules_user_id_position", "user_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(default=True)
    # `all`: every condition must hold; `any`: one is enough.
    match: Mapped[str] = mapped_column(sa.String(3), default="all")
    # Rules run in ascending position (then id); the service keeps positions 0..n-1.
    position: Mapped[int] = mapped_column(default=0)
    # When this rule matched, the rules after it are not tried.
    stop_after: Mapped[bool] = mapped_column(default=False)
    conditions: Mapped[list] = mapped_column(sa.JSON)
    actions: Mapped[list] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<Rule {self.id} {self.name!r}>"


class RuleRun(Base):
    __tablename__ = "rule_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The expenses' date range the run covered, and which rules it ran (null: all active ones).
    date_from: Mapped[date] = mapped_column(sa.Date)
    date_to: Mapped[date] = mapped_column(sa.Date)
    rule_ids: Mapped[list | None] = mapped_column(sa.JSON)
    change_count: Mapped[int] = mapped_column(default=0)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<RuleRun {self.id} user={self.user_id} {self.change_count} changes>"


class RuleRunChange(Base):
    __tablename__ = "rule_run_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("rule_runs.id", ondelete="CASCADE"), index=True)
    # A deleted expense takes its change records with it: there is nothing left to undo.
    expense_id: Mapped[int] = mapped_column(sa.ForeignKey("expenses.id", ondelete="CASCADE"), index=True)
    # The fields a rule can change (category_id, description, payment_method, tag_ids), before and after.
    before: Mapped[dict] = mapped_column(sa.JSON)
    after: Mapped[dict] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<RuleRunChange run={self.run_id} expense={self.expense_id}>"
