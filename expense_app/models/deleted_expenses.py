"""`DeletedExpense`: a deleted expense kept for a while so that Undo can bring it back.

Deleting an expense removes its row (so every total, the stats triggers and every query forget it
at once, with no `deleted_at` filter to remember anywhere) and stores what is needed to restore it
here: its fields, its tag ids and its recurring link as JSON. Expenses deleted together share a
`batch_id`, so one Undo restores them all. Records older than the undo window are purged.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, UTCDateTime, utcnow


class DeletedExpense(Base):
    __tablename__ = "deleted_expenses"
    __table_args__ = (sa.Index("ix_deleted_expenses_user_id_batch_id", "user_id", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # The id the expense had; restored under it when it is still free.
    expense_id: Mapped[int] = mapped_column()
    # One delete request (one expense or several) is one batch, undone together.
    batch_id: Mapped[str] = mapped_column(sa.String(36))
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The expense's columns, its tag ids and its recurring-occurrence link, as written by the service.
    data: Mapped[dict] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<DeletedExpense {self.expense_id} batch={self.batch_id}>"
