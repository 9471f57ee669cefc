"""A user's data version: one number that moves with every write their lists and analytics show.

Kept by database triggers (`models.data_versions`, migration 0012), read here in one primary-key
lookup; the API derives its ETags from it (`api.conditional`).
"""

from __future__ import annotations

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import User, UserDataVersion


def data_version(*, user: User) -> int:
    """The current version of `user`'s data (0 before their first write)."""
    version = db.session.scalar(sa.select(UserDataVersion.version).where(UserDataVersion.user_id == user.id))
    return version or 0
