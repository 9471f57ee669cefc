"""Budget pages: the month's cards (progress, carry-over, projection, safe-to-spend), the forms,
the dashboard partial, CSRF and isolation between users."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_login import login_user

from expense_app.extensions import db
from expense_app.models import Budget, BudgetVersion, Category, User
from expense_app.services import budgets, expenses
from tests.conftest import count_rows, csrf_token_from

FIXED_NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """The budgets service sees 10 November 2026 as today."""
    monkeypatch.setattr(budgets, "utcnow", lambda: FIXED_NOW)


@pytest.fixture
def logged_in(client, user, login):
    login(user)
    return client


def category_id(app, owner: User, name: str = "Food") -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Category.id).where(Category.user_id == owner.id, Category.name == name))


@pytest.fixture
def setup(app, user):
    """Run service calls for `user` inside an app context: `setup(lambda u, food: ...)`."""

    def run(action):
        with app.app_context():
            return action(user, category_id(app, user))

    return run


@pytest.fixture
def hand_example(setup):
    """The hand-computed example: Food 600.00 with surplus from October, 520 spent in October,
    150 spent up to 10 November and 35 on the 25th. See tests/services/test_budgets.py."""

    def build(user, food):
        created = budgets.create_budget(
            user=user, category_id=food, amount="600", rollover="surplus", effective_from="2026-10"
        )
        for day, amount in (("2026-10-05", "520.00"), ("2026-11-01", "50.00"), ("2026-11-05", "70.00")):
            expenses.create_expense(user=user, amount=amount, date=day, category_id=food)
        for day, amount in (("2026-11-10", "30.00"), ("2026-11-25", "35.00")):
            expenses.create_expense(user=user, amount=amount, date=day, category_id=food)
        return created.id

    return setup(build)


def card(html: str, budget_id: int) -> str:
    match = re.search(rf'<article class="card[^"]*" data-budget-id="{budget_id}".*?</article>', html, re.S)
    assert match, "no card for the budget"
    return match.group(0)


def test_page_needs_login(client):
    assert client.get("/budgets").status_code == 302


def test_month_figures_match_the_hand_computed_example(logged_in, hand_example):
    response = logged_in.get("/budgets?month=2026-11")
    assert response.status_code == 200
    html = card(response.text, hand_example)
    for attribute, value in (
        ("budgeted", "600.00"),
        ("carried", "80.00"),
        ("available", "680.00"),
        ("spent", "185.00"),
        ("remaining", "495.00"),
        ("percent", "27.2"),
        ("projected", "485.00"),
        ("safe", "23.57"),
    ):
        assert f'data-{attribute}="{value}"' in html, attribute
    assert "+$80.00" in html and "$495.00 left" in html and "27.2% used" in html
    assert 'aria-valuenow="27.2"' in html and "bg-success" in html and "On track" in html
    assert "Day 10 of 30: 21 days left" in response.text
    assert 'id="over-budget-warning"' not in response.text


def test_the_current_month_is_the_default(logged_in, hand_example):
    assert 'id="month-label">· November 2026' in logged_in.get("/budgets").text


def test_previous_and_next_month_links(logged_in, hand_example):
    html = logged_in.get("/budgets?month=2026-11").text
    assert 'href="/budgets?month=2026-10"' in html and 'href="/budgets?month=2026-12"' in html
    october = logged_in.get("/budgets?month=2026-10").text
    assert "A past month" in october and 'data-spent="520.00"' in october
    december = logged_in.get("/budgets?month=2026-12").text
    # December carries November's 495.00: 1095.00 over 31 days -> 35.32 a day.
    assert 'data-available="1095.00"' in december and 'data-safe="35.32"' in december


@pytest.mark.parametrize(
    ("spent", "bar", "text", "width", "warning_banner"),
    [
        ("79.00", "bg-success", "On track", "79.0", False),
        ("80.00", "bg-warning", "Nearly used up", "80.0", False),
        ("100.00", "bg-danger", "Budget used up", "100.0", False),
        ("130.00", "bg-danger", "Over budget", "100", True),  # the bar stops at 100 %, the text says 130.0%
    ],
)
def test_bar_colour_and_text_change_at_80_and_100_percent(logged_in, setup, spent, bar, text, width, warning_banner):
    # A finished month (October; today is 10 November), so no projection can outrank the share used:
    # in November 79.00 spent by the 2nd is a pace that goes over, and the card says so (next test).
    def build(user, food):
        expenses.create_expense(user=user, amount=spent, date="2026-10-02", category_id=food)
        return budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-10").id

    budget_id = setup(build)
    response = logged_in.get("/budgets?month=2026-10")
    html = card(response.text, budget_id)
    assert bar in html and text in html
    assert f'style="width: {width}%"' in html and f'aria-valuenow="{width}"' in html
    assert f"{float(spent):.1f}% used" in html
    assert ('id="over-budget-warning"' in response.text) is warning_banner
    if warning_banner:
        assert "Food by $30.00" in response.text


def test_a_bad_month_is_422(logged_in):
    response = logged_in.get("/budgets?month=2026-13")
    assert response.status_code == 422
    assert "Must be a month such as 2026-11." in response.text


def test_a_month_out_of_range_is_422_with_the_range(logged_in, hand_example):
    response = logged_in.get("/budgets?month=2999-12")
    assert response.status_code == 422
    assert "Must be between 1900-01 and 2031-11." in response.text
    assert f'data-budget-id="{hand_example}"' in response.text  # the budget list is still shown


def test_add_a_budget(app, logged_in, user):
    food = category_id(app, user)
    response = logged_in.post(
        "/budgets", data={"category_id": str(food), "amount": "250.00", "rollover": "full", "effective_from": "2026-11"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/budgets?month=2026-11")
    page = logged_in.get(response.headers["Location"]).text
    assert "Budget for Food added: $250.00 a month from November 2026." in page
    with app.app_context():
        version = db.session.scalar(sa.select(BudgetVersion))
        assert (str(version.amount), version.rollover, version.effective_from) == (
            "250.00",
            "full",
            dt.date(2026, 11, 1),
        )


def test_add_the_overall_budget(app, logged_in):
    response = logged_in.post("/budgets", data={"category_id": "", "amount": "1500", "rollover": "none"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Budget.category_id)) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "-1"}, "Must be 0 or more."),
        ({"amount": "1.005"}, "Must have at most 2 decimal places."),
        ({"amount": ""}, "This field is required."),
        ({"rollover": "always"}, "Must be one of: none, surplus, full."),
        ({"effective_from": "2026-13"}, "Must be a month such as 2026-11."),
    ],
)
def test_add_with_a_broken_rule_is_422_with_the_message(app, logged_in, data, message):
    response = logged_in.post("/budgets", data={"category_id": "", "amount": "10", "rollover": "none", **data})
    assert response.status_code == 422
    assert message in response.text and "is-invalid" in response.text
    assert count_rows(app, Budget) == 0


def test_a_second_budget_for_the_category_is_409(app, logged_in, user):
    food = str(category_id(app, user))
    assert logged_in.post("/budgets", data={"category_id": food, "amount": "10", "rollover": "none"}).status_code == 302
    response = logged_in.post("/budgets", data={"category_id": food, "amount": "20", "rollover": "none"})
    assert response.status_code == 409 and budgets.DUPLICATE_CATEGORY in response.text
    assert count_rows(app, Budget) == 1


def test_change_from_a_month_keeps_the_history(app, logged_in, hand_example):
    form = logged_in.get(f"/budgets/{hand_example}/edit")
    assert form.status_code == 200 and 'value="600.00"' in form.text and 'value="2026-11"' in form.text
    response = logged_in.post(
        f"/budgets/{hand_example}/edit", data={"amount": "700", "rollover": "none", "effective_from": "2026-12"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("month=2026-12")
    history = logged_in.get(f"/budgets/{hand_example}/edit").text
    assert "October 2026" in history and "December 2026" in history and "$700.00" in history
    assert 'data-budgeted="600.00"' in logged_in.get("/budgets?month=2026-11").text


def test_change_with_a_broken_rule_is_422(logged_in, hand_example):
    response = logged_in.post(
        f"/budgets/{hand_example}/edit", data={"amount": "abc", "rollover": "none", "effective_from": "2026-12"}
    )
    assert response.status_code == 422 and "Must be a number such as 1234.56 or 1,234.56." in response.text


def test_delete_asks_first(app, logged_in, hand_example):
    confirm = logged_in.get(f"/budgets/{hand_example}/delete")
    assert confirm.status_code == 200 and "Delete the Food budget?" in confirm.text
    assert count_rows(app, Budget) == 1
    response = logged_in.post(f"/budgets/{hand_example}/delete")
    assert response.status_code == 302
    assert count_rows(app, Budget) == 0


def test_another_user_gets_404_on_every_budget_page(app, client, login, make_user, hand_example):
    login(make_user(email="sam@example.com"))
    attempts = [
        client.get(f"/budgets/{hand_example}/edit"),
        client.post(
            f"/budgets/{hand_example}/edit", data={"amount": "1", "rollover": "none", "effective_from": "2026-11"}
        ),
        client.get(f"/budgets/{hand_example}/delete"),
        client.post(f"/budgets/{hand_example}/delete"),
    ]
    assert [response.status_code for response in attempts] == [404, 404, 404, 404]
    assert f'data-budget-id="{hand_example}"' not in client.get("/budgets?month=2026-11").text
    with app.app_context():
        assert [str(v.amount) for v in db.session.scalars(sa.select(BudgetVersion))] == ["600.00"]


def test_forms_need_the_csrf_token(app_factory, user, hand_example):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"email": user.email, "password": "correct horse battery", "csrf_token": token})
    page = client.get("/budgets").text
    refused = [
        client.post("/budgets", data={"category_id": "", "amount": "10", "rollover": "none"}),
        client.post(f"/budgets/{hand_example}/edit", data={"amount": "1", "rollover": "none"}),
        client.post(f"/budgets/{hand_example}/delete"),
    ]
    assert [response.status_code for response in refused] == [400, 400, 400]
    assert count_rows(app, Budget) == 1
    accepted = client.post(
        "/budgets", data={"category_id": "", "amount": "10", "rollover": "none", "csrf_token": csrf_token_from(page)}
    )
    assert accepted.status_code == 302 and count_rows(app, Budget) == 2


def test_the_nav_links_to_the_budgets_page(logged_in):
    assert 'href="/budgets"' in logged_in.get("/budgets").text


def _render_dashboard_cards(app, user_id: int, **status_args) -> str:
    with app.test_request_context("/"):
        owner = db.session.get(User, user_id)
        login_user(owner)
        return render_template(
            "budgets/_dashboard_cards.html", budget_status=budgets.budget_status(user=owner, **status_args)
        )


def test_dashboard_partial_shows_cards_and_an_over_budget_warning(app, user, setup, hand_example):
    setup(lambda u, food: expenses.create_expense(user=u, amount="600.00", date="2026-11-03", category_id=food))
    html = _render_dashboard_cards(app, user.id)
    assert "Budgets in November 2026" in html
    assert 'id="over-budget-warning"' in html and "Food by $105.00" in html  # 785 spent of 680
    assert f'data-budget-id="{hand_example}"' in html and "bg-danger" in html
    assert 'data-safe="0.00"' in html


def test_dashboard_partial_without_budgets_invites_to_set_one(app, user):
    html = _render_dashboard_cards(app, user.id)
    assert "No budget for this month yet." in html and 'href="/budgets"' in html
    assert "over-budget-warning" not in html


def test_a_pace_that_will_overspend_is_announced(logged_in, setup):
    # 60.00 spent by 10 November: 6.00 a day -> 180.00 projected against 100.00.
    def build(user, food):
        expenses.create_expense(user=user, amount="60.00", date="2026-11-02", category_id=food)
        return budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-11").id

    budget_id = setup(build)
    html = card(logged_in.get("/budgets?month=2026-11").text, budget_id)
    assert 'data-projected="180.00"' in html and 'data-status="projected_over"' in html
    # One status for badge and sentence: never "On track" beside "will go over".
    assert "Will go over" in html and "On track" not in html and "bg-warning" in html
    assert "At this pace you will go over this budget before the month ends." in html
