"""Deleting a category that recurring expenses use: refused without a target, moved with one."""

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict
from expense_app.extensions import db
from expense_app.models import Budget, Category, RecurringExpense
from expense_app.services import accounts, budgets, categories, recurring
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def owner():
    return accounts.register_user(email="owner@example.com", password=PASSWORD)


def _category(user, name: str) -> int:
    return db.session.scalar(sa.select(Category.id).where(Category.user_id == user.id, Category.name == name))


def test_a_category_with_only_a_recurring_expense_is_not_deleted(owner):
    housing = _category(owner, "Housing")
    recurring.create_recurring(user=owner, amount="900.00", category_id=housing, start_date="2026-01-31")
    with pytest.raises(Conflict, match="1 recurring expense"):
        categories.delete_category(user=owner, category_id=housing)
    assert db.session.get(Category, housing) is not None


def test_reassigning_moves_recurring_expenses_too_and_drops_the_budget(owner):
    housing, other = _category(owner, "Housing"), _category(owner, "Other")
    template = recurring.create_recurring(user=owner, amount="900.00", category_id=housing, start_date="2026-01-31")
    budgets.create_budget(user=owner, category_id=housing, amount="1000.00")
    categories.delete_category(user=owner, category_id=housing, reassign_to=other)
    db.session.expire_all()
    assert db.session.get(Category, housing) is None
    assert db.session.get(RecurringExpense, template.id).category_id == other
    assert db.session.scalar(sa.select(sa.func.count(Budget.id)).where(Budget.user_id == owner.id)) == 0
