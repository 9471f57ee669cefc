"""Analytics: where a user's money went in a period, computed in SQL, exact on both databases.

Every figure is for one user and one period `[date_from, date_to]` (both inclusive; the current
month by default), optionally narrowed to some categories and/or payment methods with the same
rules as the expense list (`services.expenses.filter_conditions`), so a chart and the list it links
to always agree.

Every total is in the user's base currency: the sum of the stored `base_amount`s. An expense still
waiting for an exchange rate (`base_amount` null) is never added; each figure says how many it
left out (`unconverted_count`), counted in the same query. Counts (`count`) include the waiting
expenses, so they match the expense list; averages divide by the converted ones only.
`by_currency` gives the original-currency totals beside their base totals. The largest expenses
are ranked by base amount; a waiting expense cannot be ranked (its size in the base currency is
unknown), so it is left out of them and counted instead.

How the figures stay exact and portable:
- Sums are taken in SQL as integer cents (`services.money`: `round(base_amount * 100)` cast to an
  integer, then summed, on SQLite; numeric on PostgreSQL). SQLite stores the column as a binary
  float and would add 0.10 + 0.20 as floats; integer cents add exactly.
- Each figure is one aggregate query (count/sum ... group by), whatever the number of expenses.
- Whole months come from `expense_month_totals` (per user, month, category and payment method,
  kept exact by triggers, models/rollups.py); only the partial months at a period's ends are read
  from `expenses` (the covering date index). `_figures` puts both under one UNION ALL with the same
  columns, so summary, by_category, by_payment_method and the monthly trend stay one statement
  each and a year costs a few hundred rollup rows instead of every expense. The rollups hold the
  same integer cents as `services.money` sums, so both halves add up to the cent. Daily and weekly
  trends, the running totals, the largest expenses and the per-currency totals read `expenses`.
- Buckets: months are grouped in SQL by `cast(extract(year|month), Integer)`, which compiles to
  `EXTRACT` on PostgreSQL and `CAST(STRFTIME(...) AS INTEGER)` on SQLite. There is no portable SQL
  for ISO weeks (SQLite's `%W` is not ISO and `%V` only exists since 3.46), so days and weeks are
  grouped in SQL by date, and the at most 366 * 10 per-date rows are folded into ISO weeks in
  Python. That is still aggregation in the database: Python touches one row per day, never one
  per expense.
- Averages and percentages are Decimals rounded half up (cents for money, one decimal for percent).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.visitors import replacement_traverse

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import Category, Expense, ExpenseMonthTotal, User
from expense_app.services.categories import CategoryOption, category_options
from expense_app.services.expenses import ExpenseFilters, filter_conditions
from expense_app.services.money import cents_to_amount, count_unconverted, sum_amount_cents, sum_base_cents
from expense_app.services.rules import CENT, Errors, clean_date, is_blank, parse_id, raise_if, today_utc

TENTH = Decimal("0.1")
ZERO = Decimal("0.00")

INTERVALS = ("day", "week", "month")
DEFAULT_INTERVAL = "month"
MAX_SPAN_YEARS = 10
MAX_DAILY_DAYS = 366
DEFAULT_TOP_LIMIT = 5
MAX_TOP_LIMIT = 50
# Analytics dates stay in MIN_DATE..MAX_DATE so that every derived date (previous period, week ends) exists.
MAX_DATE = dt.date(2999, 12, 31)
# The dashboard's "spending over time" chart has one bar per day up to this many days, else per month.
DAILY_TREND_MAX_DAYS = 62

PRESETS = {
    "this_month": "This month",
    "last_month": "Last month",
    "last_3_months": "Last 3 months",
    "last_12_months": "Last 12 months",
    "year_to_date": "Year to date",
    "custom": "Custom range",
}
DEFAULT_PRESET = "this_month"


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """An inclusive date range."""

    date_from: dt.date
    date_to: dt.date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts (the
        comparison of a range that is neither whole months nor the start of a month)."""
        date_to = self.date_from - dt.timedelta(days=1)
        return Period(date_to - dt.timedelta(days=self.days - 1), date_to)


# How a period is compared (`comparison_period`), named in the API's `previous_period.rule`.
COMPARISON_RULES = ("previous_months", "same_days_previous_month", "same_days_last_year", "previous_days")


@dataclass(frozen=True)
class Comparison:
    """The period a figure is compared with, and the rule (COMPARISON_RULES) that chose it."""

    period: Period
    rule: str


