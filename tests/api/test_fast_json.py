"""The fast JSON path (`api.fast_json`) writes exactly what the marshmallow schemas would.

The same objects are dumped both ways, through the documented schema as flask-smorest would
(`schema.dump` then the app's JSON provider) and through the dict builders with orjson, and the
two documents must be equal once parsed, with the same keys in the same order at every level. The
objects come from a user who owns a row of every table, with several currencies, an expense
waiting for a rate, one at a manual rate, one at the ECB rate, tags, unicode and notes; a
hypothesis test adds generated expenses, null category included. The last tests check that the
responses' headers are those of a schema-dumped answer.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.api import fast_json
from expense_app.api.schemas.analytics import ByCategorySchema, ByPaymentMethodSchema, SummarySchema, TrendSchema
from expense_app.api.schemas.expenses import ExpensePageSchema, ExpenseSchema
from expense_app.extensions import db
from expense_app.models import FX_SOURCES, PAYMENT_METHODS, Category, Expense, Tag, User
from expense_app.services import analytics, expenses
from tests import factories
from tests.conftest import api_sign_in, bearer


def key_paths(value, path: str = "") -> list[str]:
    """Every key of a parsed document, in document order, with its path."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in (f"{path}.{key}", *key_paths(item, f"{path}.{key}"))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in key_paths(item, f"{path}[{index}]")]
    return []


def assert_same_json(app, schema, obj, build) -> dict:
    """Dump `obj` with `schema` (as flask-smorest does) and with `build` (the fast path); compare."""
    slow = json.loads(app.json.dumps(schema.dump(obj)))
    fast = json.loads(fast_json.encode(build(obj)))
    assert key_paths(fast) == key_paths(slow)
    assert fast == slow
    return fast


@pytest.fixture
def rich_user(app, full_user_with_history):
    """The full user with history, plus expenses in every conversion state, unicode and many tags."""
    user = full_user_with_history.user
    with app.app_context():
        factories.insert_rates()  # ECB-like rates for 2024-03-15
        factories.create_expense(user, amount="12.34", date="2024-03-15", currency="EUR", description="ECB rate")
        factories.create_expense(user, amount="500", date="2024-03-15", currency="JPY", description="円 ramen 🍜")
        factories.create_expense(
            user,
            amount="99999999.99",
            date="2024-03-15",
            description='Ünïcödé "quotes" \\ back/slash <b>&amp;</b>',
            notes="Zeile 1\nZeile 2 — ✓",
            tags=["ß-tag", "émoji 🎉", "a", "b", "c"],
            payment_method="bank_transfer",
        )
        factories.create_expense(user, amount="0.01", date="2024-03-16", currency="GBP", base_amount="0.02")
    return user


def test_expense_pages_are_the_same_both_ways(app, rich_user):
    with app.app_context():
        user = db.session.get(User, rich_user.id)
        seen_sources = set()
        for sort in expenses.SORTS:
            for page in (1, 2, 3):
                result = expenses.list_expenses(user=user, sort=sort, page=page, per_page=100)
                dumped = assert_same_json(app, ExpensePageSchema(), result, fast_json.expense_page)
                seen_sources |= {item["fx_source"] for item in dumped["items"]}
        cursor_page = expenses.list_expenses(user=user, per_page=7, after=result.next_cursor or None)
        assert_same_json(app, ExpensePageSchema(), cursor_page, fast_json.expense_page)
        filtered = expenses.list_expenses(user=user, filters={"q": "ramen"})
        assert_same_json(app, ExpensePageSchema(), filtered, fast_json.expense_page)
    # The page really met every kind of conversion, waiting included.
    assert seen_sources == {*FX_SOURCES, None}


@pytest.mark.parametrize("preset", ["this_month", "last_12_months", "year_to_date", "last_month"])
def test_analytics_are_the_same_both_ways(app, rich_user, preset):
    with app.app_context():
        user = db.session.get(User, rich_user.id)
        cases = [
            (SummarySchema(), analytics.summary(user=user, preset=preset), fast_json.summary),
            (ByCategorySchema(), analytics.by_category(user=user, preset=preset), fast_json.by_category),
            (
                ByPaymentMethodSchema(),
                analytics.by_payment_method(user=user, preset=preset),
                fast_json.by_payment_method,
            ),
        ]
        for interval in analytics.INTERVALS:
            cases.append((TrendSchema(), analytics.trend(user=user, preset=preset, interval=interval), fast_json.trend))
        for schema, result, build in cases:
            assert_same_json(app, schema, result, build)


