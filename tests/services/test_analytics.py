"""Analytics service: exact, hand-computed figures on a fixed set of expenses (no HTTP).

`seed_expenses` builds the data set that the API and dashboard tests reuse. Every expected value
below was computed by hand from it; the comments show the arithmetic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import Category, Expense, User
from expense_app.services import analytics
from expense_app.services.unit_of_work import transaction

D = Decimal
TODAY = dt.date(2026, 11, 15)

# (date, category, amount, payment method, description) of the main user, Alex.
ALEX_EXPENSES = [
    # October 2026: November compares with the whole of October, the 1st included.
    ("2026-10-01", "Food", "50.00", "cash", "Market"),
    ("2026-10-02", "Food", "100.00", "debit_card", "Groceries"),
    ("2026-10-31", "Shopping", "400.00", "credit_card", "Coat"),
    # November 2026: 0.10 + 0.20 and 3 x 33.33 are not exact in binary floating point.
    ("2026-11-02", "Food", "0.10", "cash", "Gum"),
    ("2026-11-02", "Food", "0.20", "credit_card", "Candy"),
    ("2026-11-10", "Transport", "33.33", "credit_card", "Train"),
    ("2026-11-11", "Transport", "33.33", "credit_card", "Train"),
    ("2026-11-12", "Transport", "33.33", "debit_card", "Train"),
    ("2026-11-30", "Housing", "900.00", "bank_transfer", "Rent"),
    # Around the end of 2026: 28 Dec 2026 - 3 Jan 2027 is ISO week 2026-W53.
    ("2026-12-27", "Other", "5.00", "cash", "Sunday W52"),
    ("2026-12-28", "Other", "10.00", "cash", "Monday W53"),
    ("2027-01-01", "Other", "20.00", "cash", "Friday W53"),
    ("2027-01-03", "Other", "30.00", "cash", "Sunday W53"),
    ("2027-01-04", "Other", "40.00", "cash", "Monday 2027-W01"),
    # February 2024 has a leap day.
    ("2024-02-28", "Health", "1.00", "cash", "Plasters"),
    ("2024-02-29", "Health", "12.34", "cash", "Leap day pharmacy"),
    ("2024-03-01", "Health", "1.00", "cash", "Plasters"),
    # June 2025: shares of exactly 0.25 % and 99.75 % (rounded half up to 0.3 and 99.8).
    ("2025-06-10", "Food", "1.00", "cash", "Apple"),
    ("2025-06-11", "Transport", "399.00", "credit_card", "Bike"),
    # July 2025: average 0.25 / 2 = 0.125, rounded half up to 0.13.
    ("2025-07-01", "Food", "0.10", "cash", "Mint"),
    ("2025-07-02", "Food", "0.15", "cash", "Mint"),
]

# A second user spending in the same months: none of it may show up in Alex's figures.
SAM_EXPENSES = [
    ("2026-11-02", "Food", "7777.77", "cash", "Sam's feast"),
    ("2026-11-30", "Housing", "1.11", "bank_transfer", "Sam's rent"),
    ("2026-10-15", "Food", "2.22", "cash", "Sam's lunch"),
]


@dataclass
class Seeded:
    alex: User
    sam: User
    alex_categories: dict[str, int]
    sam_categories: dict[str, int]


def insert_expenses(user: User, expenses) -> dict[str, int]:
    """Store `(date, category name, amount, payment method, description)` rows for `user`; return
    the user's category ids by name. Needs an app context."""
    categories = dict(
        db.session.execute(sa.select(Category.name, Category.id).where(Category.user_id == user.id)).all()
    )
    # Straight into the table: fixed past and future dates, independent of the expense rules. In
    # the user's own currency, so converted as `same` (base amount = amount), as a create would.
    with transaction() as session:
        session.add_all(
            Expense(
                user_id=user.id,
                category_id=categories[category],
                amount=D(amount),
                currency=user.currency,
                date=dt.date.fromisoformat(day),
                payment_method=method,
                description=description,
                base_amount=D(amount),
                fx_rate=1,
                fx_date=dt.date.fromisoformat(day),
                fx_source="same",
            )
            for day, category, amount, method, description in expenses
        )
    return categories