# Every `total` below is in the base currency; `unconverted_count` is how many expenses of the
# total's scope are waiting for a rate (counted in `count`, left out of `total`).


@dataclass(frozen=True)
class PeriodTotal:
    date_from: dt.date
    date_to: dt.date
    total: Decimal
    unconverted_count: int = 0
    rule: str = "previous_days"  # how this period was chosen as the comparison (COMPARISON_RULES)


@dataclass(frozen=True)
class Summary:
    date_from: dt.date
    date_to: dt.date
    total: Decimal
    count: int
    average: Decimal
    daily_average: Decimal
    previous_period: PeriodTotal
    change_pct: Decimal | None
    unconverted_count: int = 0


@dataclass(frozen=True)
class CategoryShare:
    category_id: int
    name: str
    color: str
    total: Decimal
    count: int
    share_pct: Decimal
    unconverted_count: int = 0


@dataclass(frozen=True)
class PaymentMethodShare:
    payment_method: str
    total: Decimal
    count: int
    share_pct: Decimal
    unconverted_count: int = 0


@dataclass(frozen=True)
class Breakdown:
    """A period's total split by category or by payment method, largest first."""

    date_from: dt.date
    date_to: dt.date
    total: Decimal
    items: list
    unconverted_count: int = 0


@dataclass(frozen=True)
class TrendPoint:
    """One bucket: `start`..`end` are its calendar bounds (a Monday..Sunday week, a whole month)."""

    period: str
    start: dt.date
    end: dt.date
    total: Decimal
    count: int
    unconverted_count: int = 0


@dataclass(frozen=True)
class Trend:
    interval: str
    date_from: dt.date
    date_to: dt.date
    items: list[TrendPoint]

    @property
    def unconverted_count(self) -> int:
        return sum(point.unconverted_count for point in self.items)


@dataclass(frozen=True)
class TopExpenses:
    """The largest converted expenses; `unconverted_count` waiting ones of the scope were not ranked."""

    items: list[Expense]
    unconverted_count: int = 0


@dataclass(frozen=True)
class CurrencyTotal:
    """One original currency of a period: `total` in that currency, `base_total` the base amounts
    of its converted expenses, `unconverted_count` its expenses waiting for a rate."""

    currency: str
    count: int
    total: Decimal
    base_total: Decimal
    unconverted_count: int


@dataclass(frozen=True)
class CurrencyBreakdown:
    """A period's spending per original currency, and the base total over all of them."""

    date_from: dt.date
    date_to: dt.date
    base_currency: str
    total: Decimal
    unconverted_count: int
    items: list[CurrencyTotal]


@dataclass(frozen=True)
class RunningTotals:
    """Cumulative spending per day of `period` and of its comparison period, for a line chart.

    `current[i]` and `previous[i]` are the totals up to day i + 1 of each period (day 1 is each
    period's first day, so for months day N is the Nth of the month); None past that period's
    last day, and for `current` past `today` while the period is under way. `month` and
    `previous_month` are the first days of the two periods' first months.
    `unconverted_count` counts the two periods' expenses waiting for a rate (left out of the lines).
    """

    month: dt.date
    previous_month: dt.date
    days: list[int]
    current: list[Decimal | None]
    previous: list[Decimal | None]
    unconverted_count: int = 0
    period: Period | None = None
    comparison: Comparison | None = None


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows, for one period and filter set."""

    preset: str
    period: Period
    interval: str
    category_ids: list[int]
    payment_methods: list[str]
    has_expenses: bool
    summary: Summary
    by_category: Breakdown
    by_payment_method: Breakdown
    trend: Trend
    top_expenses: TopExpenses
    running_totals: RunningTotals | None  # None for periods longer than MAX_DAILY_DAYS
    categories: list[CategoryOption]  # for the filter control


# --- dates and periods -----------------------------------------------------------------------------


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before, when negative) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year: the period runs to the end of the 28th
        return dt.date(day.year + years, 3, 1)


def _same_day_last_year(day: dt.date) -> dt.date:
    """`day` one year earlier; 29 February becomes 28 February (clamped, not moved into March)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return dt.date(day.year - 1, 2, 28)


