"""The rules pages in headless Chromium: the "Done when" coffee scenario as a person goes through
it (live preview while typing, the rule saved, a dry run over the last year, apply, undo, every figure
matching the data), and the category suggested on the expense form as the description is typed.

The page guards of tests/e2e/conftest.py fail each test on a console error, a CSP violation or a
failed request. Screenshots go to test-artifacts/e2e/screens/.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense
from expense_app.models.base import utcnow
from tests import factories
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, log_in

SCREENS = ARTIFACTS / "screens"


def coffee_year(app, user) -> tuple[int, int]:
    """Coffee every 20 days over 16 months (in Shopping) and groceries: (coffee in the last year, all coffee)."""
    today = utcnow().date()
    in_year = total = 0
    with app.app_context():
        for days in range(0, 480, 20):
            factories.create_expense(
                user,
                amount="3.40",
                date=today - dt.timedelta(days=days),
                description="Coffee to go",
                category="Shopping",
            )
            total += 1
            in_year += days <= 364
            factories.create_expense(
                user, amount="48.00", date=today - dt.timedelta(days=days + 1), description="Groceries"
            )
    return in_year, total


def categories_of_coffee(app, user) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Expense)
            .where(Expense.user_id == user.id, Expense.description == "Coffee to go")
            .options(sa.orm.selectinload(Expense.tags), sa.orm.selectinload(Expense.category))
            .order_by(Expense.id)
        ).all()
        return [(row.category.name, len(row.tags)) for row in rows]


def test_coffee_rule_previewed_run_applied_and_undone(app, browser_page, make_user):
    page = browser_page
    user = make_user(email="coffee@example.com")
    in_year, total = coffee_year(app, user)
    before = categories_of_coffee(app, user)
    log_in(page, user.email, PASSWORD)

    page.goto("/rules")
    page.get_by_role("link", name="Add rule").first.click()
    page.get_by_label("Name").fill("Coffee")
    page.locator("#conditions-0-field").select_option("description")
    page.locator("#conditions-0-value").fill("coffee")
    page.locator("#actions-0-type").select_option("set_category")
    page.locator("#actions-0-category_id").select_option(label="Food")
    page.get_by_role("button", name="Add an action").click()
    page.locator("#actions-1-type").select_option("add_tags")
    page.locator("#actions-1-tags").fill("coffee")
    # The live preview counts every coffee expense, before anything is saved.
    page.locator("#live-preview-heading").filter(has_text=f"Matches {total} of your expenses").wait_for()
    assert categories_of_coffee(app, user) == before
    page.screenshot(path=str(SCREENS / "rule-live-preview.png"), full_page=True)
    page.get_by_role("button", name="Save rule").click()
    assert "Rule “Coffee” saved." in page.locator(".alert-success").inner_text()

    page.get_by_role("link", name="Run rules on existing expenses").click()
    page.get_by_role("button", name="Dry run").click()
    heading = page.locator("#dry-run-heading").inner_text()
    assert heading == f"{in_year} of {in_year * 2} expenses would change"
    assert page.locator("#changes tbody tr").count() == in_year
    assert categories_of_coffee(app, user) == before
    page.screenshot(path=str(SCREENS / "rule-dry-run.png"), full_page=True)

    page.get_by_role("button", name=f"Apply these {in_year} changes").click()
    assert page.locator("#change-count").inner_text() == str(in_year)
    after = categories_of_coffee(app, user)
    assert sum(1 for name, tags in after if name == "Food" and tags == 1) == in_year
    assert sum(1 for name, tags in after if name == "Shopping" and tags == 0) == total - in_year

    page.get_by_role("button", name="Undo this run").click()
    assert f"Run undone: {in_year} expenses restored." in page.locator(".alert").first.inner_text()
    assert categories_of_coffee(app, user) == before


def test_the_expense_form_suggests_a_category_the_user_can_change(app, browser_page, make_user):
    page = browser_page
    user = make_user(email="suggest@example.com")
    with app.app_context():
        for day in (3, 10, 17, 24):
            factories.create_expense(user, date=f"2026-01-{day:02d}", description=f"CARD 12{day} STARBUCKS #{day}")
        factories.create_expense(user, date="2026-01-28", description="Starbucks", category="Shopping")
    log_in(page, user.email, PASSWORD)
    page.goto("/expenses/new")
    category = page.locator("#category_id")
    category.select_option(label="Transport")
    page.locator("#description").fill("Starbucks")
    hint = page.locator(".category-hint")
    # Chosen by hand first: the suggestion does not override it.
    page.wait_for_timeout(600)  # longer than the script's debounce: it would have answered
    assert category.locator("option:checked").inner_text() == "Transport"
    page.goto("/expenses/new")
    page.locator("#description").fill("Starbucks")
    hint.filter(has_text="Suggested from 4 of your 5").wait_for()
    assert category.locator("option:checked").inner_text() == "Food"
    page.screenshot(path=str(SCREENS / "expense-category-suggested.png"), full_page=True)
    category.select_option(label="Health")
    assert hint.inner_text() == ""