def seed_expenses(app, make_user) -> Seeded:
    """Create Alex and Sam with the expenses above; return them (detached) and their category ids."""
    alex = make_user(email="alex@example.com", full_name="Alex")
    sam = make_user(email="sam@example.com", full_name="Sam")
    with app.app_context():
        alex_categories = insert_expenses(alex, ALEX_EXPENSES)
        sam_categories = insert_expenses(sam, SAM_EXPENSES)
    return Seeded(alex, sam, alex_categories, sam_categories)


@pytest.fixture
def seeded(app, make_user) -> Seeded:
    return seed_expenses(app, make_user)


@pytest.fixture
def alex(seeded, ctx) -> User:
    return db.session.get(User, seeded.alex.id)


NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


# --- periods ---------------------------------------------------------------------------------------


def test_default_period_is_the_current_month():
    assert analytics.resolve_period(today=TODAY) == analytics.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert analytics.resolve_period(today=dt.date(2024, 2, 10)) == analytics.Period(
        dt.date(2024, 2, 1), dt.date(2024, 2, 29)
    )


def test_one_missing_bound_is_filled_in():
    only_to = analytics.resolve_period(date_to="2026-03-17", today=TODAY)
    assert only_to == analytics.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 17))
    only_from = analytics.resolve_period(date_from="2026-06-05", today=TODAY)
    assert only_from == analytics.Period(dt.date(2026, 6, 5), dt.date(2026, 11, 30))
    later_from = analytics.resolve_period(date_from="2027-02-05", today=TODAY)
    assert later_from == analytics.Period(dt.date(2027, 2, 5), dt.date(2027, 2, 28))


def test_previous_period_has_the_same_length_and_ends_the_day_before():
    november = analytics.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert november.previous() == analytics.Period(dt.date(2026, 10, 2), dt.date(2026, 10, 31))
    leap_february = analytics.Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert leap_february.previous() == analytics.Period(dt.date(2024, 1, 3), dt.date(2024, 1, 31))
    one_day = analytics.Period(dt.date(2027, 1, 1), dt.date(2027, 1, 1))
    assert one_day.previous() == analytics.Period(dt.date(2026, 12, 31), dt.date(2026, 12, 31))


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("this_month", ("2026-11-01", "2026-11-15")),  # month to date
        ("last_month", ("2026-10-01", "2026-10-31")),
        ("last_3_months", ("2026-09-01", "2026-11-30")),
        ("last_12_months", ("2025-12-01", "2026-11-30")),
        ("year_to_date", ("2026-01-01", "2026-11-15")),
    ],
)
def test_presets(preset, expected):
    period = analytics.preset_period(preset=preset, today=TODAY)
    assert (period.date_from.isoformat(), period.date_to.isoformat()) == expected


def test_presets_across_a_year_start():
    january = dt.date(2027, 1, 20)
    assert analytics.preset_period(preset="last_month", today=january) == analytics.Period(
        dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    )
    assert analytics.preset_period(preset="last_3_months", today=january).date_from == dt.date(2026, 11, 1)


@pytest.mark.parametrize("preset", ["custom", "forever", ""])
def test_unknown_preset_is_refused(preset):
    with pytest.raises(ValidationFailed) as caught:
        analytics.preset_period(preset=preset, today=TODAY)
    assert "period" in caught.value.errors


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        ({"date_from": "2026-11-30", "date_to": "2026-11-01"}, "date_from", "Must be on or before date_to."),
        ({"date_from": "2016-01-01", "date_to": "2026-01-01"}, "date_to", "The period must be at most 10 years long."),
        ({"date_from": "2024-02-29", "date_to": "2034-03-01"}, "date_to", "The period must be at most 10 years long."),
        ({"date_from": "26-11-01"}, "date_from", "Must be a date such as 2026-11-26."),
        ({"date_to": "2026-02-30"}, "date_to", "Must be a date such as 2026-11-26."),
        ({"date_from": "1899-12-31"}, "date_from", "Must be between 1900-01-01 and 2999-12-31."),
    ],
)
def test_period_rules(dates, field, message):
    with pytest.raises(ValidationFailed) as caught:
        analytics.resolve_period(today=TODAY, **dates)
    assert caught.value.errors == {field: [message]}


def test_a_period_of_exactly_ten_years_is_allowed():
    assert analytics.resolve_period(date_from="2016-01-01", date_to="2025-12-31").days == 3653
    # 29 February plus ten years is 1 March (there is no 29 February 2034): up to 28 February.
    assert analytics.resolve_period(date_from="2024-02-29", date_to="2034-02-28").days == 3653


