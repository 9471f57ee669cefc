"""Fixtures for service tests: a second user, category lookups, quick expense creation, SQL counting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from expense_app.models import User
from tests import factories


def category_id_of(user: User, name: str = "Food") -> int:
    """The id of `user`'s category called `name` (a starter category by default)."""
    return factories.category_id(user, name)


@contextmanager
def count_statements(engine: sa.Engine) -> Iterator[list[str]]:
    """Collect the SQL statements sent to the database while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def other_user(make_user):
    return make_user(email="sam@example.com", full_name="Sam")


@pytest.fixture
def food(ctx, user) -> int:
    return category_id_of(user, "Food")


@pytest.fixture
def add_expense(ctx, user):
    """Create an expense through the service; returns its id. Defaults: 10.00 on 2026-01-15 in Food."""

    def add(owner: User | None = None, **fields) -> int:
        return factories.create_expense(owner or user, **fields)

    return add
