"""Budgets: a monthly amount per category (or one overall), with rollover, and the month's status.

Rules:
- One budget per category per user, plus at most one overall budget (`category_id=None`, which
  counts every expense). The amount is 0 to 99,999,999.99 with at most 2 decimal places.
- Months are `"YYYY-MM"` (ASCII digits) from `MIN_MONTH` (1900-01, the month of the earliest
  expense date) to `MAX_YEARS_AHEAD` (5) years after the current month; a month outside that
  is refused with the range in the message (a budget or a status further ahead has nothing to
  count: expenses are at most one year ahead).
- A budget is a list of versions, each in force from its `effective_from` month until the next.
  Changing a budget from month M replaces the version at M and drops the later ones; earlier
  months keep their figures.
- Rollover, chosen per version: `none` (each month starts from its amount), `surplus` (what was
  left last month is added; an overspend is not carried), `full` (last month's remainder is added
  whether positive or negative). The mode in force in a month decides what that month brings
  forward from the month before. The chain starts at the budget's first month with nothing
  carried.

Figures of a month (all Decimal; money to the cent):
- budgeted: the version's amount; carried_over: as above; available = budgeted + carried_over;
  spent: the month's expenses (of the category, or all of them for the overall budget), in the
  base currency (budget amounts are in it too): the sum of their base amounts. An expense waiting
  for an exchange rate is not in `spent` (nor in the carry-over); `unconverted_count` says how
  many of the month's expenses were left out;
  remaining = available - spent; percent_used = spent / available * 100, one decimal, half up
  (None when available <= 0); level `ok` below 80 %, `warning` from 80 %, `danger` from 100 %
  (or when spending exceeds a zero or negative available amount).
- projected (= projected_total): the month-end spend, in three parts that the API shows:
  `spent` (everything recorded for the month so far, later-dated expenses included)
  + `scheduled_recurring`: the occurrences of running recurring templates from today to the
    month's end that are not yet posted or skipped (`recurring.scheduled_between`, converted to
    the base currency as the recurring monthly cost is). Today counts: an occurrence of today that
    is not yet posted is in no `spent`; a posted one is in the ledger and not counted again.
  + `projected_variable`: the variable pace times the days after today. Variable spending is the
    spending that did not come from a template (no recurring occurrence links to the expense), so
    the rent paid on the 1st is never extrapolated over the month. The pace is this month's
    variable spending up to today divided by the days elapsed (today counts); during the first
    `MIN_PACE_DAYS` - 1 days it is last month's variable spending divided by last month's days
    (a day or two of spending is too few to extrapolate: one big shop on the 2nd would be
    multiplied by 29; a week holds every weekday once), unless last month had no variable spending
    in the budget (a new user), when this month's pace is all there is. The pace is rounded half up
    to the cent, then multiplied by the days after today.
  For a past month it is what was spent; for a future month what is already recorded plus the
  whole month's scheduled occurrences (no pace is known yet).
- status: ONE value that the badge, the bar colour and the sentence all come from, so "On track"
  can never stand next to "will go over": `over` (spent > available), `projected_over` (projected
  > available), `used_up` (spent reached the available amount), `nearly_used` (from 80 %), else
  `on_track`.
- safe_per_day: what can still be spent per day without going over: max(remaining, 0) divided by
  the days left including today (current month) or by all the month's days (future month),
  rounded down to the cent so following it never overspends. None for a past month.

Bounded work: every status call reads the spending of all months of all budgets with ONE
grouped query, which returns only the months that have spending. The carry-over is not walked
month by month (200 budgets from 1900 took 11-12 s): it steps from one month that matters (a
month with spending, a version's first month, the month asked for) to the next, and crosses
the months between them in one step, because a run of g months without spending under one
version (amount a) leaves the remainder R as: `none` a; `full` R + g*a; `surplus`
max(R, 0) + g*a (after the first such month the remainder is at least a >= 0, so max() only
matters once). So the work per budget grows with its versions and its months of spending,
never with the length of the calendar.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from expense_app.errors import Conflict, NotFound
from expense_app.extensions import db
from expense_app.models import ROLLOVER_MODES, Budget, BudgetVersion, Category, Expense, RecurringOccurrence, User
from expense_app.models.base import utcnow
from expense_app.services import recurring, rules
from expense_app.services.analytics import add_months
from expense_app.services.categories import CategoryOption, category_options
from expense_app.services.expenses import clean_category_id
from expense_app.services.money import cents_to_amount, count_unconverted, sum_base_cents
from expense_app.services.rules import CENT, Errors, add_error, raise_if
from expense_app.services.unit_of_work import transaction

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)
WARNING_PERCENT = Decimal(80)
DANGER_PERCENT = Decimal(100)
MIN_MONTH = rules.MIN_DATE.replace(day=1)
MAX_YEARS_AHEAD = 5
MONTH_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
OVERALL_NAME = "Overall"
# Before this many days of the month have elapsed, the variable pace is last month's (see above).
MIN_PACE_DAYS = 7
STATUSES = ("over", "projected_over", "used_up", "nearly_used", "on_track")
PACE_BASES = ("this_month", "last_month")

BUDGET_NOT_FOUND = "Budget not found."
DUPLICATE_CATEGORY = "You already have a budget for this category; change it instead."
DUPLICATE_OVERALL = "You already have an overall budget; change it instead."


# --- months ----------------------------------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or utcnow().date()


def current_month(today: dt.date | None = None) -> dt.date:
    """The first day of today's month (UTC unless `today` is given)."""
    return _today(today).replace(day=1)