def test_period_rules_apply_to_every_figure(alex):
    backwards = {"date_from": "2026-11-30", "date_to": "2026-11-01"}
    for figure in (
        analytics.summary,
        analytics.by_category,
        analytics.by_payment_method,
        analytics.trend,
        analytics.top_expenses,
    ):
        with pytest.raises(ValidationFailed) as caught:
            figure(user=alex, **backwards)
        assert caught.value.errors == {"date_from": ["Must be on or before date_to."]}, figure.__name__


# --- summary ---------------------------------------------------------------------------------------


def test_summary_of_a_month_with_cents_that_floats_cannot_add(alex):
    result = analytics.summary(user=alex, today=TODAY, **NOVEMBER)
    assert result.date_from == dt.date(2026, 11, 1)
    assert result.date_to == dt.date(2026, 11, 30)
    # 0.10 + 0.20 + 3 x 33.33 + 900.00
    assert result.total == D("1000.29")
    assert result.count == 6
    # 1000.29 / 6 = 166.715 -> 166.72
    assert result.average == D("166.72")
    # November is under way on the 15th: 1000.29 / 15 days = 66.686 -> 66.69
    assert result.daily_average == D("66.69")
    # A whole month compares with the whole month before: 1 - 31 Oct, 50.00 + 100.00 + 400.00
    assert result.previous_period == analytics.PeriodTotal(
        dt.date(2026, 10, 1), dt.date(2026, 10, 31), D("550.00"), 0, "previous_months"
    )
    # (1000.29 - 550.00) / 550.00 = 81.871 % -> 81.9
    assert result.change_pct == D("81.9")
    assert str(result.total) == "1000.29"


def test_summary_of_a_finished_period_averages_over_all_its_days(alex):
    result = analytics.summary(user=alex, today=dt.date(2026, 12, 5), **NOVEMBER)
    # 1000.29 / 30 = 33.343 -> 33.34
    assert result.daily_average == D("33.34")


def test_summary_of_a_month_with_no_expenses(alex):
    result = analytics.summary(user=alex, date_from="2026-09-01", date_to="2026-09-30", today=TODAY)
    assert (result.total, result.count, result.average, result.daily_average) == (
        D("0.00"),
        0,
        D("0.00"),
        D("0.00"),
    )
    assert result.previous_period.total == D("0.00")
    assert result.change_pct is None


def test_change_against_the_previous_period(alex):
    # 2 - 31 October (100.00 + 400.00) against 2 September - 1 October (50.00): +900 %
    october = analytics.summary(user=alex, date_from="2026-10-02", date_to="2026-10-31", today=TODAY)
    assert october.total == D("500.00")
    assert october.previous_period == analytics.PeriodTotal(dt.date(2026, 9, 2), dt.date(2026, 10, 1), D("50.00"))
    assert october.change_pct == D("900.0")
    # December 2026 (a whole month: 5.00 + 10.00) against the whole of November (1000.29):
    # -985.29 / 1000.29 = -98.50 %
    december = analytics.summary(user=alex, date_from="2026-12-01", date_to="2026-12-31", today=TODAY)
    assert december.total == D("15.00")
    assert december.previous_period == analytics.PeriodTotal(
        dt.date(2026, 11, 1), dt.date(2026, 11, 30), D("1000.29"), 0, "previous_months"
    )
    assert december.change_pct == D("-98.5")


def test_summary_of_the_leap_month(alex):
    result = analytics.summary(user=alex, date_from="2024-02-01", date_to="2024-02-29", today=TODAY)
    # 1.00 + 12.34; 13.34 / 29 days = 0.46
    assert (result.total, result.count, result.daily_average) == (D("13.34"), 2, D("0.46"))
    # The whole of January, not the 29 days before (3 - 31 January).
    assert (result.previous_period.date_from, result.previous_period.date_to) == (
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 31),
    )


def test_averages_round_half_up(alex):
    result = analytics.summary(user=alex, date_from="2025-07-01", date_to="2025-07-31", today=TODAY)
    # (0.10 + 0.15) / 2 = 0.125 -> 0.13 (half-even would say 0.12)
    assert result.average == D("0.13")
    # 0.25 / 31 = 0.00806 -> 0.01
    assert result.daily_average == D("0.01")


def test_summary_default_period_is_this_month(alex):
    result = analytics.summary(user=alex, today=TODAY)
    assert (result.date_from, result.date_to, result.total) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        D("1000.29"),
    )