def comparison_period(period: Period, *, preset: str | None = None) -> Comparison:
    """The period `period` is compared with: ONE rule for the dashboard, its charts and the API.

    - `preset="year_to_date"`: the same days of last year (Jan 1 - Dec 1 2026 with Jan 1 - Dec 1
      2025; a 29 February end clamps to the 28th);
    - whole calendar months (from a 1st to a month end): the same number of whole months just
      before (Nov 1-30 with Oct 1-31, Mar 2024 with Feb 1-29, Jan-Mar with Oct-Dec), so the 1st of
      the month (the rent) is never dropped;
    - from a 1st to a day inside that month: the same days of the previous month, the end clamped
      to its length (Dec 1-1 with Nov 1-1, Mar 1-30 with Feb 1-28 or 29);
    - any other range: the range of the same length that ends the day before (`Period.previous`).
    """
    start, end = period.date_from, period.date_to
    if preset == "year_to_date":
        return Comparison(Period(_same_day_last_year(start), _same_day_last_year(end)), "same_days_last_year")
    if start.day == 1 and end == month_end(end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return Comparison(Period(add_months(start, -months), start - dt.timedelta(days=1)), "previous_months")
    if start.day == 1 and (end.year, end.month) == (start.year, start.month):
        first = add_months(start, -1)
        return Comparison(
            Period(first, first.replace(day=min(end.day, month_end(first).day))), "same_days_previous_month"
        )
    return Comparison(period.previous(), "previous_days")


def resolve_period(
    *, date_from: dt.date | str | None = None, date_to: dt.date | str | None = None, today: dt.date | None = None
) -> Period:
    """The period to report on.

    Both missing: the current month. Only `date_to`: from the first day of its month. Only
    `date_from`: to the end of the current month (or of `date_from`'s month when that is later).
    Raises ValidationFailed when a date is malformed or out of range, `date_from` is after
    `date_to`, or the period is longer than 10 years.
    """
    today = today or today_utc()
    errors: Errors = {}
    start = clean_date(errors, "date_from", date_from, required=False, latest=MAX_DATE)
    end = clean_date(errors, "date_to", date_to, required=False, latest=MAX_DATE)
    raise_if(errors)
    if start is None and end is None:
        start, end = today.replace(day=1), month_end(today)
    elif start is None:
        start = end.replace(day=1)
    elif end is None:
        end = max(month_end(today), month_end(start))
    if start > end:
        raise_if({"date_from": ["Must be on or before date_to."]})
    if end >= _add_years(start, MAX_SPAN_YEARS):
        raise_if({"date_to": [f"The period must be at most {MAX_SPAN_YEARS} years long."]})
    return Period(start, end)


def preset_period(*, preset: str, today: dt.date | None = None) -> Period:
    """The dates of a named period relative to `today` (see PRESETS; not `custom`).

    `this_month` runs from the 1st to today (month to date, so on Dec 1 it is one day and compares
    with Nov 1-1), as `year_to_date` runs from Jan 1 to today; the other presets are whole
    calendar months, the current one included up to its end. Raises ValidationFailed on `period`
    for an unknown name (or `custom`, which has no dates of its own).
    """
    if preset not in PRESETS or preset == "custom":
        names = ", ".join(name for name in PRESETS if name != "custom")
        raise ValidationFailed({"period": [f"Must be one of: {names}, custom."]})
    today = today or today_utc()
    first = today.replace(day=1)
    if preset == "this_month":
        return Period(first, today)
    if preset == "last_month":
        start = add_months(first, -1)
        return Period(start, month_end(start))
    if preset == "last_3_months":
        return Period(add_months(first, -2), month_end(today))
    if preset == "last_12_months":
        return Period(add_months(first, -11), month_end(today))
    return Period(dt.date(today.year, 1, 1), today)  # year_to_date


def choose_period(
    *,
    preset: str | None = None,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    today: dt.date | None = None,
) -> Period:
    """The period of a request: a named `preset` (not `custom`) wins over any dates; `custom` or
    no preset uses `date_from`/`date_to` (`resolve_period`). Raises ValidationFailed."""
    if preset is not None and preset != "custom":
        return preset_period(preset=preset, today=today)  # refuses an unknown name
    return resolve_period(date_from=date_from, date_to=date_to, today=today)


# --- SQL building blocks ---------------------------------------------------------------------------


def _share(part_cents: int, total_cents: int) -> Decimal:
    if not total_cents:
        return Decimal("0.0")
    return (Decimal(part_cents) * 100 / Decimal(total_cents)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _divide_money(cents: int, by: int) -> Decimal:
    if not by:
        return ZERO
    return (Decimal(cents) / 100 / by).quantize(CENT, rounding=ROUND_HALF_UP)


def _scope(
    *,
    user: User,
    date_from,
    date_to,
    category_ids: Sequence[int | str],
    payment_methods: Sequence[str],
    today: dt.date | None,
    preset: str | None = None,
) -> tuple[Period, list]:
    """The period and the WHERE clauses for `user`'s filtered expenses (dates excluded)."""
    period = choose_period(preset=preset, date_from=date_from, date_to=date_to, today=today)
    conditions = filter_conditions(
        user=user,
        filters=ExpenseFilters(category_ids=list(category_ids or ()), payment_methods=list(payment_methods or ())),
    )
    return period, conditions


def _in(period: Period) -> list:
    return [Expense.date >= period.date_from, Expense.date <= period.date_to]


# The expense columns the rollups are keyed by: the analytics filters (owner, categories, payment
# methods) translate to them one for one.
ROLLUP_KEYS = ("user_id", "category_id", "payment_method")


def _on_rollups(conditions: list) -> list:
    """`conditions` (from `filter_conditions`) over `expense_month_totals` instead of `expenses`,
    so the filter rules stay in one place. Any other expense column is a bug: the rollups cannot
    answer it."""
    rollups = ExpenseMonthTotal.__table__

    def swap(element):
        if isinstance(element, sa.Column) and element.table is Expense.__table__:
            if element.name not in ROLLUP_KEYS:
                raise ValueError(f"expense_month_totals cannot filter on expenses.{element.name}")
            return rollups.c[element.name]
        return None

    return [replacement_traverse(condition, {}, swap) for condition in conditions]


def whole_months(period: Period) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """`period` split into its whole calendar months (the 1sts of the first and the last, or None
    when it has none) and the partial months at its ends (inclusive date ranges, up to two)."""
    start, end = period.date_from, period.date_to
    first = start if start.day == 1 else add_months(start, 1)
    last = end.replace(day=1) if end == month_end(end) else add_months(end, -1)
    if first > last:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - dt.timedelta(days=1)))
    if end > month_end(last):
        edges.append((month_end(last) + dt.timedelta(days=1), end))
    return (first, last), edges


