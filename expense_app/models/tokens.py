"""Refresh-token families: the server-side state behind JWT rotation and revocation.

Every login starts a family. Access and refresh tokens carry its id in the `fam` claim. A refresh
succeeds only with the family's current refresh `jti`, and atomically replaces it; a stale jti is a
replay, which revokes the whole family. Revoking a family kills its access tokens too, because the
blocklist check looks the family up on every protected request.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, UTCDateTime, utcnow


class TokenFamily(Base):
    __tablename__ = "token_families"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    current_jti: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Shown on the security page (issue 16): where the login came from, when it was last refreshed.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    client_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    def __repr__(self) -> str:
        return f"<TokenFamily {self.id} user={self.user_id}>"