# --- filters ---------------------------------------------------------------------------------------


def test_filters_narrow_every_figure(alex, seeded):
    transport = seeded.alex_categories["Transport"]
    result = analytics.summary(user=alex, category_ids=[transport], today=TODAY, **NOVEMBER)
    assert (result.total, result.count) == (D("99.99"), 3)
    credit = analytics.summary(user=alex, payment_methods=["credit_card"], today=TODAY, **NOVEMBER)
    # 0.20 + 33.33 + 33.33
    assert (credit.total, credit.count) == (D("66.86"), 3)
    both = analytics.summary(
        user=alex, category_ids=[transport], payment_methods=["credit_card"], today=TODAY, **NOVEMBER
    )
    assert (both.total, both.count) == (D("66.66"), 2)
    several = analytics.by_payment_method(user=alex, payment_methods=["cash", "bank_transfer"], **NOVEMBER)
    assert [(item.payment_method, item.total) for item in several.items] == [
        ("bank_transfer", D("900.00")),
        ("cash", D("0.10")),
    ]
    assert several.total == D("900.10")
    categories = analytics.by_category(
        user=alex, category_ids=[seeded.alex_categories["Food"], str(transport)], **NOVEMBER
    )
    assert [(item.name, item.total) for item in categories.items] == [("Transport", D("99.99")), ("Food", D("0.30"))]


def test_filters_apply_to_the_previous_period_too(alex, seeded):
    food = seeded.alex_categories["Food"]
    result = analytics.summary(user=alex, category_ids=[food], today=TODAY, **NOVEMBER)
    # November's food 0.30 against October's food 50.00 + 100.00: -149.70 / 150.00 = -99.8 %
    assert result.previous_period.total == D("150.00")
    assert result.change_pct == D("-99.8")


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"payment_methods": ["cheque"]}, "payment_method"),
        ({"category_ids": ["food"]}, "category_id"),
    ],
)
def test_malformed_filters_are_refused(alex, filters, field):
    with pytest.raises(ValidationFailed) as caught:
        analytics.summary(user=alex, **filters, **NOVEMBER)
    assert field in caught.value.errors


# --- breakdowns ------------------------------------------------------------------------------------


def test_by_category_largest_first_with_shares(alex, seeded):
    result = analytics.by_category(user=alex, **NOVEMBER)
    assert result.total == D("1000.29")
    assert [(i.category_id, i.name, i.color, i.total, i.count, i.share_pct) for i in result.items] == [
        # 900 / 1000.29 = 89.9739 %; 99.99 / 1000.29 = 9.9961 %; 0.30 / 1000.29 = 0.0300 %
        (seeded.alex_categories["Housing"], "Housing", "#6f42c1", D("900.00"), 1, D("90.0")),
        (seeded.alex_categories["Transport"], "Transport", "#0d6efd", D("99.99"), 3, D("10.0")),
        (seeded.alex_categories["Food"], "Food", "#198754", D("0.30"), 2, D("0.0")),
    ]


def test_shares_round_half_up(alex):
    result = analytics.by_category(user=alex, date_from="2025-06-01", date_to="2025-06-30")
    # 399 / 400 = 99.75 % -> 99.8; 1 / 400 = 0.25 % -> 0.3 (half-even would say 0.2)
    assert [(i.name, i.share_pct) for i in result.items] == [("Transport", D("99.8")), ("Food", D("0.3"))]
    methods = analytics.by_payment_method(user=alex, date_from="2025-06-01", date_to="2025-06-30")
    assert [(i.payment_method, i.total, i.count, i.share_pct) for i in methods.items] == [
        ("credit_card", D("399.00"), 1, D("99.8")),
        ("cash", D("1.00"), 1, D("0.3")),
    ]


def test_by_payment_method(alex):
    result = analytics.by_payment_method(user=alex, **NOVEMBER)
    assert result.total == D("1000.29")
    assert [(i.payment_method, i.total, i.count, i.share_pct) for i in result.items] == [
        ("bank_transfer", D("900.00"), 1, D("90.0")),  # 89.974 %
        ("credit_card", D("66.86"), 3, D("6.7")),  # 6.684 %
        ("debit_card", D("33.33"), 1, D("3.3")),  # 3.332 %
        ("cash", D("0.10"), 1, D("0.0")),  # 0.010 %
    ]