def _figures(conditions: list, *periods: Period) -> sa.Subquery:
    """The count, base cents and waiting count of the expenses matching `conditions` in `periods`,
    per (day, category_id, payment_method): whole months from the rollups (`day` is the month's
    1st), partial months from `expenses` grouped by date. Callers aggregate it with `_sum`; a
    bucket's `day` always lies in the period (and month) its expenses belong to.

    One UNION ALL branch per date range, each a plain range of an index: on PostgreSQL an OR of
    ranges became a bitmap heap scan of `expenses`, where one range is an index-only scan.
    """
    months, edges = [], []
    for period in periods:
        whole, partial = whole_months(period)
        months += [whole] if whole else []
        edges += partial
    rollup = ExpenseMonthTotal
    on_rollups = _on_rollups(conditions)
    parts = [
        sa.select(
            rollup.month.label("day"),
            rollup.category_id,
            rollup.payment_method,
            rollup.expense_count.label("n"),
            rollup.total_cents.label("cents"),
            rollup.unconverted_count.label("waiting"),
        ).where(*on_rollups, rollup.month >= first, rollup.month <= last)
        for first, last in months
    ]
    parts += [
        sa.select(
            Expense.date.label("day"),
            Expense.category_id,
            Expense.payment_method,
            sa.func.count(Expense.id).label("n"),
            sum_base_cents().label("cents"),
            count_unconverted().label("waiting"),
        )
        .where(*conditions, Expense.date >= first, Expense.date <= last)
        .group_by(Expense.date, Expense.category_id, Expense.payment_method)
        for first, last in edges
    ]
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("figures")


def _sum(column, where=None):
    """The integer sum of a `_figures` column (of the rows matching `where`, when given), 0 when none."""
    summed = sa.func.sum(column if where is None else sa.case((where, column)))
    return sa.cast(sa.func.coalesce(summed, 0), sa.BigInteger)


def _figures_in(figures: sa.Subquery, period: Period):
    return sa.and_(figures.c.day >= period.date_from, figures.c.day <= period.date_to)


# --- figures ---------------------------------------------------------------------------------------


