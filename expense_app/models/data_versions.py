"""`UserDataVersion`: a number that moves whenever anything a user's lists or analytics show changes.

The expense list and the analytics answers carry an `ETag` built from it (`api.conditional`), so a
client that already holds the answer gets `304 Not Modified` after one primary-key read instead of
the query. Triggers (migration 0012) bump it on every write to what those answers are made of:
expenses, their tag links, tags, categories, and the user's base currency and locale. Like
`expense_stats`, the triggers see every writer (services, imports, recurring posts, bulk SQL, the
seed's COPY). Only the value's changes matter, never the value itself.

A user's row appears with their first write (registration creates the starter categories); deletes
only ever UPDATE it, as with `expense_stats`: inserting a row for a user whose deletion cascades
would break its foreign key. No row reads as version 0.

The SQLite batch-mode warning of `models.stats` applies here too: rebuilding `expenses`, `tags`,
`expense_tags`, `categories` or `users` in batch mode drops these triggers, which must then be
recreated (tests/api/test_conditional_requests.py fails without them).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base


class UserDataVersion(Base):
    __tablename__ = "user_data_versions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    def __repr__(self) -> str:
        return f"<UserDataVersion user={self.user_id} v{self.version}>"