def test_breakdowns_of_an_empty_period(alex):
    for figure in (analytics.by_category, analytics.by_payment_method):
        result = figure(user=alex, date_from="2026-09-01", date_to="2026-09-30")
        assert (result.total, result.items) == (D("0.00"), [])


def test_equal_totals_are_ordered_by_name(app, make_user):
    user = make_user()
    with app.app_context():
        insert_expenses(
            user,
            [
                ("2026-11-03", "Transport", "5.00", "cash", "b"),
                ("2026-11-04", "Entertainment", "5.00", "mobile_payment", "a"),
                ("2026-11-05", "Food", "5.00", "debit_card", "c"),
            ],
        )
        owner = db.session.get(User, user.id)
        result = analytics.by_category(user=owner, **NOVEMBER)
        assert [item.name for item in result.items] == ["Entertainment", "Food", "Transport"]
        assert [item.share_pct for item in result.items] == [D("33.3")] * 3
        methods = analytics.by_payment_method(user=owner, **NOVEMBER)
        assert [item.payment_method for item in methods.items] == ["cash", "debit_card", "mobile_payment"]


# --- trend -----------------------------------------------------------------------------------------


def _points(result) -> list[tuple[str, str, str, int]]:
    return [(p.period, p.start.isoformat(), str(p.total), p.count) for p in result.items]


def test_monthly_trend_fills_empty_months(alex):
    result = analytics.trend(user=alex, interval="month", date_from="2026-08-15", date_to="2026-11-30")
    assert (result.interval, result.date_from, result.date_to) == ("month", dt.date(2026, 8, 15), dt.date(2026, 11, 30))
    assert _points(result) == [
        ("2026-08", "2026-08-01", "0.00", 0),
        ("2026-09", "2026-09-01", "0.00", 0),
        ("2026-10", "2026-10-01", "550.00", 3),
        ("2026-11", "2026-11-01", "1000.29", 6),
    ]


def test_monthly_trend_counts_only_the_period_in_partial_months(alex):
    result = analytics.trend(user=alex, interval="month", date_from="2026-10-02", date_to="2026-11-10")
    assert _points(result) == [
        ("2026-10", "2026-10-01", "500.00", 2),
        ("2026-11", "2026-11-01", "33.63", 3),  # 0.10 + 0.20 + 33.33
    ]


def test_weekly_trend_across_the_year_end(alex):
    result = analytics.trend(user=alex, interval="week", date_from="2026-12-24", date_to="2027-01-10")
    assert _points(result) == [
        ("2026-W52", "2026-12-21", "5.00", 1),
        ("2026-W53", "2026-12-28", "60.00", 3),  # 28 Dec + 1 Jan + 3 Jan
        ("2027-W01", "2027-01-04", "40.00", 1),
    ]
    monthly = analytics.trend(user=alex, interval="month", date_from="2026-12-24", date_to="2027-01-10")
    assert _points(monthly) == [("2026-12", "2026-12-01", "15.00", 2), ("2027-01", "2027-01-01", "90.00", 3)]


def test_weekly_trend_starts_on_monday(alex):
    result = analytics.trend(user=alex, interval="week", **NOVEMBER)
    # 1 Nov 2026 is a Sunday: its week (W44) started on Monday 26 October.
    assert _points(result) == [
        ("2026-W44", "2026-10-26", "0.00", 0),
        ("2026-W45", "2026-11-02", "0.30", 2),
        ("2026-W46", "2026-11-09", "99.99", 3),
        ("2026-W47", "2026-11-16", "0.00", 0),
        ("2026-W48", "2026-11-23", "0.00", 0),
        ("2026-W49", "2026-11-30", "900.00", 1),
    ]


def test_daily_trend_of_the_leap_month(alex):
    result = analytics.trend(user=alex, interval="day", date_from="2024-02-01", date_to="2024-02-29")
    assert len(result.items) == 29
    assert _points(result)[-2:] == [("2024-02-28", "2024-02-28", "1.00", 1), ("2024-02-29", "2024-02-29", "12.34", 1)]
    assert sum(p.total for p in result.items) == D("13.34")
    assert all(p.total == D("0.00") and p.count == 0 for p in result.items[:-2])