def latest_month(today: dt.date | None = None) -> dt.date:
    """The last month a budget or a status may name: `MAX_YEARS_AHEAD` years after this month."""
    return add_months(current_month(today), 12 * MAX_YEARS_AHEAD)


def months_between(earlier: dt.date, later: dt.date) -> int:
    """How many months `later`'s month is after `earlier`'s (negative when before)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def days_in_month(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def format_month(month: dt.date) -> str:
    """`2026-11-01` -> `"2026-11"`."""
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(value: dt.date | str | None) -> dt.date | None:
    """A `"YYYY-MM"` string of ASCII digits (or a date) as the first day of that month; None when
    it is not one."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    if isinstance(value, str) and (match := MONTH_PATTERN.fullmatch(value.strip())):
        year, number = int(match.group(1)), int(match.group(2))
        if 1 <= number <= 12 and year >= 1:
            return dt.date(year, number, 1)
    return None


def clean_month(errors: Errors, field: str, value, *, default: dt.date, today: dt.date | None = None) -> dt.date | None:
    """Return the month `value` names (`default` when it is empty); record an error when it is
    not a month or is outside `MIN_MONTH` .. `latest_month(today)`."""
    if rules.is_blank(value):
        return default
    month = parse_month(value)
    if month is None:
        add_error(errors, field, "Must be a month such as 2026-11.")
        return None
    latest = latest_month(today)
    if not MIN_MONTH <= month <= latest:
        add_error(errors, field, f"Must be between {format_month(MIN_MONTH)} and {format_month(latest)}.")
        return None
    return month


# --- reading budgets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetDetail:
    """A budget with its versions; `current` is the version in force this month (or the first one
    when the budget starts later), and `upcoming` the versions that take over after it.
    `this_month` is the month the detail was read in (the default month of a change)."""

    budget: Budget
    current: BudgetVersion
    upcoming: list[BudgetVersion]
    this_month: dt.date

    @property
    def id(self) -> int:
        return self.budget.id

    @property
    def category_id(self) -> int | None:
        return self.budget.category_id

    @property
    def category(self) -> Category | None:
        return self.budget.category

    @property
    def name(self) -> str:
        return self.budget.category.name if self.budget.category else OVERALL_NAME

    @property
    def amount(self) -> Decimal:
        return self.current.amount

    @property
    def rollover(self) -> str:
        return self.current.rollover

    @property
    def effective_from(self) -> dt.date:
        return self.current.effective_from

    @property
    def starts(self) -> dt.date:
        return self.budget.versions[0].effective_from

    @property
    def versions(self) -> list[BudgetVersion]:
        return self.budget.versions


