"""Changing the base currency through both faces: every expense re-converted with the profile,
budgets kept or converted as asked, and a refused change leaves everything as it was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import BudgetVersion, Expense, User
from tests import factories
from tests.conftest import bearer
from tests.rates import MARCH_2024, store_rates

FRIDAY = dt.date(2024, 3, 15)


def _setup(app, make_user):
    user = make_user(email="eur@example.com", currency="EUR")
    with app.app_context():
        store_rates(MARCH_2024)
        store_rates({("USD", dt.date.today() - dt.timedelta(days=1)): "1.1000"})
        owner = db.session.get(User, user.id)
        factories.create_expense(owner, amount="100.00", currency="USD", date=FRIDAY)
        factories.create_expense(owner, amount="50.00", currency="EUR", date=FRIDAY)
        factories.create_budget(owner, overall=True, amount="1000.00")
    return user


def _state(app, user_id):
    with app.app_context():
        rows = db.session.execute(
            sa.select(Expense.currency, Expense.base_amount, Expense.fx_source)
            .where(Expense.user_id == user_id)
            .order_by(Expense.currency)
        ).all()
        budget = db.session.scalar(sa.select(BudgetVersion.amount))
        return db.session.get(User, user_id).currency, [tuple(row) for row in rows], budget


def test_patching_the_currency_reconverts_every_expense_and_converts_budgets_on_request(
    app, client, make_user, api_login
):
    user = _setup(app, make_user)
    headers = bearer(api_login(user)["access_token"])
    response = client.patch("/api/v1/users/me", json={"currency": "USD", "budgets": "convert"}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["currency"] == "USD"
    # 50 EUR at 1.0892 = 54.46 USD; the USD expense is now in the base currency; 1000 EUR at 1.1.
    assert _state(app, user.id) == (
        "USD",
        [("EUR", Decimal("54.46"), "ecb"), ("USD", Decimal("100.00"), "same")],
        Decimal("1100.00"),
    )
    totals = client.get("/api/v1/analytics/summary?date_from=2024-03-01&date_to=2024-03-31", headers=headers).json
    assert totals["total"] == "154.46"


def test_a_refused_change_changes_nothing_not_even_the_name(app, client, make_user, api_login):
    user = _setup(app, make_user)
    with app.app_context():
        # A manual rate to EUR on a day without a EUR -> CHF rate cannot be carried over to CHF.
        factories.create_expense(
            db.session.get(User, user.id), amount="10.00", currency="USD", date=FRIDAY, fx_rate="0.9"
        )
    before = _state(app, user.id)
    headers = bearer(api_login(user)["access_token"])
    response = client.patch("/api/v1/users/me", json={"currency": "CHF", "full_name": "New"}, headers=headers)
    assert response.status_code == 422
    assert "cannot be carried over to CHF" in response.json["errors"]["currency"][0]
    assert _state(app, user.id) == before
    assert client.get("/api/v1/users/me", headers=headers).json["full_name"] != "New"


def test_the_settings_page_changes_the_base_currency_and_keeps_budgets_by_default(app, client, make_user, login):
    user = _setup(app, make_user)
    login(user)
    page = client.get("/settings").text
    assert "Convert them at today" in page and "Base currency" in page
    response = client.post("/settings/profile", data={"full_name": "", "currency": "USD", "locale": "en_US"})
    assert response.status_code == 302
    assert _state(app, user.id) == (
        "USD",
        [("EUR", Decimal("54.46"), "ecb"), ("USD", Decimal("100.00"), "same")],
        Decimal("1000.00"),
    )
