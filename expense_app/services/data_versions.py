"""A user's data version: one number that moves with every write their lists and analytics show.

Kept by database triggers (`models.data_versions`, migration 0012), read here in one primary-key
lookup; the API derives its ETags from it (`api.conditional`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import with_expression

from expense_app.extensions import db
from expense_app.models import User, UserDataVersion


def loading_data_version():
    """A loader option for a query that loads a `User`: read their data version in the same
    statement (a correlated primary-key lookup), into `User.data_version_at_load`.

    The authentication queries use it: a list or analytics request then reads the version it
    derives its ETag from without a round trip of its own. Each request has its own session, so the
    user (and the version) is loaded fresh by every request's authentication."""
    version = sa.select(UserDataVersion.version).where(UserDataVersion.user_id == User.id).scalar_subquery()
    return with_expression(User.data_version_at_load, sa.func.coalesce(version, 0))


def data_version(*, user: User) -> int:
    """The version of `user`'s data (0 before their first write): as loaded with the user by this
    request's authentication when it was, else read now."""
    if user.data_version_at_load is not None:
        return user.data_version_at_load
    version = db.session.scalar(sa.select(UserDataVersion.version).where(UserDataVersion.user_id == user.id))
    return version or 0
