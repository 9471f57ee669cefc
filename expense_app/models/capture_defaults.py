"""`CaptureDefaults`: what quick-add pre-selects for a user, remembered from their last quick-add.

Kept in its own row rather than on `users`, so the category reference does not make `users` and
`categories` refer to each other. Deleting the category clears it (the form then falls back).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base


class CaptureDefaults(Base):
    __tablename__ = "capture_defaults"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="SET NULL"), index=True)
    payment_method: Mapped[str | None] = mapped_column(sa.String(20))

    def __repr__(self) -> str:
        return f"<CaptureDefaults user={self.user_id} category={self.category_id}>"
