"""Run rules on existing expenses from the browser: the "Done when" coffee scenario over a year and
more of data (preview before saving, dry run that changes nothing, apply, undo, every figure
matching), paging, refusals, an undo that skips an expense changed since, and isolation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense, RuleRun
from expense_app.models.base import utcnow
from expense_app.services import categorization, expenses
from tests import factories
from tests.conftest import count_rows


def today() -> dt.date:
    return utcnow().date()


@pytest.fixture
def logged_in(client, user, login):
    login(user)
    return client


def state(app, user) -> dict[int, tuple]:
    """Each expense of `user`: (category, description, payment method, sorted tags)."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Expense).where(Expense.user_id == user.id).options(sa.orm.selectinload(Expense.tags))
        ).all()
        return {
            row.id: (row.category_id, row.description, row.payment_method, tuple(sorted(t.name for t in row.tags)))
            for row in rows
        }


@pytest.fixture
def year_of_coffee(app, user):
    """About 16 months of expenses in three currencies: coffee every 9 days (some already Food with the
    tag, some in Shopping, some 'COFFEE' in capitals), groceries and rent around them."""
    made = {"coffee": [], "in_range": [], "already": []}
    start = today() - dt.timedelta(days=480)
    with app.app_context():
        food = factories.category_id(user, "Food")
        for number in range(0, 480, 9):
            day = start + dt.timedelta(days=number)
            already = number % 45 == 0
            expense_id = factories.create_expense(
                user,
                amount=f"{3 + number % 4}.{number % 100:02d}",
                date=day,
                description=("COFFEE beans" if number % 2 else f"Coffee at Luigi's #{number}"),
                category_id=food if already else factories.category_id(user, "Shopping"),
                tags=["coffee"] if already else ["morning"] if number % 3 == 0 else [],
                currency=("USD", "EUR", "GBP")[number % 3],
            )
            made["coffee"].append(expense_id)
            if day >= today() - dt.timedelta(days=364):
                (made["already"] if already else made["in_range"]).append(expense_id)
        for number in range(0, 480, 15):
            factories.create_expense(
                user, amount="54.10", date=start + dt.timedelta(days=number), description="Groceries"
            )
            factories.create_expense(
                user,
                amount="950.00",
                date=start + dt.timedelta(days=number + 3),
                description="Rent",
                category="Housing",
            )
    assert len(made["in_range"]) > 30 and made["already"]
    return made


def coffee_form(app, user) -> dict:
    with app.app_context():
        food = factories.category_id(user, "Food")
    return {
        "name": "Coffee",
        "match": "all",
        "conditions-0-field": "description",
        "conditions-0-operator": "contains",
        "conditions-0-value": "coffee",
        "actions-0-type": "set_category",
        "actions-0-category_id": str(food),
        "actions-1-type": "add_tags",
        "actions-1-tags": "coffee",
        "active": "y",
    }


def count_in(html: str, attribute: str) -> int:
    return int(re.search(rf'{attribute}="(\d+)"', html).group(1))


def test_coffee_scenario_preview_dry_run_apply_undo(app, logged_in, user, year_of_coffee):
    before = state(app, user)
    expected = len(year_of_coffee["in_range"])

    # Before saving: the preview counts every coffee expense, of any date, and saves nothing.
    preview = logged_in.post("/rules/new", data={**coffee_form(app, user), "preview": "Preview"})
    assert count_in(preview.text, "data-match-count") == len(year_of_coffee["coffee"])
    assert state(app, user) == before
    assert logged_in.post("/rules/new", data=coffee_form(app, user)).status_code == 302

    # The run page proposes the last 12 months.
    page = logged_in.get("/rules/run").text
    assert f'value="{(today() - dt.timedelta(days=364)).isoformat()}"' in page
    assert f'value="{today().isoformat()}"' in page

    # Dry run: the figures match the data, nothing changes.
    date_from = (today() - dt.timedelta(days=364)).isoformat()
    query = {"date_from": date_from, "date_to": today().isoformat()}
    dry = logged_in.get("/rules/run", query_string=query)
    assert dry.status_code == 200
    with app.app_context():
        in_range = db.session.scalar(
            sa.select(sa.func.count()).where(Expense.user_id == user.id, Expense.date >= date_from)
        )
    assert count_in(dry.text, "data-total-changes") == expected
    assert count_in(dry.text, "data-scanned") == in_range
    assert f"{expected} of {in_range} expenses would change" in dry.text
    # Oldest first, all on one page (fewer than 50).
    shown = [int(value) for value in re.findall(r'<tr data-expense-id="(\d+)"', dry.text)]
    assert shown == year_of_coffee["in_range"]
    assert "Shopping</span> → <strong>Food</strong>" in dry.text and "<strong>+ coffee</strong>" in dry.text
    assert state(app, user) == before
    assert count_rows(app, RuleRun) == 0

    # Apply: exactly the expenses the dry run counted change, to Food with the tag.
    apply_data = {"date_from": query["date_from"], "date_to": query["date_to"]}
    response = logged_in.post("/rules/run/apply", data=apply_data)
    assert response.status_code == 302
    run_page = logged_in.get(response.location).text
    assert f"{expected} expenses changed." in run_page
    assert count_in(run_page, "data-change-count") == expected
    after = state(app, user)
    with app.app_context():
        food = factories.category_id(user, "Food")
    changed = {expense_id for expense_id in before if before[expense_id] != after[expense_id]}
    assert changed == set(year_of_coffee["in_range"])
    for expense_id in changed:
        assert after[expense_id][0] == food and "coffee" in after[expense_id][3]
        assert set(before[expense_id][3]) <= set(after[expense_id][3])
    # The dry run of the same range now finds nothing left to do.
    assert count_in(logged_in.get("/rules/run", query_string=query).text, "data-total-changes") == 0

    # Undo: every expense is back as it was, and the run says so.
    run_id = int(re.search(r'data-run-id="(\d+)"', run_page).group(1))
    response = logged_in.post(f"/rules/runs/{run_id}/undo")
    assert response.status_code == 302
    undone = logged_in.get(response.location).text
    assert f"Run undone: {expected} expenses restored." in undone
    assert "Undo this run" not in undone.split('id="run"')[1]
    assert state(app, user) == before
    # Undoing twice is refused, and changes nothing.
    again = logged_in.post(f"/rules/runs/{run_id}/undo")
    assert again.status_code == 409 and 'id="action-error"' in again.text
    assert state(app, user) == before