def summary(
    *,
    user: User,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    today: dt.date | None = None,
    preset: str | None = None,
) -> Summary:
    """Total, count and averages of the period, and its change against its comparison period
    (`comparison_period`; `previous_period.rule` names the rule used).

    `count` includes the expenses waiting for a rate, `total` leaves them out (`unconverted_count`);
    `average` is per converted expense; `daily_average` divides by the period's days up to `today` when the
    period is under way (a month in progress is not averaged over days still to come), else by all
    of its days. `change_pct` is None when the previous period's total is 0. One query.
    Raises ValidationFailed for a bad period or filter.
    """
    today = today or today_utc()
    period, conditions = _scope(
        user=user,
        date_from=date_from,
        date_to=date_to,
        category_ids=category_ids,
        payment_methods=payment_methods,
        today=today,
        preset=preset,
    )
    comparison = comparison_period(period, preset=preset)
    previous = comparison.period
    # Both periods in one query, split by a CASE on the day (they need not touch: Dec 1-1 is
    # compared with Nov 1-1, so the days between are not read at all).
    figures = _figures(conditions, period, previous)
    in_period, in_previous = _figures_in(figures, period), _figures_in(figures, previous)
    count, cents, previous_cents, unconverted, previous_unconverted = db.session.execute(
        sa.select(
            _sum(figures.c.n, in_period),
            _sum(figures.c.cents, in_period),
            _sum(figures.c.cents, in_previous),
            _sum(figures.c.waiting, in_period),
            _sum(figures.c.waiting, in_previous),
        )
    ).one()
    cents, previous_cents = int(cents), int(previous_cents)

    elapsed_days = (today - period.date_from).days + 1 if period.date_from <= today <= period.date_to else period.days
    change = None
    if previous_cents:
        change = (Decimal(cents - previous_cents) * 100 / Decimal(previous_cents)).quantize(
            TENTH, rounding=ROUND_HALF_UP
        )
    return Summary(
        date_from=period.date_from,
        date_to=period.date_to,
        total=cents_to_amount(cents),
        count=count,
        average=_divide_money(cents, count - unconverted),
        daily_average=_divide_money(cents, elapsed_days),
        previous_period=PeriodTotal(
            previous.date_from, previous.date_to, cents_to_amount(previous_cents), previous_unconverted, comparison.rule
        ),
        change_pct=change,
        unconverted_count=unconverted,
    )


def by_category(
    *,
    user: User,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    today: dt.date | None = None,
    preset: str | None = None,
) -> Breakdown:
    """The period's spending per category (CategoryShare items), largest total first.

    Categories without expenses in the period are left out (one whose expenses all wait for a
    rate is kept, with total 0.00); ties go by name, then id. `share_pct` is the share of the
    period's total, rounded half up to one decimal. One query.
    """
    period, conditions = _scope(
        user=user,
        date_from=date_from,
        date_to=date_to,
        category_ids=category_ids,
        payment_methods=payment_methods,
        today=today,
        preset=preset,
    )
    # Grouped by category id first (rollups and the date index), then the few groups are joined
    # to their categories; grouping after the join read every expense row.
    figures = _figures(conditions, period)
    totals = (
        sa.select(
            figures.c.category_id,
            _sum(figures.c.n).label("count"),
            _sum(figures.c.cents).label("cents"),
            _sum(figures.c.waiting).label("unconverted"),
        )
        .group_by(figures.c.category_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Category.id, Category.name, Category.color, totals.c.count, totals.c.cents, totals.c.unconverted)
        .join(totals, totals.c.category_id == Category.id)
        .where(Category.user_id == user.id)
    ).all()
    # Sorted here, not in SQL: ties by name must not depend on the database's collation.
    rows.sort(key=lambda row: (-int(row[4]), row[1].casefold(), row[0]))
    total = sum(int(row[4]) for row in rows)
    items = [
        CategoryShare(
            category_id=category_id,
            name=name,
            color=color,
            total=cents_to_amount(cents),
            count=count,
            share_pct=_share(int(cents), total),
            unconverted_count=unconverted,
        )
        for category_id, name, color, count, cents, unconverted in rows
    ]
    return Breakdown(
        period.date_from, period.date_to, cents_to_amount(total), items, sum(item.unconverted_count for item in items)
    )