def version_for(budget: Budget, month: dt.date) -> BudgetVersion | None:
    """The version of `budget` in force in `month`; None before its first month."""
    found = None
    for version in budget.versions:
        if version.effective_from <= month:
            found = version
        else:
            break
    return found


def _detail(budget: Budget, today: dt.date | None) -> BudgetDetail:
    month = current_month(today)
    current = version_for(budget, month) or budget.versions[0]
    upcoming = [version for version in budget.versions if version.effective_from > current.effective_from]
    return BudgetDetail(budget=budget, current=current, upcoming=upcoming, this_month=month)


def _sort_key(budget: Budget) -> tuple:
    # The overall budget first, then categories by name.
    if budget.category is None:
        return (0, "", budget.id)
    return (1, budget.category.name_key, budget.id)


def _load_all(user: User, *conditions, lock: bool = False) -> list[Budget]:
    query = (
        sa.select(Budget)
        .where(Budget.user_id == user.id, *conditions)
        .options(joinedload(Budget.category), selectinload(Budget.versions))
        .execution_options(populate_existing=True)
    )
    if lock:
        # Concurrent changes of one budget run one after the other (SQLite: BEGIN IMMEDIATE).
        query = query.with_for_update(of=Budget)
    return sorted(db.session.scalars(query).unique(), key=_sort_key)


def _load(user: User, budget_id: int, *, lock: bool = False) -> Budget:
    if not rules.is_storable_id(budget_id):
        raise NotFound(BUDGET_NOT_FOUND)
    found = _load_all(user, Budget.id == budget_id, lock=lock)
    if not found:
        raise NotFound(BUDGET_NOT_FOUND)
    return found[0]


def list_budgets(*, user: User, today: dt.date | None = None) -> list[BudgetDetail]:
    """Return every budget of `user` (overall first, then by category name) with its versions."""
    return [_detail(budget, today) for budget in _load_all(user)]


def get_budget(*, user: User, budget_id: int, today: dt.date | None = None) -> BudgetDetail:
    """Return one budget of `user`; NotFound when it is missing or someone else's."""
    return _detail(_load(user, budget_id), today)


# --- changing budgets ------------------------------------------------------------------------------


def clean_rollover(errors: Errors, field: str, value) -> str | None:
    return rules.clean_choice(errors, field, value, ROLLOVER_MODES)


def _clean_amount(errors: Errors, value) -> Decimal | None:
    return rules.clean_money(errors, "amount", value, allow_zero=True, example="250.00")


def _check_scope_free(user: User, category_id: int | None) -> None:
    taken = db.session.scalar(
        sa.select(Budget.id).where(
            Budget.user_id == user.id,
            Budget.category_id.is_(None) if category_id is None else Budget.category_id == category_id,
        )
    )
    if taken is not None:
        raise _duplicate(category_id)


def _duplicate(category_id: int | None) -> Conflict:
    message = DUPLICATE_OVERALL if category_id is None else DUPLICATE_CATEGORY
    return Conflict(message, {"category_id": [message]})


def create_budget(
    *,
    user: User,
    category_id: int | str | None,
    amount: Decimal | str | int,
    rollover: str = "none",
    effective_from: dt.date | str | None = None,
    today: dt.date | None = None,
) -> BudgetDetail:
    """Create a budget for one of `user`'s categories, or the overall one (`category_id=None`).

    It applies from `effective_from` (a month; this month by default). Raises ValidationFailed
    for a bad amount, rollover, month or a category that is not the user's, and Conflict when
    that category (or the overall scope) already has a budget.
    """
    errors: Errors = {}
    scope = None if rules.is_blank(category_id) else category_id
    # A concurrent request that created the same budget first makes the unique index refuse this one.
    with transaction(conflict=_duplicate(scope)) as session:
        if scope is not None:
            scope = clean_category_id(errors, "category_id", user, scope)
        values = {
            "amount": _clean_amount(errors, amount),
            "rollover": clean_rollover(errors, "rollover", rollover),
            "effective_from": clean_month(
                errors, "effective_from", effective_from, default=current_month(today), today=today
            ),
        }
        raise_if(errors)
        _check_scope_free(user, scope)
        budget = Budget(user_id=user.id, category_id=scope)
        budget.versions = [BudgetVersion(**values)]
        session.add(budget)
    return get_budget(user=user, budget_id=budget.id, today=today)


