"""The factories and the full-user fixture: every table a user can own is found and filled.

`make_full_user` is what account deletion and the security matrix trust to cover every table, so
it is tested itself: the tables are read from the metadata (link tables through their foreign
keys included), two users' rows never mix, and a table the factories do not fill fails by name.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from tests import factories

# Tables that belong to a user only through a foreign key: the recursive lookup must find them.
LINKED_ONLY = {"expense_tags", "budget_versions", "recurring_expense_tags", "recurring_occurrences"}


def test_owned_tables_are_read_from_the_metadata_links_included(app):
    with app.app_context():
        owned = set(factories.owned_tables())
        with_user_id = {table.name for table in db.metadata.sorted_tables if "user_id" in table.c}
    assert with_user_id <= owned
    assert owned >= LINKED_ONLY
    assert "users" in owned


def test_a_full_user_owns_rows_of_every_table_and_none_of_another_users(app, full_user, other_full_user):
    with app.app_context():
        mine = factories.owned_rows(full_user.id)
        theirs = factories.owned_rows(other_full_user.id)
        everything = factories.all_rows()
    for table, rows in mine.items():
        assert rows, f"the full user has no row in {table}"
        assert not set(rows) & set(theirs[table]), f"{table}: a row counted as both users'"
        # Two users and nothing else: every row of the table is one of theirs.
        assert sorted(rows + theirs[table]) == everything[table], table


def test_history_adds_two_years_in_several_currencies(app, full_user_with_history):
    from expense_app.models import Expense

    with app.app_context():
        rows = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(Expense.date), sa.func.max(Expense.date)).where(
                Expense.user_id == full_user_with_history.id
            )
        ).one()
        currencies = set(db.session.scalars(sa.select(Expense.currency).distinct()))
    count, first, last = rows
    assert count >= 200
    assert (last - first).days >= 700
    assert len(currencies) >= 3


@pytest.fixture
def untaught_table(app):
    """A new table owned through `user_id` that no factory fills, created for one test."""
    table = sa.Table(
        "untaught_things",
        db.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE")),
    )
    with app.app_context():
        table.create(db.engine)
    yield table
    with app.app_context():
        table.drop(db.engine)
        db.engine.dispose()
    db.metadata.remove(table)


def test_a_table_nobody_taught_the_factories_fails_with_its_name(make_full_user, untaught_table):
    with pytest.raises(pytest.fail.Exception, match="untaught_things"):
        make_full_user()