def test_daily_trend_is_limited_to_366_days(alex):
    leap_year = analytics.trend(user=alex, interval="day", date_from="2024-01-01", date_to="2024-12-31")
    assert len(leap_year.items) == 366
    assert sum(p.total for p in leap_year.items) == D("14.34")
    with pytest.raises(ValidationFailed) as caught:
        analytics.trend(user=alex, interval="day", date_from="2024-01-01", date_to="2025-01-01")
    assert caught.value.errors == {
        "interval": ["A daily trend covers at most 366 days; this period has 367. Use week or month."]
    }


def test_unknown_interval_is_refused(alex):
    with pytest.raises(ValidationFailed) as caught:
        analytics.trend(user=alex, interval="year", **NOVEMBER)
    assert caught.value.errors == {"interval": ["Must be one of: day, week, month."]}


def test_ten_years_of_months_in_one_series(alex):
    result = analytics.trend(user=alex, interval="month", date_from="2017-01-01", date_to="2026-12-31")
    assert len(result.items) == 120
    # Everything Alex spent before 2027: 550.00 + 1000.29 + 15.00 + 14.34 + 400.00 + 0.25
    assert sum(p.total for p in result.items) == D("1979.88")
    assert sum(p.count for p in result.items) == 18


# --- top expenses ----------------------------------------------------------------------------------


def test_top_expenses_largest_first_ties_by_latest(alex):
    result = analytics.top_expenses(user=alex, limit=3, **NOVEMBER)
    assert [(str(e.amount), e.date.isoformat()) for e in result.items] == [
        ("900.00", "2026-11-30"),
        ("33.33", "2026-11-12"),
        ("33.33", "2026-11-11"),
    ]
    assert result.items[0].category.name == "Housing"
    assert result.items[0].tags == []


def test_top_expenses_default_limit_and_bounds(alex):
    assert len(analytics.top_expenses(user=alex, **NOVEMBER).items) == 5
    assert len(analytics.top_expenses(user=alex, limit=50, **NOVEMBER).items) == 6
    for limit in (0, 51, True):
        with pytest.raises(ValidationFailed) as caught:
            analytics.top_expenses(user=alex, limit=limit, **NOVEMBER)
        assert caught.value.errors == {"limit": ["Must be between 1 and 50."]}


# --- running totals --------------------------------------------------------------------------------


def test_running_totals_of_this_month_stop_today(alex):
    result = analytics.running_totals(user=alex, today=TODAY)
    assert (result.month, result.previous_month) == (dt.date(2026, 11, 1), dt.date(2026, 10, 1))
    assert result.days == list(range(1, 32))
    cents = [None if value is None else str(value) for value in result.current]
    assert cents[:2] == ["0.00", "0.30"]
    assert cents[9:12] == ["33.63", "66.96", "100.29"]
    assert cents[14] == "100.29"  # the 15th, today
    assert cents[15:] == [None] * 16  # 16 - 31 November: still to come (and there is no 31st)
    assert str(result.previous[0]) == "50.00"
    assert str(result.previous[1]) == "150.00"
    assert str(result.previous[30]) == "550.00"


def test_running_totals_of_a_past_month(alex):
    result = analytics.running_totals(user=alex, month=dt.date(2024, 3, 20), today=TODAY)
    assert (result.month, result.previous_month) == (dt.date(2024, 3, 1), dt.date(2024, 2, 1))
    assert result.current[0] == D("1.00")
    assert result.current[30] == D("1.00")
    assert result.previous[27:] == [D("1.00"), D("13.34"), None, None]


# --- isolation -------------------------------------------------------------------------------------


def test_another_users_expenses_never_count(seeded, ctx):
    sam = db.session.get(User, seeded.sam.id)
    result = analytics.summary(user=sam, today=TODAY, **NOVEMBER)
    assert (result.total, result.count) == (D("7778.88"), 2)
    assert result.previous_period.total == D("2.22")
    assert [item.name for item in analytics.by_category(user=sam, **NOVEMBER).items] == ["Food", "Housing"]
    assert [str(e.amount) for e in analytics.top_expenses(user=sam, **NOVEMBER).items] == ["7777.77", "1.11"]
    # Sam naming Alex's category matches nothing rather than leaking Alex's spending.
    foreign = analytics.summary(user=sam, category_ids=[seeded.alex_categories["Housing"]], **NOVEMBER)
    assert (foreign.total, foreign.count) == (D("0.00"), 0)


# --- the dashboard ---------------------------------------------------------------------------------