def update_budget(
    *,
    user: User,
    budget_id: int,
    amount: Decimal | str | int | None = None,
    rollover: str | None = None,
    effective_from: dt.date | str | None = None,
    today: dt.date | None = None,
) -> BudgetDetail:
    """Change the amount and/or rollover from `effective_from` (this month by default) onward.

    The version at that month is replaced and later versions are dropped; earlier months keep
    their figures. A field left None keeps the value in force at that month. Raises NotFound and
    ValidationFailed.
    """
    with transaction():
        budget = _load(user, budget_id, lock=True)
        errors: Errors = {}
        month = clean_month(errors, "effective_from", effective_from, default=current_month(today), today=today)
        if amount is not None:
            amount = _clean_amount(errors, amount)
        if rollover is not None:
            rollover = clean_rollover(errors, "rollover", rollover)
        raise_if(errors)
        base = version_for(budget, month) or budget.versions[0]
        new_amount = base.amount if amount is None else amount
        new_rollover = base.rollover if rollover is None else rollover
        same_month = None
        for version in list(budget.versions):
            if version.effective_from == month:
                same_month = version
            elif version.effective_from > month:
                budget.versions.remove(version)
        if same_month is not None:
            # Updated in place: an INSERT of the same (budget, month) would run before the DELETE.
            same_month.amount, same_month.rollover = new_amount, new_rollover
        else:
            budget.versions.append(BudgetVersion(effective_from=month, amount=new_amount, rollover=new_rollover))
        budget.updated_at = utcnow()
    return get_budget(user=user, budget_id=budget_id, today=today)


def delete_budget(*, user: User, budget_id: int) -> None:
    """Delete the budget and all its versions; NotFound when it is missing or someone else's."""
    with transaction() as session:
        session.delete(_load(user, budget_id, lock=True))


# --- status of a month -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetLine:
    """One budget's figures for one month (see the module docstring for each figure)."""

    budget_id: int
    category: Category | None
    rollover: str
    budgeted: Decimal
    carried_over: Decimal
    available: Decimal
    spent: Decimal
    remaining: Decimal
    percent_used: Decimal | None
    projected: Decimal
    safe_per_day: Decimal | None
    unconverted_count: int = 0
    scheduled_recurring: Decimal = ZERO
    projected_variable: Decimal = ZERO
    variable_pace: Decimal | None = None  # per day, None outside the current month
    pace_basis: str | None = None  # PACE_BASES: whose variable spending the pace is

    @property
    def projected_total(self) -> Decimal:
        return self.projected

    @property
    def status(self) -> str:
        """ONE status (STATUSES) for the badge, the bar and the sentence; see the module docstring."""
        if self.over_budget:
            return "over"
        if self.projected_over:
            return "projected_over"
        if self.level == "danger":
            return "used_up"
        if self.level == "warning":
            return "nearly_used"
        return "on_track"

    @property
    def category_id(self) -> int | None:
        return self.category.id if self.category else None

    @property
    def name(self) -> str:
        return self.category.name if self.category else OVERALL_NAME

    @property
    def over_budget(self) -> bool:
        """More was spent than was available."""
        return self.spent > self.available

    @property
    def over_by(self) -> Decimal:
        return max(self.spent - self.available, ZERO)

    @property
    def projected_over(self) -> bool:
        """At the current pace the month ends above the available amount."""
        return self.projected > self.available

    @property
    def level(self) -> str:
        """`ok` below 80 % used, `warning` from 80 %, `danger` from 100 % (or overspent)."""
        if self.available <= 0:
            return "danger" if self.over_budget else "ok"
        # Compared exactly, not on the rounded percentage (79.99 % is not yet a warning).
        used = self.spent * HUNDRED
        if used >= self.available * DANGER_PERCENT:
            return "danger"
        if used >= self.available * WARNING_PERCENT:
            return "warning"
        return "ok"


