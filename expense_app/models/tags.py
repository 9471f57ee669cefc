"""The `Tag` aggregate: a user's free-form label, and the expense-tag association table."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, TimestampMixin

expense_tags = sa.Table(
    "expense_tags",
    Base.metadata,
    sa.Column("expense_id", sa.ForeignKey("expenses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(TimestampMixin, Base):
    __tablename__ = "tags"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_tags_user_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Stored trimmed and lower-cased by the service.
    name: Mapped[str] = mapped_column(sa.String(50))

    def __repr__(self) -> str:
        return f"<Tag {self.id} {self.name!r}>"
