"""Deleting a category that has a budget and a recurring expense attached, as `services/categories`
documents it: refused (409) while a recurring expense uses it, unless `reassign_to` names another
category; then the recurring expense moves there and the category's budget is deleted with it
(the database cascades). Never a 500, on either face."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict
from expense_app.extensions import db
from expense_app.models import Budget, BudgetVersion, Category, Expense, RecurringExpense
from expense_app.services import budgets, categories, recurring
from tests.conftest import count_rows
from tests.services.conftest import category_id_of


@pytest.fixture
def plans(app, user):
    """Housing with a budget (900.00) and a monthly rent template; Other with its own budget (50.00)."""
    with app.app_context():
        housing, other = category_id_of(user, "Housing"), category_id_of(user, "Other")
        housing_budget = budgets.create_budget(
            user=user, category_id=housing, amount="900.00", effective_from="2026-01"
        )
        other_budget = budgets.create_budget(user=user, category_id=other, amount="50.00", effective_from="2026-01")
        template = recurring.create_recurring(
            user=user, amount="800.00", category_id=housing, start_date=dt.date(2026, 1, 31), description="Rent"
        )
        return {
            "housing": housing,
            "other": other,
            "housing_budget": housing_budget.id,
            "other_budget": other_budget.id,
            "template": template.id,
        }


def budget_amounts(user_id: int) -> dict[int | None, str]:
    rows = db.session.execute(
        sa.select(Budget.category_id, BudgetVersion.amount).join(BudgetVersion).where(Budget.user_id == user_id)
    )
    return {category_id: str(amount) for category_id, amount in rows}


def test_without_a_target_the_deletion_is_refused_and_nothing_changes(ctx, user, plans):
    with pytest.raises(Conflict) as error:
        categories.delete_category(user=user, category_id=plans["housing"])
    assert "1 recurring expense" in error.value.message
    db.session.expire_all()
    assert db.session.get(Category, plans["housing"]) is not None
    assert db.session.get(RecurringExpense, plans["template"]).category_id == plans["housing"]
    assert budget_amounts(user.id) == {plans["housing"]: "900.00", plans["other"]: "50.00"}


def test_with_a_target_the_template_moves_and_the_budget_goes_with_the_category(ctx, user, plans):
    categories.delete_category(user=user, category_id=plans["housing"], reassign_to=plans["other"])
    db.session.expire_all()
    assert db.session.get(Category, plans["housing"]) is None
    assert db.session.get(RecurringExpense, plans["template"]).category_id == plans["other"]
    # The deleted category's budget is gone; the target's own budget is untouched (not merged).
    assert budget_amounts(user.id) == {plans["other"]: "50.00"}
    # The moved template posts into its new category, and the budget there counts it.
    assert recurring.post_due(user=user, today=dt.date(2026, 1, 31)) == 1
    assert db.session.scalar(sa.select(Expense.category_id)) == plans["other"]
    [line] = budgets.budget_status(user=user, month="2026-01", today=dt.date(2026, 2, 1)).lines
    assert (line.category_id, str(line.spent), line.over_budget) == (plans["other"], "800.00", True)


def test_a_category_with_only_a_budget_is_deleted_with_it(ctx, user, plans):
    food = category_id_of(user, "Food")
    budgets.create_budget(user=user, category_id=food, amount="300.00")
    categories.delete_category(user=user, category_id=food)
    db.session.expire_all()
    assert db.session.get(Category, food) is None
    assert food not in budget_amounts(user.id) and len(budget_amounts(user.id)) == 2


def test_the_api_refuses_with_409_then_moves_with_reassign_to(app, client, api_headers, user, plans):
    url = f"/api/v1/categories/{plans['housing']}"
    refused = client.delete(url, headers=api_headers)
    assert refused.status_code == 409 and "1 recurring expense" in refused.json["message"]
    assert count_rows(app, Budget) == 2
    moved = client.delete(f"{url}?reassign_to={plans['other']}", headers=api_headers)
    assert moved.status_code == 204
    template = client.get(f"/api/v1/recurring/{plans['template']}", headers=api_headers).json
    assert template["category_id"] == plans["other"]
    assert [item["category_id"] for item in client.get("/api/v1/budgets", headers=api_headers).json] == [plans["other"]]


def test_the_web_page_refuses_with_409_then_moves_with_a_target(app, client, login, user, plans):
    login(user)
    url = f"/categories/{plans['housing']}/delete"
    refused = client.post(url, data={"reassign_to": ""})
    assert refused.status_code == 409 and "1 recurring expense" in refused.text
    assert count_rows(app, Category) > 0 and count_rows(app, Budget) == 2
    moved = client.post(url, data={"reassign_to": str(plans["other"])})
    assert moved.status_code == 302
    assert count_rows(app, Budget) == 1
    page = client.get("/recurring").text
    assert f'data-recurring-id="{plans["template"]}"' in page