@dataclass(frozen=True)
class MonthStatus:
    """Every budget in force in `month`, with the month's calendar facts."""

    month: dt.date
    today: dt.date
    lines: list[BudgetLine]

    @property
    def timing(self) -> str:
        """`past`, `current` or `future`, relative to `today`."""
        this_month = current_month(self.today)
        if self.month < this_month:
            return "past"
        return "current" if self.month == this_month else "future"

    @property
    def days_in_month(self) -> int:
        return days_in_month(self.month)

    @property
    def days_left(self) -> int:
        """Days left including today (current month), all days (future), 0 (past)."""
        if self.timing == "past":
            return 0
        if self.timing == "future":
            return self.days_in_month
        return self.days_in_month - self.today.day + 1

    @property
    def over_budget(self) -> list[BudgetLine]:
        """The budgets already overspent this month."""
        return [line for line in self.lines if line.over_budget]

    @property
    def at_limit(self) -> list[BudgetLine]:
        """The budgets at or above 100 % (overspent ones included)."""
        return [line for line in self.lines if line.level == "danger"]

    @property
    def unconverted_count(self) -> int:
        """The month's expenses waiting for a rate that the lines' `spent` left out: the overall
        line's count when there is one (it covers every category), else the sum over the category
        lines (one budget per category, so they never count an expense twice)."""
        for line in self.lines:
            if line.category is None:
                return line.unconverted_count
        return sum(line.unconverted_count for line in self.lines)

    @property
    def previous(self) -> dt.date:
        return add_months(self.month, -1)

    @property
    def next(self) -> dt.date:
        return add_months(self.month, 1)


@dataclass(frozen=True)
class Spending:
    """Base cents per scope and month (`{scope: {month: cents}}`; a scope is a category id, or
    None for every category, the overall budget): `spent` in all, `variable` of it not posted from
    a recurring template, `variable_to_date` the same up to today; `waiting` counts the expenses
    waiting for a rate (in none of the sums)."""

    spent: dict
    variable: dict
    variable_to_date: dict
    waiting: dict


def _spending(user: User, first: dt.date, end: dt.date, today: dt.date) -> Spending:
    """The spending of `user` from `first` to before `end` (see Spending). One grouped query for
    every month and category at once: only the months with expenses are rows."""
    year = sa.cast(sa.extract("year", Expense.date), sa.Integer)
    month = sa.cast(sa.extract("month", Expense.date), sa.Integer)
    # An expense posted from a template is linked from its occurrence (recurring_occurrences.expense_id).
    variable = ~sa.exists().where(RecurringOccurrence.expense_id == Expense.id)
    rows = db.session.execute(
        sa.select(
            Expense.category_id,
            year,
            month,
            sum_base_cents(),
            sum_base_cents(variable),
            sum_base_cents(sa.and_(variable, Expense.date <= today)),
            count_unconverted(),
        )
        .where(Expense.user_id == user.id, Expense.date >= first, Expense.date < end)
        .group_by(Expense.category_id, year, month)
    )
    found = Spending(*(defaultdict(lambda: defaultdict(int)) for _ in range(4)))
    for category_id, row_year, row_month, cents, variable_cents, variable_to_date, unconverted in rows:
        key_month = dt.date(row_year, row_month, 1)
        for scope in (category_id, None):  # None accumulates every category: the overall budget
            found.spent[scope][key_month] += int(cents)
            found.variable[scope][key_month] += int(variable_cents)
            found.variable_to_date[scope][key_month] += int(variable_to_date)
            found.waiting[scope][key_month] += unconverted
    return found


def _carry(mode: str, previous_remaining: Decimal) -> Decimal:
    if mode == "full":
        return previous_remaining
    if mode == "surplus":
        return max(previous_remaining, ZERO)
    return ZERO