def by_payment_method(
    *,
    user: User,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    today: dt.date | None = None,
    preset: str | None = None,
) -> Breakdown:
    """The period's spending per payment method (PaymentMethodShare items), largest total first.

    Methods without spending are left out; ties go by method name. One query.
    """
    period, conditions = _scope(
        user=user,
        date_from=date_from,
        date_to=date_to,
        category_ids=category_ids,
        payment_methods=payment_methods,
        today=today,
        preset=preset,
    )
    figures = _figures(conditions, period)
    rows = db.session.execute(
        sa.select(figures.c.payment_method, _sum(figures.c.n), _sum(figures.c.cents), _sum(figures.c.waiting)).group_by(
            figures.c.payment_method
        )
    ).all()
    rows.sort(key=lambda row: (-int(row[2]), row[0]))
    total = sum(int(row[2]) for row in rows)
    items = [
        PaymentMethodShare(
            payment_method=method,
            total=cents_to_amount(cents),
            count=count,
            share_pct=_share(int(cents), total),
            unconverted_count=unconverted,
        )
        for method, count, cents, unconverted in rows
    ]
    return Breakdown(
        period.date_from, period.date_to, cents_to_amount(total), items, sum(item.unconverted_count for item in items)
    )


def _bucket_start(day: dt.date, interval: str) -> dt.date:
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day.replace(day=1)


def _bucket_end(start: dt.date, interval: str) -> dt.date:
    if interval == "day":
        return start
    if interval == "week":
        return start + dt.timedelta(days=6)
    return month_end(start)


def _bucket_label(start: dt.date, interval: str) -> str:
    if interval == "day":
        return start.isoformat()
    if interval == "week":
        year, week, _ = start.isocalendar()  # the ISO year: 2027-01-01 is in 2026-W53
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


def check_interval(*, interval: str, period: Period) -> None:
    """Raise ValidationFailed on `interval` when it is unknown, or daily over more than 366 days."""
    if interval not in INTERVALS:
        raise_if({"interval": ["Must be one of: " + ", ".join(INTERVALS) + "."]})
    if interval == "day" and period.days > MAX_DAILY_DAYS:
        raise_if(
            {
                "interval": [
                    f"A daily trend covers at most {MAX_DAILY_DAYS} days; this period has {period.days}. "
                    "Use week or month."
                ]
            }
        )


def trend(
    *,
    user: User,
    interval: str = DEFAULT_INTERVAL,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    today: dt.date | None = None,
    preset: str | None = None,
) -> Trend:
    """Totals per day, ISO week (Monday start) or calendar month, with no gaps.

    Every bucket that overlaps the period is present, empty ones with 0; the first and last bucket
    may extend past the period (`start` is the bucket's Monday or 1st) but only count the period's
    expenses. Labels: `2026-11-26`, `2026-W48`, `2026-11`. One query.
    Raises ValidationFailed for a bad period, filter or interval.
    """
    period, conditions = _scope(
        user=user,
        date_from=date_from,
        date_to=date_to,
        category_ids=category_ids,
        payment_methods=payment_methods,
        today=today,
        preset=preset,
    )
    check_interval(interval=interval, period=period)

    totals: dict[dt.date, list[int]] = {}  # bucket start -> [count, cents, unconverted]
    figures = (sa.func.count(Expense.id), sum_base_cents(), count_unconverted())
    if interval == "month":
        monthly = _figures(conditions, period)
        year = sa.cast(sa.extract("year", monthly.c.day), sa.Integer)
        month = sa.cast(sa.extract("month", monthly.c.day), sa.Integer)
        rows = db.session.execute(
            sa.select(year, month, _sum(monthly.c.n), _sum(monthly.c.cents), _sum(monthly.c.waiting)).group_by(
                year, month
            )
        ).all()
        for row_year, row_month, count, cents, unconverted in rows:
            totals[dt.date(int(row_year), int(row_month), 1)] = [count, int(cents), unconverted]
    else:
        rows = db.session.execute(
            sa.select(Expense.date, *figures).where(*conditions, *_in(period)).group_by(Expense.date)
        ).all()
        for day, count, cents, unconverted in rows:
            bucket = totals.setdefault(_bucket_start(day, interval), [0, 0, 0])
            bucket[0] += count
            bucket[1] += int(cents)
            bucket[2] += unconverted

    items = []
    start = _bucket_start(period.date_from, interval)
    while start <= period.date_to:
        end = _bucket_end(start, interval)
        count, cents, unconverted = totals.get(start, (0, 0, 0))
        items.append(TrendPoint(_bucket_label(start, interval), start, end, cents_to_amount(cents), count, unconverted))
        start = end + dt.timedelta(days=1)
    return Trend(interval, period.date_from, period.date_to, items)


