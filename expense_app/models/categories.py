"""The `Category` aggregate: a user's named, coloured bucket for expenses."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, TimestampMixin

# A new user's starter set: name and colour (Bootstrap-palette hues, readable on light and dark).
DEFAULT_CATEGORIES = (
    ("Food", "#198754"),
    ("Transport", "#0d6efd"),
    ("Housing", "#6f42c1"),
    ("Utilities", "#fd7e14"),
    ("Health", "#dc3545"),
    ("Entertainment", "#d63384"),
    ("Shopping", "#20c997"),
    ("Other", "#6c757d"),
)


class Category(TimestampMixin, Base):
    __tablename__ = "categories"
    __table_args__ = (
        # name_key is the case-folded name: uniqueness per user ignores case.
        sa.UniqueConstraint("user_id", "name_key", name="uq_categories_user_id_name_key"),
        # Target of the expenses' composite foreign key: an expense's category has the same owner.
        sa.UniqueConstraint("id", "user_id", name="uq_categories_id_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    name_key: Mapped[str] = mapped_column(sa.String(50))
    color: Mapped[str] = mapped_column(sa.String(7), default="#6c757d")
    icon: Mapped[str | None] = mapped_column(sa.String(32))

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name!r}>"