def test_dashboard_gathers_the_same_figures(alex, seeded):
    result = analytics.dashboard(user=alex, preset="last_month", today=dt.date(2026, 12, 3))
    assert result.preset == "last_month"
    assert result.period == analytics.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert result.interval == "day"
    assert result.has_expenses
    assert result.summary == analytics.summary(user=alex, today=dt.date(2026, 12, 3), **NOVEMBER)
    assert result.by_category == analytics.by_category(user=alex, **NOVEMBER)
    assert len(result.trend.items) == 30
    assert result.running_totals.month == dt.date(2026, 11, 1)
    assert [option.name for option in result.categories][:3] == ["Entertainment", "Food", "Health"]


def test_dashboard_custom_period_and_filters(alex, seeded):
    transport = seeded.alex_categories["Transport"]
    result = analytics.dashboard(
        user=alex,
        date_from="2026-01-01",
        date_to="2026-12-31",
        category_ids=[str(transport)],
        payment_methods=["credit_card"],
        today=TODAY,
    )
    assert result.preset == "custom"
    assert result.interval == "month"
    assert result.category_ids == [transport]
    assert result.summary.total == D("66.66")
    assert [p.period for p in result.trend.items if p.count] == ["2026-11"]


def test_dashboard_of_a_new_user(app, make_user):
    user = make_user()
    with app.app_context():
        result = analytics.dashboard(user=db.session.get(User, user.id), today=TODAY)
        assert not result.has_expenses
        assert result.summary.total == D("0.00")
        assert result.by_category.items == []
        assert all(value in (D("0.00"), None) for value in result.running_totals.current)


def test_dashboard_refuses_an_unknown_preset(alex):
    with pytest.raises(ValidationFailed) as caught:
        analytics.dashboard(user=alex, preset="forever")
    assert "period" in caught.value.errors


# --- consistency and cost --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("2026-11-01", "2026-11-30"), ("2026-10-01", "2027-01-31"), ("2024-01-01", "2026-12-31")],
)
def test_every_breakdown_adds_up_to_the_summary(alex, date_from, date_to):
    period = {"date_from": date_from, "date_to": date_to}
    total = analytics.summary(user=alex, today=TODAY, **period).total
    assert analytics.by_category(user=alex, **period).total == total
    assert sum(item.total for item in analytics.by_category(user=alex, **period).items) == total
    assert sum(item.total for item in analytics.by_payment_method(user=alex, **period).items) == total
    for interval in ("week", "month"):
        assert sum(p.total for p in analytics.trend(user=alex, interval=interval, **period).items) == total


def test_one_query_per_figure_for_a_year_of_expenses(app, make_user):
    user = make_user()
    year = [
        ((dt.date(2026, 1, 1) + dt.timedelta(days=n)).isoformat(), "Food", f"{n % 97 + 1}.{n % 100:02d}", "cash", "")
        for n in range(365)
    ]
    with app.app_context():
        insert_expenses(user, year)
        owner = db.session.get(User, user.id)
        period = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            figures = {
                "summary": lambda: analytics.summary(user=owner, **period),
                "by_category": lambda: analytics.by_category(user=owner, **period),
                "by_payment_method": lambda: analytics.by_payment_method(user=owner, **period),
                "trend day": lambda: analytics.trend(user=owner, interval="day", **period),
                "trend week": lambda: analytics.trend(user=owner, interval="week", **period),
                "trend month": lambda: analytics.trend(user=owner, interval="month", **period),
                "running_totals": lambda: analytics.running_totals(user=owner, month=dt.date(2026, 12, 1)),
            }
            for name, figure in figures.items():
                statements.clear()
                figure()
                assert len(statements) == 1, name
            statements.clear()
            analytics.top_expenses(user=owner, **period)
            assert len(statements) == 2  # the expenses with their categories, then their tags
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.lists(st.integers(min_value=1, max_value=9_999_999_999), min_size=1, max_size=12))
def test_totals_are_exact_for_any_amounts(app, make_user, cents):
    user = make_user()
    amounts = [Decimal(value).scaleb(-2) for value in cents]
    with app.app_context():
        insert_expenses(user, [("2026-11-02", "Food", str(amount), "cash", "") for amount in amounts])
        owner = db.session.get(User, user.id)
        result = analytics.summary(user=owner, today=TODAY, **NOVEMBER)
        assert result.total == sum(amounts)
        assert result.count == len(amounts)
        assert analytics.trend(user=owner, interval="day", **NOVEMBER).items[1].total == sum(amounts)