def top_expenses(
    *,
    user: User,
    limit: int = DEFAULT_TOP_LIMIT,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    today: dt.date | None = None,
    preset: str | None = None,
) -> TopExpenses:
    """The `limit` (1-50) largest expenses of the period by base amount, with category and tags loaded.

    Equal base amounts go by the latest date, then the latest id. Expenses waiting for a rate
    cannot be ranked: they are left out and counted in `unconverted_count`. One query (and the tags).
    Raises ValidationFailed for a bad period, filter or limit.
    """
    _check_limit(limit)
    period, conditions = _scope(
        user=user,
        date_from=date_from,
        date_to=date_to,
        category_ids=category_ids,
        payment_methods=payment_methods,
        today=today,
        preset=preset,
    )
    return _top(period, conditions, limit)


def _check_limit(limit) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_TOP_LIMIT:
        raise_if({"limit": [f"Must be between 1 and {MAX_TOP_LIMIT}."]})


def _top(period: Period, conditions: list, limit: int) -> TopExpenses:
    """`top_expenses` in one query (plus the tags): the waiting expenses sort last and are dropped
    here; how many there are in the whole scope comes from the rollups in the same statement.

    The ranking reads only the covering date index (ids, dates and base amounts), then the few
    winners are loaded whole: sorting the period's full rows to keep five read every one of them
    from the table (88 ms for 33,000 expenses), and a window count over the scope cost another 10.
    """
    figures = _figures(conditions, period)
    waiting = sa.select(_sum(figures.c.waiting)).scalar_subquery()
    order = (Expense.base_amount.desc().nulls_last(), Expense.date.desc(), Expense.id.desc())
    ranked = sa.select(Expense.id).where(*conditions, *_in(period)).order_by(*order).limit(limit).subquery("ranked")
    rows = db.session.execute(
        sa.select(Expense, waiting)
        .join(ranked, ranked.c.id == Expense.id)
        .order_by(*order)
        .options(joinedload(Expense.category, innerjoin=True), selectinload(Expense.tags))
    ).all()
    items = [expense for expense, _ in rows if expense.base_amount is not None]
    return TopExpenses(items, int(rows[0][1]) if rows else 0)


def by_currency(
    *,
    user: User,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    today: dt.date | None = None,
    preset: str | None = None,
) -> CurrencyBreakdown:
    """The period's spending per original currency (CurrencyTotal items), largest base total first.

    Each item has the original amounts' total (in that currency), the base total of its converted
    expenses and how many wait for a rate; ties go by currency code. `total` is the base total
    over every currency (the same as `summary`'s). One query.
    """
    period, conditions = _scope(
        user=user,
        date_from=date_from,
        date_to=date_to,
        category_ids=category_ids,
        payment_methods=payment_methods,
        today=today,
        preset=preset,
    )
    rows = db.session.execute(
        sa.select(
            Expense.currency, sa.func.count(Expense.id), sum_amount_cents(), sum_base_cents(), count_unconverted()
        )
        .where(*conditions, *_in(period))
        .group_by(Expense.currency)
    ).all()
    rows.sort(key=lambda row: (-int(row[3]), row[0]))
    items = [
        CurrencyTotal(currency, count, cents_to_amount(cents), cents_to_amount(base_cents), unconverted)
        for currency, count, cents, base_cents, unconverted in rows
    ]
    return CurrencyBreakdown(
        date_from=period.date_from,
        date_to=period.date_to,
        base_currency=user.currency,
        total=cents_to_amount(sum(int(row[3]) for row in rows)),
        unconverted_count=sum(item.unconverted_count for item in items),
        items=items,
    )