def test_undo_skips_an_expense_changed_since(app, logged_in, user, year_of_coffee):
    assert logged_in.post("/rules/new", data=coffee_form(app, user)).status_code == 302
    query = {"date_from": (today() - dt.timedelta(days=364)).isoformat(), "date_to": today().isoformat()}
    logged_in.post("/rules/run/apply", data=query)
    touched = year_of_coffee["in_range"][0]
    with app.app_context():
        expenses.update_expense(user=user, expense_id=touched, description="Espresso, edited by hand")
        (run,) = categorization.list_runs(user=user)
    page = logged_in.get(logged_in.post(f"/rules/runs/{run.id}/undo").location).text
    restored = len(year_of_coffee["in_range"]) - 1
    assert f"Run undone: {restored} expenses restored. 1 expense was changed since the run" in page
    assert state(app, user)[touched][1] == "Espresso, edited by hand"


def test_dry_run_pages(app, logged_in, user):
    with app.app_context():
        made = [
            factories.create_expense(
                user, amount="2.80", date=today() - dt.timedelta(days=70 - n), description="Coffee"
            )
            for n in range(60)
        ]
    assert logged_in.post("/rules/new", data=coffee_form(app, user)).status_code == 302
    query = {"date_from": (today() - dt.timedelta(days=364)).isoformat(), "date_to": today().isoformat()}
    first = logged_in.get("/rules/run", query_string=query).text
    second = logged_in.get("/rules/run", query_string={**query, "page": "2"}).text
    assert count_in(first, "data-total-changes") == 60 and "Page 1 of 2" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    ids = re.findall(r'<tr data-expense-id="(\d+)"', first) + re.findall(r'<tr data-expense-id="(\d+)"', second)
    assert [int(value) for value in ids] == made
    # Any page number the user types: a page past the end is empty, a bad one is page 1.
    assert logged_in.get("/rules/run", query_string={**query, "page": "x"}).text.count("<tr data-expense-id=") == 50


def test_run_only_the_chosen_rules(app, logged_in, user, year_of_coffee):
    assert logged_in.post("/rules/new", data=coffee_form(app, user)).status_code == 302
    with app.app_context():
        housing = factories.category_id(user, "Housing")
        other_id = categorization.create_rule(
            user=user,
            name="Groceries",
            conditions=[{"field": "description", "operator": "equals", "value": "groceries"}],
            actions=[{"type": "set_category", "category_id": housing}],
        ).id
    query = {"date_from": (today() - dt.timedelta(days=364)).isoformat(), "date_to": today().isoformat()}
    only = logged_in.get("/rules/run", query_string={**query, "rule_ids": str(other_id)}).text
    both = logged_in.get("/rules/run", query_string=query).text
    assert count_in(both, "data-total-changes") == count_in(only, "data-total-changes") + len(
        year_of_coffee["in_range"]
    )
    assert f'name="rule_ids" value="{other_id}"' in only, "apply sends the same rules back"


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-02-30", "date_to": "2026-03-01"},
        {"date_from": "2026-03-01", "date_to": "2026-01-01"},
        {"date_from": "1990-01-01", "date_to": "2026-01-01"},
        {"date_from": "2026-01-01", "date_to": "2026-02-01", "rule_ids": "abc"},
        {"date_from": "2026-01-01", "date_to": "2026-02-01", "rule_ids": "987654321"},
    ],
)
def test_bad_runs_are_refused_and_change_nothing(app, logged_in, user, year_of_coffee, query):
    assert logged_in.post("/rules/new", data=coffee_form(app, user)).status_code == 302
    with app.app_context():
        before = factories.all_rows()
    assert logged_in.get("/rules/run", query_string=query).status_code == 422
    response = logged_in.post("/rules/run/apply", data=query)
    assert response.status_code == 422
    assert "invalid-feedback" in response.text or "alert-danger" in response.text
    with app.app_context():
        assert factories.all_rows() == before


def test_another_users_run_is_404(app, client, user, make_user, login, year_of_coffee):
    with app.app_context():
        rule = categorization.create_rule(
            user=user,
            name="Coffee",
            conditions=[{"field": "description", "operator": "contains", "value": "coffee"}],
            actions=[{"type": "add_tags", "tags": ["coffee"]}],
        )
        rule_id = rule.id
        run_id = categorization.apply_run(
            user=user, date_from=today() - dt.timedelta(days=30), date_to=today(), rule_ids=[rule.id]
        ).id
    before = state(app, user)
    login(make_user(email="intruder@example.com"))
    assert client.get(f"/rules/runs/{run_id}").status_code == 404
    assert client.post(f"/rules/runs/{run_id}/undo").status_code == 404
    assert state(app, user) == before
    # Their own dry run does not see the victim's expenses, or apply the victim's rules.
    query = {"date_from": (today() - dt.timedelta(days=364)).isoformat(), "date_to": today().isoformat()}
    assert count_in(client.get("/rules/run", query_string=query).text, "data-scanned") == 0
    assert client.get("/rules/run", query_string={**query, "rule_ids": str(rule_id)}).status_code == 422
