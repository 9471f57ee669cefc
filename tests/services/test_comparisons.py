"""Comparisons that compare like with like (issue 13): `analytics.comparison_period`, the one rule
the summary, the running-total chart and the API share, on the issue's examples and as a property;
then the figures on 1 December 2026 (`like_with_like`), hand-computed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import analytics, rules
from tests.services.like_with_like import TODAY, build_comparison_user, freeze, neighbour

D = Decimal
P = analytics.Period


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("period", "preset", "expected", "rule"),
    [
        # Whole months: the same number of whole months just before.
        (("2026-11-01", "2026-11-30"), None, ("2026-10-01", "2026-10-31"), "previous_months"),
        (("2024-03-01", "2024-03-31"), None, ("2024-02-01", "2024-02-29"), "previous_months"),
        (("2026-01-01", "2026-03-31"), None, ("2025-10-01", "2025-12-31"), "previous_months"),
        (("2026-03-01", "2026-03-31"), None, ("2026-02-01", "2026-02-28"), "previous_months"),
        (("2024-03-01", "2024-03-31"), "last_month", ("2024-02-01", "2024-02-29"), "previous_months"),
        # From a 1st to a day inside that month: the same days of the month before, clamped.
        (("2026-12-01", "2026-12-01"), None, ("2026-11-01", "2026-11-01"), "same_days_previous_month"),
        (("2026-03-01", "2026-03-30"), None, ("2026-02-01", "2026-02-28"), "same_days_previous_month"),
        (("2024-03-01", "2024-03-30"), None, ("2024-02-01", "2024-02-29"), "same_days_previous_month"),
        (("2026-12-01", "2026-12-01"), "this_month", ("2026-11-01", "2026-11-01"), "same_days_previous_month"),
        # Year to date: the same days of last year; a 29 February end clamps to the 28th.
        (("2026-01-01", "2026-12-01"), "year_to_date", ("2025-01-01", "2025-12-01"), "same_days_last_year"),
        (("2028-01-01", "2028-02-29"), "year_to_date", ("2027-01-01", "2027-02-28"), "same_days_last_year"),
        # Any other range: as many days just before (today's rule).
        (("2026-11-02", "2026-11-30"), None, ("2026-10-04", "2026-11-01"), "previous_days"),
        (("2026-11-15", "2026-12-14"), None, ("2026-10-16", "2026-11-14"), "previous_days"),
        (("2026-10-01", "2026-12-01"), None, ("2026-07-31", "2026-09-30"), "previous_days"),
        # The same dates without `year_to_date` are just a range.
        (("2026-01-01", "2026-12-01"), "custom", ("2025-01-31", "2025-12-31"), "previous_days"),  # 335 days
    ],
)
def test_the_issues_examples(period, preset, expected, rule):
    result = analytics.comparison_period(P(d(period[0]), d(period[1])), preset=preset)
    assert (result.period, result.rule) == (P(d(expected[0]), d(expected[1])), rule)


def _ranges():
    """Periods of every kind the rule distinguishes, anywhere in the allowed dates."""
    first = st.dates(rules.MIN_DATE, dt.date(2999, 1, 1))
    months = st.builds(
        lambda day, count: P(day.replace(day=1), analytics.month_end(analytics.add_months(day, count - 1))),
        first,
        st.integers(1, 120),
    )
    inside = st.builds(
        lambda day, last: P(day.replace(day=1), day.replace(day=min(last, analytics.month_end(day).day))),
        first,
        st.integers(1, 31),
    )
    other = st.builds(lambda day, length: P(day, day + dt.timedelta(days=length)), first, st.integers(0, 800))
    return st.one_of(months, inside, other)


@settings(max_examples=150, deadline=None)
@given(period=_ranges())
def test_the_comparison_is_like_with_like(period):
    comparison = analytics.comparison_period(period)
    before = comparison.period
    # Always a real range that ends before the period starts (at most 10 years of months before 1900).
    assert dt.date(1890, 1, 1) <= before.date_from <= before.date_to < period.date_from
    if comparison.rule == "previous_months":
        # As many whole months, ending the day before.
        assert before.date_from.day == 1 and before.date_to == analytics.month_end(before.date_to)
        assert before.date_to == period.date_from - dt.timedelta(days=1)
        assert _months(before) == _months(period)
    elif comparison.rule == "same_days_previous_month":
        # The same days (never more) of the month before.
        assert before.date_from == analytics.add_months(period.date_from, -1)
        assert before.days <= period.days and before.date_to.month == before.date_from.month
        assert before.date_to.day in (period.date_to.day, analytics.month_end(before.date_from).day)
    else:
        assert comparison.rule == "previous_days"
        assert before.days == period.days and before.date_to == period.date_from - dt.timedelta(days=1)


@settings(max_examples=60, deadline=None)
@given(today=st.dates(dt.date(1901, 1, 1), dt.date(2999, 12, 31)))
def test_year_to_date_compares_with_the_same_days_of_last_year_any_day(today):
    period = analytics.preset_period(preset="year_to_date", today=today)
    comparison = analytics.comparison_period(period, preset="year_to_date")
    before = comparison.period
    assert comparison.rule == "same_days_last_year"
    assert before.date_from == dt.date(today.year - 1, 1, 1) and before.date_to.year == today.year - 1
    # The same calendar day last year; 29 February clamps to the 28th.
    expected_end = (2, 28) if (today.month, today.day) == (2, 29) else (today.month, today.day)
    assert (before.date_to.month, before.date_to.day) == expected_end
    # So the lengths differ by at most the 29 February one of the two years has.
    assert abs(before.days - period.days) <= (1 if today.month > 2 or (today.month, today.day) == (2, 29) else 0)


def _months(period: analytics.Period) -> int:
    return (period.date_to.year - period.date_from.year) * 12 + period.date_to.month - period.date_from.month


# --- the figures on 1 December 2026 ----------------------------------------------------------------


@pytest.fixture
def owner(app, make_user, monkeypatch):
    neighbour(app, make_user)
    freeze(monkeypatch)
    user = make_user(email="compare@example.com", currency="EUR")
    with app.app_context():
        build_comparison_user(db.session.get(User, user.id))
    return user


def _summary(app, owner, preset):
    with app.app_context():
        user = db.session.get(User, owner.id)
        return analytics.summary(user=user, preset=preset), analytics.dashboard(user=user, preset=preset)


def test_this_month_on_the_first_compares_with_the_first_of_last_month(app, owner):
    result, page = _summary(app, owner, "this_month")
    # 1 Dec: Rent 1,000.00 + 12.50 = 1,012.50. 1 Nov: Rent 1,000.00 + the USD book 18.00 = 1,018.00
    # (the ARS taxi of 1 Nov waits for a rate). (1,012.50 - 1,018.00) / 1,018.00 = -0.54 % -> -0.5
    assert (result.date_from, result.date_to, result.total) == (TODAY, TODAY, D("1012.50"))
    assert result.previous_period == analytics.PeriodTotal(
        d("2026-11-01"), d("2026-11-01"), D("1018.00"), 1, "same_days_previous_month"
    )
    assert result.change_pct == D("-0.5")
    _agree(page, result)


def test_last_month_on_the_first_compares_with_all_of_october(app, owner):
    result, page = _summary(app, owner, "last_month")
    # November: 1,000.00 + 60.00 + 15.00 + 18.00 = 1,093.00; October: 1,000.00 + 50.00 + 25.00 =
    # 1,075.00, its Rent of 1 Oct included. 18.00 / 1,075.00 = 1.67 % -> 1.7
    assert (result.date_from, result.date_to, result.total) == (d("2026-11-01"), d("2026-11-30"), D("1093.00"))
    assert result.previous_period == analytics.PeriodTotal(
        d("2026-10-01"), d("2026-10-31"), D("1075.00"), 0, "previous_months"
    )
    assert result.change_pct == D("1.7")
    _agree(page, result)


def test_year_to_date_compares_with_the_same_days_of_last_year(app, owner):
    result, page = _summary(app, owner, "year_to_date")
    # 2026 to 1 Dec: October 1,075.00 + November 1,093.00 + 1 Dec 1,012.50 = 3,180.50.
    # 1 Jan - 1 Dec 2025: 10.00 + 20.00 + 30.00 = 60.00 (2 Dec 2025's 40.00 is outside).
    # 3,120.50 / 60.00 = 5,200.83 % -> 5200.8
    assert (result.date_from, result.date_to, result.total) == (d("2026-01-01"), TODAY, D("3180.50"))
    assert result.previous_period == analytics.PeriodTotal(
        d("2025-01-01"), d("2025-12-01"), D("60.00"), 0, "same_days_last_year"
    )
    assert result.change_pct == D("5200.8")
    _agree(page, result)


def _agree(page: analytics.Dashboard, result: analytics.Summary) -> None:
    """The dashboard's card and its running-total chart use the summary's comparison period."""
    assert page.summary == result
    running = page.running_totals
    previous = result.previous_period
    assert running.comparison.period == P(previous.date_from, previous.date_to)
    assert running.period == P(result.date_from, result.date_to)
    # Each line ends at its period's total (no filters here, and nothing is dated after today).
    assert [value for value in running.previous if value is not None][-1] == previous.total
    assert [value for value in running.current if value is not None][-1] == result.total
    assert len(running.days) == max(running.period.days, running.comparison.period.days)


def test_the_running_total_is_drawn_for_up_to_a_year(app, owner):
    with app.app_context():
        user = db.session.get(User, owner.id)
        year = analytics.dashboard(user=user, preset="last_12_months")
        longer = analytics.dashboard(user=user, preset="custom", date_from="2025-01-01", date_to="2026-12-01")
    # 1 Jan 2026 - 31 Dec 2026 (365 days) against the 12 months before, day by day.
    assert year.running_totals.comparison.period == P(d("2025-01-01"), d("2025-12-31"))
    assert len(year.running_totals.days) == 365
    # 700 days would be a 700-row table: no running total, the card still compares.
    assert longer.running_totals is None
    assert longer.summary.previous_period.rule == "previous_days"
