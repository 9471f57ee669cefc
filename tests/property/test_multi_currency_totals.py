"""Totals over expenses in several currencies: for random expense sets and filters, every total equals
the sum of the stored base amounts of the expenses in its scope, and every `unconverted_count` the
number of those waiting for a rate (base amount null). An original amount is never added.

Rates exist for 2024-03-15 only (USD, GBP, JPY): a foreign expense before that day, or in ARS
(which the ECB does not publish), waits; some expenses carry a manual base amount instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.extensions import db
from expense_app.models import PAYMENT_METHODS, ExchangeRate, Expense, User
from expense_app.services import analytics, budgets, categories, expenses
from tests.factories import insert_rates

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
START = dt.date(2024, 3, 10)  # five days before the only rates
DAYS = 40
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "ARS")
_emails = itertools.count(1)

EXPENSE = st.fixed_dictionaries(
    {
        "cents": st.integers(min_value=100, max_value=500_000_00),
        "currency": st.sampled_from(CURRENCIES),
        "day": st.integers(min_value=0, max_value=DAYS - 1),
        "category": st.integers(min_value=0, max_value=2),
        "payment_method": st.sampled_from(PAYMENT_METHODS[:3]),
        "manual_base_cents": st.none() | st.integers(min_value=1, max_value=100_000_00),
    }
)
FILTERS = st.fixed_dictionaries(
    {
        "first_day": st.integers(min_value=0, max_value=DAYS - 1),
        "length": st.integers(min_value=1, max_value=DAYS),
        "payment_methods": st.sets(st.sampled_from(PAYMENT_METHODS[:3]), max_size=2),
    }
)


@pytest.fixture
def fresh_user(make_user):
    return lambda: make_user(email=f"currencies{next(_emails)}@example.com", currency="EUR")


def _amount(item) -> Decimal:
    cents = Decimal(item["cents"]).scaleb(-2)
    return cents.quantize(Decimal(1)) if item["currency"] == "JPY" else cents


def _store(user: User, data) -> None:
    category_ids = [summary.id for summary in categories.list_categories(user=user)][:3]
    for item in data:
        manual = item["manual_base_cents"] if item["currency"] != "EUR" else None
        expenses.create_expense(
            user=user,
            amount=_amount(item),
            currency=item["currency"],
            date=START + dt.timedelta(days=item["day"]),
            category_id=category_ids[item["category"]],
            payment_method=item["payment_method"],
            base_amount=None if manual is None else Decimal(manual).scaleb(-2),
        )


def _expected(user: User, first: dt.date, last: dt.date, methods) -> tuple[Decimal, int, int]:
    """(sum of base amounts, waiting count, count) over the stored rows, in Python."""
    query = sa.select(Expense.base_amount).where(Expense.user_id == user.id, Expense.date.between(first, last))
    if methods:
        query = query.where(Expense.payment_method.in_(methods))
    values = list(db.session.scalars(query))
    converted = [Decimal(str(value)).quantize(Decimal("0.01")) for value in values if value is not None]
    return sum(converted, Decimal("0.00")), len(values) - len(converted), len(values)


@SETTINGS
@given(data=st.lists(EXPENSE, max_size=20), filters=FILTERS)
def test_every_total_is_the_sum_of_the_stored_base_amounts(app, fresh_user, data, filters):
    user = fresh_user()
    with app.app_context():
        if db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)) == 0:
            insert_rates()  # the tables are emptied after the test, not between examples
        user = db.session.get(User, user.id)
        _store(user, data)
        first = START + dt.timedelta(days=filters["first_day"])
        last = min(first + dt.timedelta(days=filters["length"] - 1), START + dt.timedelta(days=DAYS - 1))
        methods = sorted(filters["payment_methods"])
        total, waiting, count = _expected(user, first, last, methods)
        scope = {"date_from": first, "date_to": last, "payment_methods": methods}

        listed = expenses.list_expenses(user=user, filters=scope)
        assert (listed.total_amount, listed.unconverted_count, listed.total) == (total, waiting, count)
        summary = analytics.summary(user=user, today=last, **scope)
        assert (summary.total, summary.unconverted_count, summary.count) == (total, waiting, count)
        for breakdown in (analytics.by_category(user=user, **scope), analytics.by_payment_method(user=user, **scope)):
            assert (breakdown.total, breakdown.unconverted_count) == (total, waiting)
            assert sum(item.total for item in breakdown.items) == total
            assert sum(item.unconverted_count for item in breakdown.items) == waiting
        for interval in ("day", "week", "month"):
            trend = analytics.trend(user=user, interval=interval, **scope)
            assert (sum(p.total for p in trend.items), trend.unconverted_count) == (total, waiting)
        by_currency = analytics.by_currency(user=user, **scope)
        assert (by_currency.total, by_currency.unconverted_count) == (total, waiting)
        assert sum(item.count for item in by_currency.items) == count
        top = analytics.top_expenses(user=user, limit=50, **scope)
        assert top.unconverted_count == waiting
        assert all(expense.base_amount is not None for expense in top.items)
        assert len(top.items) == count - waiting

        # Unfiltered: the stored expense_stats row and the categories page agree too.
        everything, everything_waiting, everything_count = _expected(user, START, START + dt.timedelta(DAYS), [])
        page = expenses.list_expenses(user=user)
        assert (page.total_amount, page.unconverted_count, page.total) == (
            everything,
            everything_waiting,
            everything_count,
        )
        listed_categories = categories.list_categories(user=user)
        assert sum(item.total_amount for item in listed_categories) == everything
        assert sum(item.unconverted_count for item in listed_categories) == everything_waiting

        # The overall budget of March spends March's base amounts.
        march_total, march_waiting, _ = _expected(user, dt.date(2024, 3, 1), dt.date(2024, 3, 31), [])
        april_first = dt.date(2024, 4, 1)
        budgets.create_budget(
            user=user, category_id=None, amount="1000.00", effective_from="2024-03", today=april_first
        )
        [line] = budgets.budget_status(user=user, month="2024-03", today=april_first).lines
        assert (line.spent, line.unconverted_count) == (march_total, march_waiting)