def running_totals(
    *,
    user: User,
    month: dt.date | None = None,
    period: Period | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    today: dt.date | None = None,
    preset: str | None = None,
) -> RunningTotals:
    """Cumulative totals per day of `period` and of its comparison period (`comparison_period`
    with `preset`), so the line chart compares what the figures compare.

    Without `period`: the whole of `month`'s month (default: the current one). Two lines of at
    most 3,653 points (10 years); one query (totals per date over both periods), the running sums
    are taken in Python over one row per day with spending.
    """
    today = today or today_utc()
    if period is None:
        first = (month or today).replace(day=1)
        period = Period(first, month_end(first))
    comparison = comparison_period(period, preset=preset)
    previous = comparison.period
    conditions = filter_conditions(
        user=user,
        filters=ExpenseFilters(category_ids=list(category_ids or ()), payment_methods=list(payment_methods or ())),
    )
    # One UNION ALL branch per period, each a plain range of the covering date index (an OR of
    # the two ranges became a bitmap heap scan: 20 ms for two years of 100,000 expenses). A day
    # in both periods (they never overlap today) would come twice with the same figures.
    rows = db.session.execute(
        sa.union_all(
            *(
                sa.select(Expense.date, sum_base_cents(), count_unconverted())
                .where(*conditions, *_in(span))
                .group_by(Expense.date)
                for span in dict.fromkeys((period, previous))
            )
        )
    ).all()
    rows = list({day: (day, cents, waiting) for day, cents, waiting in rows}.values())
    per_day = {day: int(cents) for day, cents, _ in rows}

    def cumulative(span: Period, last_day: dt.date, length: int) -> list[Decimal | None]:
        values: list[Decimal | None] = []
        running = 0
        for offset in range(length):
            day = span.date_from + dt.timedelta(days=offset)
            if day > last_day:
                values.append(None)
                continue
            running += per_day.get(day, 0)
            values.append(cents_to_amount(running))
        return values

    length = max(period.days, previous.days)
    # The current line stops at today: the days ahead have no spending yet.
    current_last = min(period.date_to, today) if period.date_from <= today else period.date_to
    return RunningTotals(
        month=period.date_from.replace(day=1),
        previous_month=previous.date_from.replace(day=1),
        days=list(range(1, length + 1)),
        current=cumulative(period, current_last, length),
        previous=cumulative(previous, previous.date_to, length),
        unconverted_count=sum(unconverted for _, _, unconverted in rows),
        period=period,
        comparison=comparison,
    )


# --- the dashboard ---------------------------------------------------------------------------------


def dashboard_interval(period: Period) -> str:
    """`day` for periods of up to 62 days, else `month`: enough bars to read, never too many."""
    return "day" if period.days <= DAILY_TREND_MAX_DAYS else "month"


def dashboard(
    *,
    user: User,
    preset: str | None = None,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    top_limit: int = DEFAULT_TOP_LIMIT,
    today: dt.date | None = None,
) -> Dashboard:
    """Every figure of the dashboard for one period, computed by the functions above.

    `preset` names a period (PRESETS); `custom`, or no preset with a date given, uses
    `date_from`/`date_to`; nothing at all means this month. The summary card and the running
    totals both compare the period with `comparison_period(period, preset=preset)`, so the page
    never shows two comparisons. Raises ValidationFailed for a bad preset, period or filter.
    """
    today = today or today_utc()
    if not preset:
        preset = "custom" if (date_from or date_to) else DEFAULT_PRESET
    period = choose_period(preset=preset, date_from=date_from, date_to=date_to, today=today)
    interval = dashboard_interval(period)
    scope = {
        "user": user,
        "date_from": period.date_from,
        "date_to": period.date_to,
        "category_ids": list(category_ids),
        "payment_methods": list(payment_methods),
        "today": today,
    }
    _check_limit(top_limit)
    result_summary = summary(**scope, preset=preset)  # validates the filters first
    scope["category_ids"] = [parse_id(value) for value in category_ids if not is_blank(value)]  # validated above
    has_expenses = result_summary.count > 0 or (
        db.session.scalar(sa.select(Expense.id).where(Expense.user_id == user.id).limit(1)) is not None
    )
    return Dashboard(
        preset=preset,
        period=period,
        interval=interval,
        category_ids=list(scope["category_ids"]),
        payment_methods=scope["payment_methods"],
        has_expenses=has_expenses,
        summary=result_summary,
        by_category=by_category(**scope),
        by_payment_method=by_payment_method(**scope),
        trend=trend(interval=interval, **scope),
        top_expenses=_top(*_scope(**scope), top_limit),
        # A running total by day is drawn for up to a year (a 10-year range would be 3,653 rows).
        running_totals=running_totals(
            user=user,
            period=period,
            preset=preset,
            category_ids=scope["category_ids"],
            payment_methods=scope["payment_methods"],
            today=today,
        )
        if period.days <= MAX_DAILY_DAYS
        else None,
        categories=category_options(user=user),
    )
