"""Every total is in the base currency, and expenses waiting for a rate are counted, never summed.

Issue 12's scenario (`tests.factories.create_trip`): a EUR user with EUR 20.00, USD 100.00 (base
91.83), GBP 50.00 (base 58.47, at Friday's rate) and ARS 25,000.00 (no ECB rate: waiting). Every
total is 170.30 and says 1 expense was left out; the ARS amount is in none of them.
"""

import datetime as dt
from decimal import Decimal

import pytest

from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.services import analytics, budgets, categories, dashboard, expenses, recurring
from tests.factories import category_id, create_budget, create_recurring, create_trip, insert_rates

D = Decimal
MARCH = {"date_from": "2024-03-01", "date_to": "2024-03-31"}
TODAY = dt.date(2024, 4, 10)
ARS = D("25000.00")


@pytest.fixture
def eur_user(make_user, ctx):
    return db.session.get(User, make_user(currency="EUR").id)


@pytest.fixture
def trip(eur_user):
    return create_trip(eur_user)


def test_the_conversions_are_the_ecb_rates_of_friday(eur_user, trip):
    stored = {key: db.session.get(Expense, expense_id) for key, expense_id in trip.expense_ids.items()}
    assert (stored["hotel"].base_amount, stored["hotel"].fx_rate, stored["hotel"].fx_date) == (
        D("91.83"),
        D("0.9182736455"),
        dt.date(2024, 3, 15),
    )
    # Saturday takes Friday's rate.
    assert (stored["dinner"].base_amount, stored["dinner"].fx_rate, stored["dinner"].fx_date) == (
        D("58.47"),
        D("1.1693171188"),
        dt.date(2024, 3, 15),
    )
    assert (stored["taxi"].base_amount, stored["taxi"].fx_source) == (None, None)
    assert stored["lunch"].base_amount == D("20.00")


def test_the_expense_list_total_filtered_and_not(eur_user, trip):
    unfiltered = expenses.list_expenses(user=eur_user)  # read from expense_stats
    filtered = expenses.list_expenses(user=eur_user, filters=MARCH)  # a COUNT/SUM query
    for page in (unfiltered, filtered):
        assert (page.total, page.total_amount, page.unconverted_count) == (4, trip.total, 1)
    food = expenses.list_expenses(user=eur_user, filters={"category_ids": [category_id(eur_user, "Food")]})
    assert (food.total, food.total_amount, food.unconverted_count) == (2, D("78.47"), 0)
    transport = expenses.list_expenses(user=eur_user, filters={"category_ids": [category_id(eur_user, "Transport")]})
    assert (transport.total, transport.total_amount, transport.unconverted_count) == (1, D("0.00"), 1)


def test_categories(eur_user, trip):
    by_name = {item.name: item for item in categories.list_categories(user=eur_user)}
    assert (by_name["Food"].expense_count, by_name["Food"].total_amount, by_name["Food"].unconverted_count) == (
        2,
        D("78.47"),
        0,
    )
    assert (by_name["Housing"].total_amount, by_name["Housing"].unconverted_count) == (D("91.83"), 0)
    assert (by_name["Transport"].expense_count, by_name["Transport"].total_amount) == (1, D("0.00"))
    assert by_name["Transport"].unconverted_count == 1
    assert sum(item.total_amount for item in by_name.values()) == trip.total


def test_summary_and_the_previous_period(eur_user, trip):
    result = analytics.summary(user=eur_user, today=TODAY, **MARCH)
    assert (result.total, result.count, result.unconverted_count) == (trip.total, 4, 1)
    assert result.average == D("56.77")  # 170.30 over the 3 converted expenses
    assert result.daily_average == D("5.49")  # 170.30 / 31
    # March 16-17 against March 14-15: the waiting taxi is in the current period only.
    weekend = analytics.summary(user=eur_user, today=TODAY, date_from="2024-03-16", date_to="2024-03-17")
    assert (weekend.total, weekend.count, weekend.unconverted_count) == (D("58.47"), 2, 1)
    assert (weekend.previous_period.total, weekend.previous_period.unconverted_count) == (D("111.83"), 0)
    later = analytics.summary(user=eur_user, today=TODAY, date_from="2024-03-18", date_to="2024-03-31")
    assert (later.total, later.unconverted_count) == (D("0.00"), 0)
    assert (later.previous_period.total, later.previous_period.unconverted_count) == (trip.total, 1)


def test_breakdowns(eur_user, trip):
    by_category = analytics.by_category(user=eur_user, today=TODAY, **MARCH)
    assert (by_category.total, by_category.unconverted_count) == (trip.total, 1)
    assert [(i.name, i.total, i.count, i.unconverted_count) for i in by_category.items] == [
        ("Housing", D("91.83"), 1, 0),
        ("Food", D("78.47"), 2, 0),
        ("Transport", D("0.00"), 1, 1),  # kept, so the waiting expense stays visible
    ]
    by_method = analytics.by_payment_method(user=eur_user, today=TODAY, **MARCH)
    assert (by_method.total, by_method.unconverted_count) == (trip.total, 1)
    assert [(i.payment_method, i.total, i.count, i.unconverted_count) for i in by_method.items] == [
        ("credit_card", D("150.30"), 2, 0),
        ("cash", D("20.00"), 2, 1),
    ]


