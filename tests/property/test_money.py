"""Money is exact: any valid amount goes in and comes out unchanged, and sums add to the cent.

Amounts are drawn from the whole valid range (0.01 to 99,999,999.99, at most 2 decimal places) and
sent as strings and as JSON numbers; they must be stored, listed, exported as strings and summed
exactly, on SQLite (which has no decimal type) as on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.extensions import db
from expense_app.models import Expense
from expense_app.services import categories, expenses
from tests import factories
from tests.conftest import PASSWORD, bearer

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CENTS = st.integers(min_value=1, max_value=9_999_999_999)
_emails = itertools.count(1)


def as_amount(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@pytest.fixture
def fresh_user(make_user):
    """A new user per example (examples share the test's database, never its data)."""
    return lambda: make_user(email=f"money{next(_emails)}@example.com")


def _food(user) -> int:
    return factories.category_id(user, "Food")


@SETTINGS
@given(cents=st.lists(CENTS, min_size=1, max_size=8))
def test_service_stores_and_sums_amounts_exactly(app, fresh_user, cents):
    user = fresh_user()
    amounts = [as_amount(value) for value in cents]
    with app.app_context():
        food = _food(user)
        ids = [
            expenses.create_expense(user=user, amount=str(amount), date=dt.date(2026, 1, 1), category_id=food).id
            for amount in amounts
        ]
        db.session.expunge_all()
        assert [db.session.get(Expense, expense_id).amount for expense_id in ids] == amounts
        assert expenses.list_expenses(user=user, per_page=1).total_amount == sum(amounts)
        food_total = next(s.total_amount for s in categories.list_categories(user=user) if s.id == food)
        assert food_total == sum(amounts)


@SETTINGS
@given(cents=CENTS, as_number=st.booleans())
def test_api_round_trips_any_valid_amount(app, fresh_user, cents, as_number):
    user = fresh_user()
    client = app.test_client()
    headers = bearer(
        client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json["access_token"]
    )
    with app.app_context():
        food = _food(user)
    amount = as_amount(cents)
    # A JSON number is the shortest decimal form of the amount (what a client's serializer writes).
    sent = float(amount) if as_number else format(amount, "f")
    created = client.post(
        "/api/v1/expenses", json={"amount": sent, "date": "2026-01-01", "category_id": food}, headers=headers
    )
    assert created.status_code == 201, created.json
    assert created.json["amount"] == format(amount, ".2f")
    listed = client.get("/api/v1/expenses", headers=headers).json
    assert [item["amount"] for item in listed["items"]] == [format(amount, ".2f")]
    shown = client.get(f"/api/v1/categories/{food}", headers=headers).json
    assert Decimal(shown["total_amount"]) == amount


@SETTINGS
@given(text=st.from_regex(r"\A-?[0-9]{1,9}(\.[0-9]{1,6})?\Z"))
def test_amounts_are_never_rounded(text):
    """More than 2 decimal places is an error, never rounded; a valid amount is kept exactly."""
    value = Decimal(text)
    errors: dict = {}
    cleaned = expenses.clean_amount(errors, "amount", text)
    valid = Decimal("0.01") <= value <= Decimal("99999999.99") and value == value.quantize(Decimal("0.01"))
    if valid:
        assert cleaned == value and not errors
    else:
        assert cleaned is None and errors["amount"]
