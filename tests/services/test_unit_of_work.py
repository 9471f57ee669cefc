"""The unit of work (`services.unit_of_work.transaction`), without HTTP: commit once, roll back on
anything, join an enclosing one, turn a refused constraint into a Conflict, refuse writes outside."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict
from expense_app.extensions import db
from expense_app.models import Category, User
from expense_app.services.unit_of_work import WriteOutsideUnitOfWork, transaction
from tests.factories import category_id


def names(user) -> list[str]:
    return sorted(db.session.scalars(sa.select(Category.name).where(Category.user_id == user.id)))


def new_category(user, name: str) -> Category:
    return Category(user_id=user.id, name=name, name_key=name.casefold(), color="#123456")


def test_the_block_commits_once_at_its_end(ctx, user):
    with transaction() as session:
        session.add(new_category(user, "Books"))
    db.session.rollback()  # nothing left to undo: it was committed
    assert "Books" in names(user)


def test_any_exception_rolls_the_whole_block_back(ctx, user):
    with pytest.raises(KeyError), transaction() as session:
        session.add(new_category(user, "Books"))
        session.flush()
        session.execute(sa.update(User).where(User.id == user.id).values(full_name="Changed"))
        raise KeyError("the use case failed halfway")
    assert "Books" not in names(user)
    assert db.session.scalar(sa.select(User.full_name).where(User.id == user.id)) == "Alex"


def test_an_inner_block_joins_the_outer_one(ctx, user):
    with pytest.raises(RuntimeError), transaction() as session:
        with transaction():
            session.add(new_category(user, "Inner"))
        assert session.in_transaction()  # the inner block did not commit
        raise RuntimeError("the outer use case fails after the inner one succeeded")
    assert "Inner" not in names(user)


def test_a_refused_constraint_becomes_a_conflict(ctx, user):
    with pytest.raises(Conflict) as error, transaction() as session:
        session.add(new_category(user, "Food"))  # the starter category's name_key is taken
    assert "clashes with another change" in error.value.message
    taken = Conflict("That name is taken.", {"name": ["That name is taken."]})
    with pytest.raises(Conflict) as error, transaction(conflict=taken) as session:
        session.add(new_category(user, "Food"))
    assert error.value is taken
    assert names(user).count("Food") == 1


def test_writes_outside_a_unit_of_work_are_refused(ctx, user):
    db.session.add(new_category(user, "Stray"))
    with pytest.raises(WriteOutsideUnitOfWork):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(WriteOutsideUnitOfWork):
        db.session.execute(sa.delete(Category).where(Category.id == category_id(user, "Food")))
    db.session.rollback()
    assert "Stray" not in names(user) and "Food" in names(user)