def _cross_quiet_months(version: BudgetVersion, remaining: Decimal, months: int) -> Decimal:
    """The remainder after `months` (>= 0) months without spending under `version`, starting
    from `remaining` (see the module docstring for the closed form)."""
    if months == 0:
        return remaining
    if version.rollover == "none":
        return version.amount
    if version.rollover == "surplus":
        return max(remaining, ZERO) + months * version.amount
    return remaining + months * version.amount


@dataclass(frozen=True)
class MonthFigures:
    """One budget's figures of one month, and the version in force in it."""

    version: BudgetVersion
    carried: Decimal
    available: Decimal
    spent: Decimal
    remaining: Decimal


def _month_figures(version: BudgetVersion, carried: Decimal, spent_cents: int) -> MonthFigures:
    """One month's figures: the step the carry-over takes at each month that matters."""
    available = version.amount + carried
    spent = cents_to_amount(spent_cents)
    return MonthFigures(version, carried, available, spent, available - spent)


def carry_over(versions: Sequence[BudgetVersion], month: dt.date, spent_cents: dict[dt.date, int]) -> MonthFigures:
    """The figures of `month` for a budget with `versions` (oldest first, the first on or before
    `month`) and the spending `spent_cents` per month.

    Steps only through the months that matter: each version's first month, each month with
    spending, and `month`; the months between are crossed in one step.
    """
    first = versions[0].effective_from
    stops = {version.effective_from for version in versions if version.effective_from <= month}
    stops.update(day for day in spent_cents if first <= day <= month)
    stops.add(month)
    index = 0  # versions[index] is in force at the current stop
    figures = None
    previous = first
    for stop in sorted(stops):
        while index + 1 < len(versions) and versions[index + 1].effective_from <= stop:
            index += 1
        version = versions[index]
        if figures is None:
            carried = ZERO  # the chain's first month brings nothing forward
        else:
            # The months strictly between two stops have no spending and no new version.
            remaining = _cross_quiet_months(figures.version, figures.remaining, months_between(previous, stop) - 1)
            carried = _carry(version.rollover, remaining)
        figures = _month_figures(version, carried, spent_cents.get(stop, 0))
        previous = stop
    return figures


@dataclass(frozen=True)
class Projection:
    """The parts of a month-end projection (see the module docstring)."""

    total: Decimal
    scheduled: Decimal = ZERO
    variable: Decimal = ZERO
    pace: Decimal | None = None
    basis: str | None = None


def _projection(
    month: dt.date, today: dt.date, spent: Decimal, scheduled_cents: int, variable_cents: int, last_month_cents: int
) -> Projection:
    """`spent` + the scheduled occurrences + the variable pace times the days after today.

    `variable_cents` is this month's variable spending up to today, `last_month_cents` last
    month's whole variable spending (the pace of the first days)."""
    timing = months_between(current_month(today), month)
    if timing < 0:
        return Projection(spent)
    scheduled = cents_to_amount(scheduled_cents)
    if timing > 0:
        return Projection(spent + scheduled, scheduled)
    if today.day < MIN_PACE_DAYS and last_month_cents:
        cents, days, basis = last_month_cents, days_in_month(add_months(month, -1)), "last_month"
    else:
        cents, days, basis = variable_cents, today.day, "this_month"
    days_ahead = days_in_month(month) - today.day
    # The pace is rounded to the cent first and then multiplied, so the card's "13.33 a day x 30
    # days = 399.90" is arithmetic a reader can check.
    pace = (Decimal(cents) / (100 * days)).quantize(CENT, rounding=ROUND_HALF_UP)
    variable = pace * days_ahead
    return Projection(spent + scheduled + variable, scheduled, variable, pace, basis)


def _safe_per_day(remaining: Decimal, days_left: int) -> Decimal | None:
    if days_left == 0:
        return None
    return (max(remaining, ZERO) / days_left).quantize(CENT, rounding=ROUND_DOWN)


def _percent(spent: Decimal, available: Decimal) -> Decimal | None:
    if available <= 0:
        return None
    return (spent / available * HUNDRED).quantize(TENTH, rounding=ROUND_HALF_UP)


