"""Analytics agree with the expense list: for random expenses and random filters, every total the
analytics compute equals the sum of the expenses the list shows for the same filters (and the sum
computed here in Python from what was stored).
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.models import PAYMENT_METHODS
from expense_app.services import analytics, categories, expenses

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
START = dt.date(2026, 1, 1)
DAYS = 120
_emails = itertools.count(1)

EXPENSE = st.fixed_dictionaries(
    {
        "cents": st.integers(min_value=1, max_value=10_000_000),
        "day": st.integers(min_value=0, max_value=DAYS - 1),
        "category": st.integers(min_value=0, max_value=3),
        "payment_method": st.sampled_from(PAYMENT_METHODS),
    }
)
FILTERS = st.fixed_dictionaries(
    {
        "first_day": st.integers(min_value=0, max_value=DAYS - 1),
        "length": st.integers(min_value=1, max_value=DAYS),
        "categories": st.sets(st.integers(min_value=0, max_value=3), max_size=3),
        "payment_methods": st.sets(st.sampled_from(PAYMENT_METHODS), max_size=3),
    }
)


@pytest.fixture
def fresh_user(make_user):
    return lambda: make_user(email=f"analytics{next(_emails)}@example.com")


@SETTINGS
@given(data=st.lists(EXPENSE, max_size=25), filters=FILTERS)
def test_analytics_totals_equal_the_listed_expenses(app, fresh_user, data, filters):
    user = fresh_user()
    with app.app_context():
        category_ids = [summary.id for summary in categories.list_categories(user=user)][:4]
        for item in data:
            expenses.create_expense(
                user=user,
                amount=Decimal(item["cents"]).scaleb(-2),
                date=START + dt.timedelta(days=item["day"]),
                category_id=category_ids[item["category"]],
                payment_method=item["payment_method"],
            )
        date_from = START + dt.timedelta(days=filters["first_day"])
        date_to = date_from + dt.timedelta(days=filters["length"] - 1)
        chosen = sorted(category_ids[index] for index in filters["categories"])
        methods = sorted(filters["payment_methods"])
        scope = {"date_from": date_from, "date_to": date_to, "category_ids": chosen, "payment_methods": methods}

        expected = [
            item
            for item in data
            if date_from <= START + dt.timedelta(days=item["day"]) <= date_to
            and (not chosen or category_ids[item["category"]] in chosen)
            and (not methods or item["payment_method"] in methods)
        ]
        expected_total = Decimal(sum(item["cents"] for item in expected)).scaleb(-2)

        listed = expenses.list_expenses(
            user=user,
            filters={"date_from": date_from, "date_to": date_to, "category_ids": chosen, "payment_methods": methods},
            per_page=100,
        )
        assert listed.total == len(expected)
        assert listed.total_amount == sum((expense.amount for expense in listed.items), Decimal("0.00"))
        assert listed.total_amount == expected_total

        figures = analytics.summary(user=user, **scope)
        assert figures.count == len(expected)
        assert figures.total == expected_total
        by_category = analytics.by_category(user=user, **scope)
        assert sum((item.total for item in by_category.items), Decimal("0.00")) == expected_total
        assert sum(item.count for item in by_category.items) == len(expected)
        by_method = analytics.by_payment_method(user=user, **scope)
        assert sum((item.total for item in by_method.items), Decimal("0.00")) == expected_total
        for interval in ("day", "week", "month"):
            trend = analytics.trend(user=user, interval=interval, **scope)
            assert sum((point.total for point in trend.items), Decimal("0.00")) == expected_total, interval
        top = analytics.top_expenses(user=user, limit=50, **scope)
        assert (
            sorted(expense.amount for expense in top.items)
            == sorted(Decimal(item["cents"]).scaleb(-2) for item in expected)[-50:]
        )
