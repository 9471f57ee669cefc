"""The `User` aggregate: an account that owns categories, expenses, tags and token families."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from expense_app.models.base import Base, TimestampMixin, UTCDateTime


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
    # Two-factor sign-in (issue 16). The TOTP secret is stored encrypted (`expense_app.crypto`);
    # `totp_pending_secret` holds an enrolment until a correct code confirms it. The last accepted
    # time step makes every code single-use.
    totp_secret: Mapped[str | None] = mapped_column(sa.Text())
    totp_pending_secret: Mapped[str | None] = mapped_column(sa.Text())
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The user's data version (`models.data_versions`) as read by the query that authenticated
    # this request, when that query asked for it (`services.data_versions.loading_data_version`):
    # the API's ETags then cost no query of their own. None when not loaded.
    data_version_at_load: Mapped[int | None] = query_expression()

    @property
    def mfa_enabled(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    # The browser session this object was signed in or loaded with (not a column): set by
    # `expense_app.web.session_login` before flask-login asks for `get_id`.
    web_sid = None

    def get_id(self) -> str:
        """The flask-login session id: `"<id>.<session_version>.<sid>"` (see `services.sign_ins`)."""
        return f"{self.id}.{self.session_version}.{self.web_sid or ''}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"
