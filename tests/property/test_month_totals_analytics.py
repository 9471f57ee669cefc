"""Analytics read whole months from `expense_month_totals` and partial months from `expenses`: for
random expenses (several currencies, some waiting for a rate) and random periods and filters, the
summary (and its comparison period), by_category, by_payment_method and the monthly trend equal
the same figures computed here by a plain GROUP BY over `expenses`.

Periods are drawn over seven months, often snapped to a 1st or a month's end, so whole months,
partial months at either end and periods inside one month all occur.
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
from expense_app.models import PAYMENT_METHODS
from expense_app.services import analytics, categories, expenses
from tests.factories import insert_rates

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
START = dt.date(2024, 1, 1)
DAYS = 213  # to the end of July
RATE_DAY = dt.date(2024, 3, 15)  # the only day with rates: other foreign expenses wait
CURRENCIES = ("EUR", "USD", "GBP", "ARS")
METHODS = PAYMENT_METHODS[:3]  # few enough that a filtered scope still holds expenses
_emails = itertools.count(1)

EXPENSE = st.fixed_dictionaries(
    {
        "cents": st.integers(min_value=1, max_value=500_000_00),
        "currency": st.sampled_from(CURRENCIES),
        "day": st.one_of(st.integers(min_value=0, max_value=DAYS - 1), st.just((RATE_DAY - START).days)),
        "category": st.integers(min_value=0, max_value=3),
        "payment_method": st.sampled_from(METHODS),
    }
)
SCOPE = st.fixed_dictionaries(
    {
        "first_day": st.integers(min_value=0, max_value=DAYS - 1),
        "length": st.integers(min_value=1, max_value=DAYS),
        "snap_start": st.booleans(),
        "snap_end": st.booleans(),
        "categories": st.one_of(st.just(set()), st.sets(st.integers(min_value=0, max_value=3), max_size=3)),
        "payment_methods": st.one_of(st.just(set()), st.sets(st.sampled_from(METHODS), max_size=2)),
    }
)
CENTS = "coalesce(sum(CAST(round(base_amount * 100) AS BIGINT)), 0)"
MONTH = {"postgresql": "to_char(date, 'YYYY-MM')", "sqlite": "strftime('%Y-%m', date)"}


def grouped(user_id: int, period: analytics.Period, category_ids, methods, key: str | None) -> dict:
    """{key: (count, cents, waiting)} over the user's expenses in `period` matching the filters,
    by a plain GROUP BY (`key` None: one row for all)."""
    where = "user_id = :user AND date >= :date_from AND date <= :date_to"
    if category_ids:
        where += " AND category_id IN (" + ", ".join(str(int(i)) for i in category_ids) + ")"
    if methods:
        where += " AND payment_method IN (" + ", ".join(f"'{m}'" for m in methods if m in PAYMENT_METHODS) + ")"
    column = key or "'all'"
    # Only ints and known method names are pasted in, so the text is safe to build.
    select = f"SELECT {column}, count(*), {CENTS}, count(*) - count(base_amount) FROM expenses"  # noqa: S608
    sql = f"{select} WHERE {where}" + (f" GROUP BY {key}" if key else "")
    rows = db.session.execute(
        sa.text(sql), {"user": user_id, "date_from": period.date_from, "date_to": period.date_to}
    ).all()
    return {group: (int(n), int(cents), int(waiting)) for group, n, cents, waiting in rows}


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@pytest.fixture
def fresh_user(make_user):
    return lambda: make_user(email=f"monthtotals{next(_emails)}@example.com", currency="EUR")


@SETTINGS
@given(data=st.lists(EXPENSE, min_size=10, max_size=60), scope=SCOPE)
def test_rollup_analytics_equal_a_group_by_over_expenses(app, fresh_user, data, scope):
    user = fresh_user()
    with app.app_context():
        if not db.session.execute(sa.text("SELECT 1 FROM exchange_rates")).first():  # once per test
            insert_rates(RATE_DAY, {"USD": "1.0890", "GBP": "0.85520"})
        category_ids = [summary.id for summary in categories.list_categories(user=user)][:4]
        for item in data:
            expenses.create_expense(
                user=user,
                amount=Decimal(item["cents"]).scaleb(-2),
                currency=item["currency"],
                date=START + dt.timedelta(days=item["day"]),
                category_id=category_ids[item["category"]],
                payment_method=item["payment_method"],
            )
        date_from = START + dt.timedelta(days=scope["first_day"])
        date_to = min(date_from + dt.timedelta(days=scope["length"] - 1), START + dt.timedelta(days=DAYS - 1))
        if scope["snap_start"]:
            date_from = date_from.replace(day=1)
        if scope["snap_end"]:
            date_to = analytics.month_end(date_to)
        period = analytics.Period(date_from, date_to)
        chosen = sorted(category_ids[index] for index in scope["categories"])
        methods = sorted(scope["payment_methods"])
        kwargs = {"date_from": date_from, "date_to": date_to, "category_ids": chosen, "payment_methods": methods}

        def expected(span, key=None):
            return grouped(user.id, span, chosen, methods, key)

        n, cents, waiting = expected(period).get("all", (0, 0, 0))
        figures = analytics.summary(user=user, **kwargs)
        assert (figures.count, figures.total, figures.unconverted_count) == (n, money(cents), waiting)
        previous = analytics.comparison_period(period).period
        _, previous_cents, previous_waiting = expected(previous).get("all", (0, 0, 0))
        assert (figures.previous_period.total, figures.previous_period.unconverted_count) == (
            money(previous_cents),
            previous_waiting,
        )

        by_category = analytics.by_category(user=user, **kwargs)
        assert {
            item.category_id: (item.count, int(item.total * 100), item.unconverted_count) for item in by_category.items
        } == expected(period, "category_id")
        by_method = analytics.by_payment_method(user=user, **kwargs)
        assert {
            item.payment_method: (item.count, int(item.total * 100), item.unconverted_count) for item in by_method.items
        } == expected(period, "payment_method")

        trend = analytics.trend(user=user, interval="month", **kwargs)
        monthly = expected(period, MONTH[db.engine.dialect.name])
        assert {
            point.period: (point.count, int(point.total * 100), point.unconverted_count)
            for point in trend.items
            if point.count
        } == monthly
