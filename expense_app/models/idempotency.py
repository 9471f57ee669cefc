"""`IdempotencyKey`: the first answer to a POST sent with an `Idempotency-Key` header.

A client that retries a POST (a timeout, a dropped connection) sends the same key again and gets
the stored answer instead of a second expense. The row is claimed before the work is done
(`status_code` null = in progress), so two concurrent requests with one key cannot both do it.
The body's hash tells a true retry from a different request reusing a key. Rows expire after 24 h.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, UTCDateTime, utcnow


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    # What the key was used for: the method and path, and the SHA-256 of the body (hex).
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(500))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    # The stored answer; null while the first request is still being handled.
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_headers: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<IdempotencyKey user={self.user_id} {self.key!r}>"