def test_analytics_over_the_whole_history_and_an_empty_period(app, rich_user):
    with app.app_context():
        user = db.session.get(User, rich_user.id)
        for date_from, date_to in (("2020-01-01", "2029-12-31"), ("1990-01-01", "1990-01-31")):
            period = {"date_from": date_from, "date_to": date_to}
            summary = analytics.summary(user=user, **period)
            dumped = assert_same_json(app, SummarySchema(), summary, fast_json.summary)
            assert_same_json(app, ByCategorySchema(), analytics.by_category(user=user, **period), fast_json.by_category)
            assert_same_json(
                app,
                ByPaymentMethodSchema(),
                analytics.by_payment_method(user=user, **period),
                fast_json.by_payment_method,
            )
            assert_same_json(
                app, TrendSchema(), analytics.trend(user=user, interval="month", **period), fast_json.trend
            )
        # The empty period has no previous total: change_pct is null both ways.
        assert dumped["change_pct"] is None


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
text = st.text(max_size=40)
moment = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC))
category = st.none() | st.builds(
    Category, id=st.integers(1, 2**31 - 1), name=st.text(min_size=1, max_size=50), color=st.just("#198754")
)


@st.composite
def generated_expenses(draw) -> Expense:
    source = draw(st.sampled_from([*FX_SOURCES, None]))
    converted = source is not None
    return Expense(
        id=draw(st.integers(1, 2**31 - 1)),
        user_id=1,
        amount=draw(money),
        currency=draw(st.sampled_from(["USD", "EUR", "JPY", "ARS", "GBP"])),
        date=draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))),
        base_amount=draw(money) if converted else None,
        fx_rate=draw(st.decimals(min_value=Decimal("0.0000000001"), max_value=Decimal("99999"), places=10))
        if converted
        else None,
        fx_date=draw(st.dates()) if converted else None,
        fx_source=source,
        description=draw(text),
        category_id=draw(st.integers(1, 2**31 - 1)),
        category=draw(category),
        payment_method=draw(st.sampled_from(PAYMENT_METHODS)),
        tags=[Tag(name=name) for name in draw(st.lists(st.text(min_size=1, max_size=50), max_size=5))],
        notes=draw(text),
        created_at=draw(moment),
        updated_at=draw(moment),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=generated_expenses())
def test_generated_expenses_are_the_same_both_ways(app, item):
    with app.app_context():
        assert_same_json(app, ExpenseSchema(), item, fast_json.expense)


NEW_HEADERS = {"ETag", "Cache-Control", "Vary", "Content-Length"}


def test_headers_are_those_of_a_schema_dumped_answer(app_factory, make_user):
    """The list (fast path) against one expense (marshmallow): the same headers, with the rate
    limiter on, plus only the conditional-request ones."""
    app = app_factory(RATELIMIT_ENABLED=True)
    client = app.test_client()
    user = make_user()
    headers = bearer(api_sign_in(client, user).json["access_token"])
    with app.app_context():
        expense_id = factories.create_expense(db.session.get(User, user.id), description="Tea")
    single = client.get(f"/api/v1/expenses/{expense_id}", headers=headers)
    listed = client.get("/api/v1/expenses", headers=headers)
    summary = client.get("/api/v1/analytics/summary", headers=headers)
    for fast in (listed, summary):
        assert fast.status_code == 200
        assert fast.headers["Content-Type"] == single.headers["Content-Type"] == "application/json"
        assert set(fast.headers.keys()) - NEW_HEADERS == set(single.headers.keys()) - NEW_HEADERS
        assert "X-RateLimit-Remaining" in fast.headers
        assert "X-Request-Id" in fast.headers or "X-Request-ID" in fast.headers
        assert fast.headers["Content-Security-Policy"] == single.headers["Content-Security-Policy"]
    assert listed.json["items"][0] == single.json
    assert listed.data.endswith(b"\n")