def _scheduled(user: User, month: dt.date, today: dt.date) -> recurring.ScheduledSpending:
    """The recurring occurrences still to come in `month`: from today (current month) or the 1st
    (future month) to its end; none for a past month."""
    this_month = current_month(today)
    if month < this_month:
        return recurring.ScheduledSpending({})
    since = today if month == this_month else month
    return recurring.scheduled_between(
        user=user, since=since, until=add_months(month, 1) - dt.timedelta(days=1), today=today
    )


def _status(user: User, budgets: Sequence[Budget], month: dt.date, today: dt.date) -> MonthStatus:
    in_force = [budget for budget in budgets if budget.versions[0].effective_from <= month]
    status = MonthStatus(month=month, today=today, lines=[])
    if not in_force:
        return status
    # Last month is read too: its variable spending is the pace of this month's first days.
    first = min(min(budget.versions[0].effective_from for budget in in_force), add_months(month, -1))
    spending = _spending(user, first, add_months(month, 1), today)
    scheduled = _scheduled(user, month, today)
    for budget in in_force:
        scope = budget.category_id
        figures = carry_over(budget.versions, month, spending.spent.get(scope, {}))
        projection = _projection(
            month,
            today,
            figures.spent,
            scheduled.total_cents if scope is None else scheduled.cents.get(scope, 0),
            spending.variable_to_date.get(scope, {}).get(month, 0),
            spending.variable.get(scope, {}).get(add_months(month, -1), 0),
        )
        status.lines.append(
            BudgetLine(
                budget_id=budget.id,
                category=budget.category,
                rollover=figures.version.rollover,
                budgeted=figures.version.amount,
                carried_over=figures.carried,
                available=figures.available,
                spent=figures.spent,
                remaining=figures.remaining,
                percent_used=_percent(figures.spent, figures.available),
                projected=projection.total,
                safe_per_day=_safe_per_day(figures.remaining, status.days_left),
                unconverted_count=spending.waiting.get(scope, {}).get(month, 0),
                scheduled_recurring=projection.scheduled,
                projected_variable=projection.variable,
                variable_pace=projection.pace,
                pace_basis=projection.basis,
            )
        )
    return status


def budget_status(*, user: User, month: dt.date | str | None = None, today: dt.date | None = None) -> MonthStatus:
    """Return the figures of every budget of `user` in force in `month` (this month by default).

    `today` (UTC today by default) decides which month is current, the projection's pace and
    the days left. Raises ValidationFailed on `month` when it is not a month such as 2026-11, or
    is outside `MIN_MONTH` .. `latest_month(today)`. Budgets that start after `month` are left out.
    """
    today = _today(today)
    errors: Errors = {}
    month = clean_month(errors, "month", month, default=current_month(today), today=today)
    raise_if(errors)
    return _status(user, _load_all(user), month, today)


@dataclass(frozen=True)
class MonthOverview:
    """What the budgets page shows: the month's status (None with `month_error` when the month
    asked for is refused), every budget with its versions, and the category choices of the add
    form. `this_month` is the default month of a new budget."""

    status: MonthStatus | None
    month_error: str | None
    budgets: list[BudgetDetail]
    category_options: list[CategoryOption]
    this_month: dt.date


def month_overview(*, user: User, month: dt.date | str | None = None, today: dt.date | None = None) -> MonthOverview:
    """Return the budgets page's read-model for `month` (this month by default).

    A refused month does not raise: the page still lists the budgets, with the message in
    `month_error`. The budgets are read once for the status and the list.
    """
    today = _today(today)
    loaded = _load_all(user)
    errors: Errors = {}
    chosen = clean_month(errors, "month", month, default=current_month(today), today=today)
    return MonthOverview(
        status=None if errors else _status(user, loaded, chosen, today),
        month_error=" ".join(errors["month"]) if errors else None,
        budgets=[_detail(budget, today) for budget in loaded],
        category_options=category_options(user=user),
        this_month=current_month(today),
    )