@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_trend(eur_user, trip, interval):
    result = analytics.trend(user=eur_user, interval=interval, today=TODAY, **MARCH)
    assert sum(point.total for point in result.items) == trip.total
    assert sum(point.count for point in result.items) == 4
    assert result.unconverted_count == sum(point.unconverted_count for point in result.items) == 1
    if interval == "day":
        by_day = {point.start: point for point in result.items}
        assert (by_day[dt.date(2024, 3, 17)].total, by_day[dt.date(2024, 3, 17)].unconverted_count) == (D("0.00"), 1)


def test_running_totals(eur_user, trip):
    result = analytics.running_totals(user=eur_user, month=dt.date(2024, 3, 1), today=TODAY)
    assert result.current[30] == trip.total
    assert result.current[13:17] == [D("20.00"), D("111.83"), D("170.30"), D("170.30")]
    assert result.unconverted_count == 1


def test_top_expenses_rank_by_base_amount_and_leave_the_waiting_one_out(eur_user, trip):
    result = analytics.top_expenses(user=eur_user, limit=10, today=TODAY, **MARCH)
    assert [expense.id for expense in result.items] == [
        trip.expense_ids["hotel"],
        trip.expense_ids["dinner"],
        trip.expense_ids["lunch"],
    ]
    assert result.unconverted_count == 1
    # The ARS amount is the largest number, but never ranked as if it were euros.
    assert ARS not in [expense.amount for expense in result.items]
    short = analytics.top_expenses(user=eur_user, limit=1, today=TODAY, **MARCH)
    assert ([e.id for e in short.items], short.unconverted_count) == ([trip.expense_ids["hotel"]], 1)


def test_by_currency(eur_user, trip):
    result = analytics.by_currency(user=eur_user, today=TODAY, **MARCH)
    assert (result.base_currency, result.total, result.unconverted_count) == ("EUR", trip.total, 1)
    assert [(i.currency, i.count, i.total, i.base_total, i.unconverted_count) for i in result.items] == [
        ("USD", 1, D("100.00"), D("91.83"), 0),
        ("GBP", 1, D("50.00"), D("58.47"), 0),
        ("EUR", 1, D("20.00"), D("20.00"), 0),
        ("ARS", 1, ARS, D("0.00"), 1),
    ]


def test_the_dashboard_agrees(eur_user, trip):
    page = dashboard.overview(user=eur_user, preset="custom", today=TODAY, **MARCH)
    data = page.data
    assert (data.summary.total, data.summary.unconverted_count) == (trip.total, 1)
    assert data.by_category.total == data.by_payment_method.total == trip.total
    assert sum(point.total for point in data.trend.items) == trip.total
    assert (len(data.top_expenses.items), data.top_expenses.unconverted_count) == (3, 1)


def test_budgets_spend_base_amounts(eur_user, trip):
    create_budget(eur_user, overall=True, amount="500.00", effective_from="2024-03", today=TODAY)
    create_budget(
        eur_user, category_id=category_id(eur_user, "Food"), amount="100.00", effective_from="2024-03", today=TODAY
    )
    create_budget(
        eur_user, category_id=category_id(eur_user, "Transport"), amount="50.00", effective_from="2024-03", today=TODAY
    )
    status = budgets.budget_status(user=eur_user, month="2024-03", today=TODAY)
    lines = {line.name: line for line in status.lines}
    assert (lines["Overall"].spent, lines["Overall"].unconverted_count) == (trip.total, 1)
    assert (lines["Food"].spent, lines["Food"].unconverted_count) == (D("78.47"), 0)
    assert (lines["Transport"].spent, lines["Transport"].unconverted_count) == (D("0.00"), 1)
    assert lines["Transport"].remaining == D("50.00")  # ARS 25,000 did not blow the budget
    assert status.unconverted_count == 1
    # The waiting expense is March's: April counts none.
    assert budgets.budget_status(user=eur_user, month="2024-04", today=TODAY).unconverted_count == 0


def test_budget_status_without_an_overall_budget_sums_the_category_lines(eur_user, trip):
    for name in ("Food", "Transport"):
        create_budget(
            eur_user, category_id=category_id(eur_user, name), amount="10.00", effective_from="2024-03", today=TODAY
        )
    status = budgets.budget_status(user=eur_user, month="2024-03", today=TODAY)
    assert status.unconverted_count == 1


def test_recurring_monthly_cost_in_the_base_currency(eur_user, ctx):
    today = dt.date.today()
    # The monthly cost is converted at the latest rate, which must be recent (at most 7 days old).
    insert_rates(day=today)
    create_recurring(eur_user, amount="10.00", currency="USD", start_date=today)  # 9.18 a month
    create_recurring(eur_user, amount="5.00", currency="EUR", start_date=today)
    create_recurring(eur_user, amount="1000.00", currency="ARS", start_date=today)  # no rate
    summary = recurring.cost_summary(user=eur_user, today=today)
    assert (summary.base_currency, summary.base_total, summary.unconverted_count) == ("EUR", D("14.18"), 1)
    assert [(item.currency, item.monthly_amount, item.monthly_base_amount) for item in summary.items] == [
        ("USD", D("10.00"), D("9.18")),
        ("EUR", D("5.00"), D("5.00")),
        ("ARS", D("1000.00"), None),  # last: it cannot be ranked
    ]
    assert [(total.currency, total.monthly_amount) for total in summary.totals] == [
        ("EUR", D("5.00")),
        ("ARS", D("1000.00")),
        ("USD", D("10.00")),
    ]
    assert recurring.overview(user=eur_user, today=today).summary.base_total == D("14.18")
