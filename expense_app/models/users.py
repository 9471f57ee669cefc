"""The `User` aggregate: an account that owns categories, expenses, tags and token families."""

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, TimestampMixin


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (trimmed, lower-cased) so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    full_name: Mapped[str] = mapped_column(sa.String(100), default="")
    # The base currency: every total is in it, and every expense stores its amount converted to it.
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    # How numbers, amounts and dates are written on the pages (a Babel locale id such as `de_DE`).
    locale: Mapped[str] = mapped_column(sa.String(35), default="en_US", server_default="en_US")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change: it is part of the session id, so other sessions end.
    session_version: Mapped[int] = mapped_column(default=1)

    def get_id(self) -> str:
        """The flask-login session id: `"<id>.<session_version>"`."""
        return f"{self.id}.{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"
