"""The dashboard shows this month's budget cards and warns when a budget is exceeded."""

import datetime as dt

from expense_app.extensions import db
from expense_app.services import budgets, categories, expenses


def _food_budget_with_spending(app, user, spent: str):
    with app.app_context():
        food = next(c for c in categories.list_categories(user=user) if c.name == "Food")
        budgets.create_budget(user=user, category_id=food.id, amount="100.00", rollover="none")
        expenses.create_expense(user=user, amount=spent, date=dt.date.today(), category_id=food.id)
        db.session.remove()


def test_dashboard_shows_budget_cards(client, app, user, login):
    _food_budget_with_spending(app, user, "40.00")
    login(user)
    page = client.get("/").text
    assert 'id="budget-cards"' in page
    assert "Food" in page
    assert "Over budget" not in page


def test_dashboard_warns_when_over_budget(client, app, user, login):
    _food_budget_with_spending(app, user, "120.00")
    login(user)
    page = client.get("/").text
    assert 'id="budget-cards"' in page
    assert "Over budget" in page or "over budget" in page


def test_new_user_sees_the_empty_state_without_budget_cards(client, user, login):
    login(user)
    page = client.get("/").text
    assert 'id="empty-state"' in page
    assert 'id="budget-cards"' not in page
