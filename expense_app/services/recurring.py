"""Recurring expenses: templates with a schedule, their next dates, monthly cost, and posting.

Schedule (pure date arithmetic, no time zones): occurrence k (k = 0, 1, ...) of a template is
`start_date` plus k * `interval_count` days, weeks, months or years, always computed from
`start_date`, never from the previous occurrence. A monthly or yearly date that does not exist
falls on the last day of that month, and the next one snaps back: a rent from January 31 falls
on Jan 31, Feb 28 (Feb 29 in a leap year), Mar 31, Apr 30, ... An occurrence counts only when it
is on or after `applies_from` (set on the later half of a split), on or before `end_date`, and
k < `max_occurrences`; an end date and a count are alternatives.

Rules (the input rules of `services.rules`, and the expense rules of `services.expenses`):
- amount, category, description, payment method, currency, tags and notes as for an expense;
- `start_date` at most `MAX_HISTORY_YEARS` (5) years back and at most one year ahead (an expense's
  latest date). The history bound keeps one posting run from creating decades of expenses (a
  daily template from 1900 was 46,746); a template whose start date is not changed keeps it, so
  an older template can still be edited;
- `end_date` on or after `start_date`, `interval_count` 1-1000, `max_occurrences` 1-10000,
  `interval_unit` one of day, week, month, year;
- at most `MAX_TEMPLATES_PER_USER` (200) templates per user, both halves of a split included
  (a Conflict beyond that).

Monthly-equivalent cost: amount * occurrences per year / 12, with 365 days, 52 weeks, 12 months
or 1 year per year, divided by `interval_count`, rounded half up to the cent. So weekly 10.00 is
10 * 52 / 12 = 43.33, daily 1.00 is 30.42, every 3 months 90.00 is 30.00, yearly 120.00 is 10.00.
The monthly cost in the base currency converts each template's monthly cost at the latest ECB
rate on or before today (`conversions.convert_amount`, the expenses' own rule); a template whose
currency has no rate is counted as not converted and left out of that total.

Splitting ("this and future occurrences", `update_recurring(apply_from=...)`): the template ends
the day before, and a successor holding the changes takes over; `split_from_id` links it to the
template it came from. The split locks the template row (`SELECT ... FOR UPDATE`; on SQLite the
unit of work's `BEGIN IMMEDIATE` serialises writers), so concurrent edits of one template run
one after the other and a later one sees the split (a Conflict naming the successor); and the
database refuses a second successor of one template (UNIQUE `split_from_id`) whatever happens.
Splitting a template that already has a successor puts the new part between the two.

Posting (`post_due`, `post_all_due`): every occurrence up to today that has no ledger row yet
becomes an expense, oldest first, at most `MAX_POSTS_PER_RUN` (1,000) per template per run: the
next run continues where this one stopped, and the run's report says how many templates have
more due. Each occurrence is one transaction holding both the expense and its ledger row, so a
crash cannot leave an expense without its row (which would post it twice). The transaction
re-reads the template under a share lock, so an occurrence of a template that was paused, split
or deleted meanwhile is not posted. The ledger's UNIQUE (recurring_id, occurrence_date) makes a
second, concurrent run fail on that row and roll its expense back, so each occurrence is created
exactly once whatever runs at the same time; a refused occurrence (that, or the owner deleted
mid-run) is counted in the report and the run goes on.

Pausing stops posting; resuming marks the occurrences from the pause day up to yesterday as
skipped (they are not posted later). Skipping records one occurrence as skipped. Every change
(create, update, split, delete, pause, resume, skip, each posted occurrence) is one
`transaction()`, for HTTP and CLI callers alike.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from expense_app.errors import Conflict, NotFound
from expense_app.extensions import db
from expense_app.models import (
    INTERVAL_UNITS,
    Category,
    Expense,
    RecurringExpense,
    RecurringOccurrence,
    User,
    expense_tags,
)
from expense_app.models.base import utcnow
from expense_app.models.expense_fields import expense_fields_of
from expense_app.services import rules
from expense_app.services.categories import CategoryOption, category_options
from expense_app.services.conversions import convert_amount, locked_base_currency, published_conversion
from expense_app.services.exchange_rates import rate_on
from expense_app.services.expenses import (
    DEFAULT_PAYMENT_METHOD,
    DESCRIPTION_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    clean_category_id,
    clean_payment_method,
)
from expense_app.services.rules import CENT, Errors, add_error, raise_if
from expense_app.services.tags import clean_tag_names, resolve_tags
from expense_app.services.unit_of_work import transaction

logger = logging.getLogger(__name__)


MAX_INTERVAL_COUNT = 1000
MAX_OCCURRENCES = 10_000
MAX_HISTORY_YEARS = 5
MAX_TEMPLATES_PER_USER = 200
MAX_POSTS_PER_RUN = 1000
DEFAULT_UPCOMING_DAYS = 30
MAX_UPCOMING_DAYS = 366
# Occurrences per year of one unit, for the monthly-equivalent cost.
PER_YEAR = {"day": Decimal(365), "week": Decimal(52), "month": Decimal(12), "year": Decimal(1)}
UNIT_LABELS = {
    "day": ("day", "days"),
    "week": ("week", "weeks"),
    "month": ("month", "months"),
    "year": ("year", "years"),
}

RECURRING_NOT_FOUND = "Recurring expense not found."
TOO_MANY_TEMPLATES = (
    "You have {limit} recurring expenses, the most one account can hold (the parts of a changed one "
    "count too); delete one you no longer need first."
)
SCHEDULE_FIELDS = ("start_date", "interval_unit", "interval_count")
LIMIT_FIELDS = ("end_date", "max_occurrences")
CHANGEABLE_FIELDS = frozenset(
    {
        "amount",
        "category_id",
        "start_date",
        "interval_unit",
        "interval_count",
        "end_date",
        "max_occurrences",
        "description",
        "payment_method",
        "currency",
        "tags",
        "notes",
    }
)


# --- schedule arithmetic (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """When a template occurs; see the module docstring."""

    start_date: dt.date
    interval_unit: str = "month"
    interval_count: int = 1
    end_date: dt.date | None = None
    max_occurrences: int | None = None
    applies_from: dt.date | None = None

    @classmethod
    def of(cls, template: RecurringExpense) -> Schedule:
        # The fields are the template's columns of the same names.
        return cls(**{field.name: getattr(template, field.name) for field in fields(cls)})

    @property
    def first_allowed(self) -> dt.date:
        """No occurrence is earlier than this."""
        return max(self.start_date, self.applies_from or self.start_date)

    def nth(self, k: int) -> dt.date:
        """Occurrence k counted from `start_date` (k = 0 is the start date itself).

        Raises OverflowError past year 9999.
        """
        start, step = self.start_date, k * self.interval_count
        if self.interval_unit == "day":
            return start + dt.timedelta(days=step)
        if self.interval_unit == "week":
            return start + dt.timedelta(weeks=step)
        if self.interval_unit == "month":
            index = start.year * 12 + start.month - 1 + step
            year, month = divmod(index, 12)
            month += 1
        else:
            year, month = start.year + step, start.month
        if not 1 <= year <= 9999:
            raise OverflowError("date out of range")
        return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))

    def _first_index(self, since: dt.date) -> int:
        """An index k whose occurrence is not after `since` (or 0): where a search can begin."""
        start = self.start_date
        if since <= start:
            return 0
        if self.interval_unit in ("day", "week"):
            days = self.interval_count * (7 if self.interval_unit == "week" else 1)
            return (since - start).days // days
        if self.interval_unit == "month":
            months = (since.year - start.year) * 12 + since.month - start.month
            return max(months // self.interval_count - 1, 0)
        return max((since.year - start.year) // self.interval_count - 1, 0)

    def dates(self, *, since: dt.date | None = None, until: dt.date | None = None) -> Iterator[dt.date]:
        """The occurrence dates from `since` to `until` (both inclusive, both optional), in order."""
        since = max(since or self.first_allowed, self.first_allowed)
        k = self._first_index(since)
        while True:
            if self.max_occurrences is not None and k >= self.max_occurrences:
                return
            try:
                day = self.nth(k)
            except OverflowError:
                return
            if (self.end_date is not None and day > self.end_date) or (until is not None and day > until):
                return
            if day >= since:
                yield day
            k += 1

    def next_date(self, on_or_after: dt.date, exclude: set[dt.date] | frozenset = frozenset()) -> dt.date | None:
        """The first occurrence on or after `on_or_after` that is not in `exclude`; None if none."""
        for day in self.dates(since=on_or_after):
            if day not in exclude:
                return day
        return None

    def is_occurrence(self, day: dt.date) -> bool:
        return next(self.dates(since=day, until=day), None) == day

    def describe(self) -> str:
        """`Every month`, `Every 2 weeks`, ..."""
        singular, plural = UNIT_LABELS[self.interval_unit]
        if self.interval_count == 1:
            return f"Every {singular}"
        return f"Every {self.interval_count} {plural}"


def monthly_equivalent(amount: Decimal, interval_unit: str, interval_count: int) -> Decimal:
    """The monthly cost of `amount` paid every `interval_count` `interval_unit`s (see module doc)."""
    per_month = amount * PER_YEAR[interval_unit] / (12 * interval_count)
    return per_month.quantize(CENT, rounding=ROUND_HALF_UP)


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecurringSummary:
    """A template with what the pages and the API show beside it.

    `state` is `active`, `paused` or `ended` (no occurrence on or after today). Template fields
    read through (`summary.amount`), so a summary can be given to a form or schema as the template.
    """

    template: RecurringExpense
    next_date: dt.date | None
    monthly_amount: Decimal
    state: str

    def __getattr__(self, name: str):
        if name.startswith("__") or name == "template":
            raise AttributeError(name)
        return getattr(self.template, name)

    @property
    def schedule(self) -> Schedule:
        return Schedule.of(self.template)

    @property
    def schedule_text(self) -> str:
        return self.schedule.describe()


def _today(today: dt.date | None) -> dt.date:
    return today or rules.today_utc()


def _select_templates(*conditions, lock: bool = False):
    query = (
        sa.select(RecurringExpense)
        .where(*conditions)
        .options(joinedload(RecurringExpense.category, innerjoin=True), selectinload(RecurringExpense.tags))
        .execution_options(populate_existing=True)
    )
    # FOR UPDATE OF the template only (not its category); SQLite has no row locks, and its
    # unit of work's BEGIN IMMEDIATE already serialises writers.
    return query.with_for_update(of=RecurringExpense) if lock else query


def _templates(user: User, *conditions, lock: bool = False) -> list[RecurringExpense]:
    return list(
        db.session.scalars(
            _select_templates(RecurringExpense.user_id == user.id, *conditions, lock=lock).order_by(
                RecurringExpense.start_date, RecurringExpense.id
            )
        ).unique()
    )


def _ledger_dates(template_ids: Sequence[int], *, since: dt.date | None = None) -> dict[int, set[dt.date]]:
    """Posted or skipped occurrence dates per template (from `since` on), in one query."""
    dates: dict[int, set[dt.date]] = defaultdict(set)
    if not template_ids:
        return dates
    query = sa.select(RecurringOccurrence.recurring_id, RecurringOccurrence.occurrence_date).where(
        RecurringOccurrence.recurring_id.in_(list(template_ids))
    )
    if since is not None:
        query = query.where(RecurringOccurrence.occurrence_date >= since)
    for recurring_id, day in db.session.execute(query):
        dates[recurring_id].add(day)
    return dates


def _summary(template: RecurringExpense, today: dt.date, taken: set[dt.date]) -> RecurringSummary:
    schedule = Schedule.of(template)
    upcoming = schedule.next_date(today, taken)
    if template.paused:
        state, next_date = "paused", None
    elif upcoming is None:
        state, next_date = "ended", None
    else:
        state, next_date = "active", upcoming
    return RecurringSummary(
        template=template,
        next_date=next_date,
        monthly_amount=monthly_equivalent(template.amount, template.interval_unit, template.interval_count),
        state=state,
    )


def _summaries(user: User, today: dt.date) -> tuple[list[RecurringSummary], dict[int, set[dt.date]]]:
    """Every template of `user` summarised, and the ledger dates from today on: two queries (plus tags)."""
    templates = _templates(user)
    taken = _ledger_dates([t.id for t in templates], since=today)
    return [_summary(template, today, taken[template.id]) for template in templates], taken


def list_recurring(*, user: User, today: dt.date | None = None) -> list[RecurringSummary]:
    """Return every template of `user` (by start date) with its next date, monthly cost and state."""
    return _summaries(user, _today(today))[0]


def _load(user: User, recurring_id: int, *, lock: bool = False) -> RecurringExpense:
    if not rules.is_storable_id(recurring_id):
        raise NotFound(RECURRING_NOT_FOUND)
    found = _templates(user, RecurringExpense.id == recurring_id, lock=lock)
    if not found:
        raise NotFound(RECURRING_NOT_FOUND)
    return found[0]


def get_recurring(*, user: User, recurring_id: int, today: dt.date | None = None) -> RecurringSummary:
    """Return one template of `user` with its next date; NotFound when missing or someone else's."""
    today = _today(today)
    template = _load(user, recurring_id)
    return _summary(template, today, _ledger_dates([template.id], since=today)[template.id])


@dataclass(frozen=True)
class Occurrence:
    """One future occurrence of a template."""

    date: dt.date
    template: RecurringExpense

    @property
    def recurring_id(self) -> int:
        return self.template.id

    @property
    def amount(self) -> Decimal:
        return self.template.amount

    @property
    def currency(self) -> str:
        return self.template.currency

    @property
    def description(self) -> str:
        return self.template.description

    @property
    def category(self) -> Category:
        return self.template.category


def _clean_days(days) -> int:
    errors: Errors = {}
    number = rules.clean_int(errors, "days", days, low=1, high=MAX_UPCOMING_DAYS)
    raise_if(errors)
    return number


def _upcoming(
    templates: Sequence[RecurringExpense], taken: dict[int, set[dt.date]], today: dt.date, days: int
) -> list[Occurrence]:
    until = today + dt.timedelta(days=days - 1)
    found = [
        Occurrence(date=day, template=template)
        for template in templates
        if not template.paused
        for day in Schedule.of(template).dates(since=today, until=until)
        if day not in taken[template.id]
    ]
    return sorted(found, key=lambda occurrence: (occurrence.date, occurrence.template.id))


def upcoming(*, user: User, days: int = DEFAULT_UPCOMING_DAYS, today: dt.date | None = None) -> list[Occurrence]:
    """Return the occurrences of `user`'s running templates in the next `days` days.

    The window is today and the following `days - 1` days. Paused templates and skipped or
    already posted occurrences are left out. Sorted by date, then template. Raises
    ValidationFailed on `days` outside 1-366.
    """
    days = _clean_days(days)
    today = _today(today)
    templates = _templates(user, RecurringExpense.paused.is_(False))
    return _upcoming(templates, _ledger_dates([t.id for t in templates], since=today), today, days)


@dataclass(frozen=True)
class ScheduledSpending:
    """The occurrences still to come in a window, in the base currency: `cents` per category id,
    and `unconverted_count` occurrences whose currency has no rate (in no sum)."""

    cents: dict[int, int]
    unconverted_count: int = 0

    @property
    def total_cents(self) -> int:
        return sum(self.cents.values())


def scheduled_between(*, user: User, since: dt.date, until: dt.date, today: dt.date | None = None) -> ScheduledSpending:
    """The occurrences of `user`'s running (not paused) templates from `since` to `until` (both
    inclusive) that are not yet posted or skipped, for budget projections.

    Each occurrence is converted to the base currency as the monthly cost is: at the latest rate
    on or before `today` (`conversions.convert_amount`, one lookup per foreign currency). Two
    queries (templates and ledger) plus the rates.
    """
    today = _today(today)
    templates = _templates(user, RecurringExpense.paused.is_(False))
    taken = _ledger_dates([t.id for t in templates], since=since)
    rates: dict[str, Decimal | None] = {}
    cents: dict[int, int] = defaultdict(int)
    unconverted = 0
    for template in templates:
        days = [day for day in Schedule.of(template).dates(since=since, until=until) if day not in taken[template.id]]
        if not days:
            continue
        code = template.currency
        if code not in rates:
            found = rate_on(code, user.currency, today) if code != user.currency else None
            rates[code] = Decimal(1) if code == user.currency else (found.rate if found else None)
        if rates[code] is None:
            unconverted += len(days)
            continue
        base = convert_amount(template.amount, rates[code], user.currency)
        cents[template.category_id] += int(base * 100) * len(days)
    return ScheduledSpending(dict(cents), unconverted)


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    monthly_amount: Decimal


@dataclass(frozen=True)
class CostItem(RecurringSummary):
    """An active template in the cost summary, with its monthly cost in the base currency (None
    when its currency has no rate on or before today)."""

    monthly_base_amount: Decimal | None


@dataclass(frozen=True)
class CostSummary:
    """The monthly-equivalent cost of the active templates, each and per currency, and in total in
    the base currency (`unconverted_count` templates had no rate and are not in `base_total`)."""

    items: list[CostItem]
    totals: list[CurrencyTotal]
    base_currency: str
    base_total: Decimal
    unconverted_count: int


def _cost(user: User, summaries: Sequence[RecurringSummary], today: dt.date) -> CostSummary:
    active = [item for item in summaries if item.state == "active"]
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for item in active:
        sums[item.template.currency] += item.monthly_amount
    # One rate lookup per foreign currency, not per template.
    rates = {code: rate_on(code, user.currency, today) for code in sums if code != user.currency}
    items = []
    for item in active:
        code = item.template.currency
        if code == user.currency:
            base = item.monthly_amount
        else:
            rate = rates[code]
            base = None if rate is None else convert_amount(item.monthly_amount, rate.rate, user.currency)
        items.append(CostItem(item.template, item.next_date, item.monthly_amount, item.state, base))
    items.sort(key=lambda item: (item.monthly_base_amount is None, -(item.monthly_base_amount or 0), item.template.id))
    order = sorted(sums, key=lambda code: (code != user.currency, code))
    converted = [item.monthly_base_amount for item in items if item.monthly_base_amount is not None]
    return CostSummary(
        items=items,
        totals=[CurrencyTotal(code, sums[code].quantize(CENT)) for code in order],
        base_currency=user.currency,
        base_total=sum(converted, Decimal("0.00")).quantize(CENT),
        unconverted_count=len(items) - len(converted),
    )


def cost_summary(*, user: User, today: dt.date | None = None) -> CostSummary:
    """Return the active templates (not paused, not ended) with their monthly-equivalent cost,
    most expensive (in the base currency) first, templates without a rate last; the sum of those
    (rounded) costs per currency, `user`'s first; and their total in the base currency."""
    today = _today(today)
    return _cost(user, list_recurring(user=user, today=today), today)


@dataclass(frozen=True)
class Overview:
    """What the recurring page shows: every template, the upcoming occurrences, the monthly cost."""

    templates: list[RecurringSummary]
    upcoming: list[Occurrence]
    upcoming_days: int
    summary: CostSummary


def overview(*, user: User, today: dt.date | None = None, days: int = DEFAULT_UPCOMING_DAYS) -> Overview:
    """Return the recurring page's read-model: the templates are read once for all three parts
    (two queries plus the tags). Raises ValidationFailed on `days` outside 1-366."""
    days = _clean_days(days)
    today = _today(today)
    summaries, taken = _summaries(user, today)
    return Overview(
        templates=summaries,
        upcoming=_upcoming([item.template for item in summaries], taken, today, days),
        upcoming_days=days,
        summary=_cost(user, summaries, today),
    )


@dataclass(frozen=True)
class FormPage:
    """What the add and edit pages need: the template being edited (None when adding) and the
    category choices (id and name only)."""

    template: RecurringSummary | None
    category_options: list[CategoryOption]


def form_page(*, user: User, recurring_id: int | None = None, today: dt.date | None = None) -> FormPage:
    """Return the add page's (no `recurring_id`) or edit page's read-model; NotFound when the
    template is missing or someone else's."""
    template = None if recurring_id is None else get_recurring(user=user, recurring_id=recurring_id, today=today)
    return FormPage(template=template, category_options=category_options(user=user))


# --- validation ----------------------------------------------------------------------------------


def history_start(today: dt.date) -> dt.date:
    """The earliest start date a template may be given: `MAX_HISTORY_YEARS` before `today`."""
    return rules.add_years(today, -MAX_HISTORY_YEARS)


def _clean_start_date(errors: Errors, value, today: dt.date, current: dt.date | None) -> dt.date | None:
    # A template keeps the start date it has (an older template can still be edited); a new or
    # changed start date is at most MAX_HISTORY_YEARS back.
    earliest = history_start(today)
    day = rules.parse_date(value)
    if day is not None and day != current and day < earliest:
        add_error(
            errors,
            "start_date",
            f"Must be on or after {earliest.isoformat()}: a recurring expense can start at most "
            f"{MAX_HISTORY_YEARS} years ago (add older expenses one by one).",
        )
        return None
    low = min(day, earliest) if day is not None and day == current else earliest
    return rules.clean_date(errors, "start_date", value, earliest=low, latest=rules.latest_expense_date(today))


def _clean_fields(
    errors: Errors, user: User, given: dict, *, today: dt.date, current_start: dt.date | None = None
) -> dict:
    """Check the fields present in `given` (None = left out) and return their cleaned values."""
    cleaners = {
        "amount": lambda v: rules.clean_money(errors, "amount", v),
        "category_id": lambda v: clean_category_id(errors, "category_id", user, v),
        "description": lambda v: rules.clean_text(errors, "description", v, max_length=DESCRIPTION_MAX_LENGTH),
        "payment_method": lambda v: clean_payment_method(errors, "payment_method", v),
        "currency": lambda v: rules.clean_currency(errors, "currency", v),
        "notes": lambda v: rules.clean_text(errors, "notes", v, max_length=NOTES_MAX_LENGTH, multiline=True),
        "start_date": lambda v: _clean_start_date(errors, v, today, current_start),
        "interval_unit": lambda v: rules.clean_choice(errors, "interval_unit", v, INTERVAL_UNITS),
        "interval_count": lambda v: rules.clean_int(errors, "interval_count", v, low=1, high=MAX_INTERVAL_COUNT),
        "end_date": lambda v: rules.clean_date(errors, "end_date", v, required=False),
        "max_occurrences": lambda v: rules.clean_int(
            errors, "max_occurrences", v, low=1, high=MAX_OCCURRENCES, required=False
        ),
        "tags": lambda v: clean_tag_names(errors, "tags", v),
    }
    return {
        field: cleaners[field](value)
        for field, value in given.items()
        if field in cleaners and (value is not None or field in LIMIT_FIELDS)
    }


def _check_schedule(errors: Errors, schedule: Schedule, successor: RecurringExpense | None = None) -> None:
    if "start_date" in errors:
        return
    if schedule.end_date is not None and schedule.end_date < schedule.start_date:
        add_error(errors, "end_date", "Must be on or after the start date.")
    if schedule.end_date is not None and schedule.max_occurrences is not None:
        add_error(errors, "max_occurrences", "Give an end date or a number of occurrences, not both.")
    if successor is not None and (schedule.end_date is None or schedule.end_date >= successor.applies_from):
        # The dates from the successor's first day on are its own: an overlap would post them twice.
        add_error(
            errors,
            "end_date",
            f"Must be before {successor.applies_from.isoformat()}: from that date on this recurring "
            "expense continues with its later changes.",
        )


def _apply(template: RecurringExpense, user: User, values: dict) -> None:
    tags = values.pop("tags", None)
    for field, value in values.items():
        setattr(template, field, value)
    if tags is not None:
        template.tags = resolve_tags(user=user, names=tags)
    template.updated_at = utcnow()


def _check_room(session: Session, user: User) -> None:
    """Raise Conflict when `user` already has MAX_TEMPLATES_PER_USER templates.

    The owner's row is locked first (FOR NO KEY UPDATE, which leaves the foreign key checks of
    their other writes alone), so two concurrent creations cannot both take the last place.
    """
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update(key_share=True))
    count = session.scalar(sa.select(sa.func.count(RecurringExpense.id)).where(RecurringExpense.user_id == user.id))
    if count >= MAX_TEMPLATES_PER_USER:
        raise Conflict(TOO_MANY_TEMPLATES.format(limit=MAX_TEMPLATES_PER_USER))


def _successor(template: RecurringExpense) -> RecurringExpense | None:
    """The template that took over from `template` when it was split, if any."""
    return db.session.scalar(
        sa.select(RecurringExpense).where(
            RecurringExpense.split_from_id == template.id, RecurringExpense.user_id == template.user_id
        )
    )


# --- changing templates ----------------------------------------------------------------------------


def create_recurring(
    *,
    user: User,
    amount: Decimal | str | int,
    category_id: int,
    start_date: dt.date | str,
    interval_unit: str = "month",
    interval_count: int = 1,
    end_date: dt.date | str | None = None,
    max_occurrences: int | None = None,
    description: str = "",
    payment_method: str = DEFAULT_PAYMENT_METHOD,
    currency: str | None = None,
    tags: Sequence[str] | None = None,
    notes: str = "",
    today: dt.date | None = None,
) -> RecurringSummary:
    """Create a template and return it with its next date. Nothing is posted until `post_due`.

    Raises ValidationFailed with an entry per failing field (the expense rules, plus the
    schedule's), and Conflict when `user` already has `MAX_TEMPLATES_PER_USER` templates.
    """
    today = _today(today)
    given = {
        "amount": amount if amount is not None else "",
        "category_id": category_id if category_id is not None else "",
        "start_date": start_date if start_date is not None else "",
        "interval_unit": interval_unit,
        "interval_count": interval_count,
        "end_date": end_date,
        "max_occurrences": max_occurrences,
        "description": description or "",
        "payment_method": payment_method,
        "currency": user.currency if currency is None else currency,
        "notes": notes or "",
        "tags": list(tags or []),
    }
    with transaction() as session:
        errors: Errors = {}
        values = _clean_fields(errors, user, given, today=today)
        rules.check_minor_units(errors, "amount", values.get("amount"), values.get("currency"))
        if not errors:
            _check_schedule(errors, Schedule(**{f: values[f] for f in (*SCHEDULE_FIELDS, *LIMIT_FIELDS)}))
        raise_if(errors)
        _check_room(session, user)
        template = RecurringExpense(user_id=user.id, paused=False)
        _apply(template, user, values)
        session.add(template)
    return get_recurring(user=user, recurring_id=template.id, today=today)


def update_recurring(
    *,
    user: User,
    recurring_id: int,
    apply_from: dt.date | str | None = None,
    today: dt.date | None = None,
    **changes,
) -> RecurringSummary:
    """Change a template; return the template that holds the occurrences from now on.

    `changes` are the fields of `create_recurring` (None leaves a field as it is; `end_date=""`
    or `max_occurrences=""` removes the limit). Without `apply_from` the template itself changes:
    every occurrence not yet posted follows the new values. With `apply_from` ("this and future
    occurrences") the template is split: it ends the day before `apply_from`, and a new template
    with the changes takes over from that date, keeping the original start date as its anchor
    (so a rent on the 31st stays on the 31st) unless the schedule itself changes; occurrences
    already posted or skipped from that date on move to the new template. When `apply_from` is
    on or before the first occurrence, the whole template changes (no split is needed).

    The template row is locked for the whole change, so concurrent edits run one after the other.
    Raises NotFound; ValidationFailed for a broken rule or an `apply_from` after the last
    occurrence; Conflict when the template was already split at or before `apply_from` (change
    its successor instead) or a split would exceed `MAX_TEMPLATES_PER_USER`.
    """
    unknown = set(changes) - CHANGEABLE_FIELDS
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    today = _today(today)
    with transaction() as session:
        template = _load(user, recurring_id, lock=True)
        errors: Errors = {}
        changes = {field: value for field, value in changes.items() if value is not None}
        values = _clean_fields(errors, user, changes, today=today, current_start=template.start_date)
        if "amount" not in errors and "currency" not in errors:
            amount, currency = values.get("amount", template.amount), values.get("currency", template.currency)
            rules.check_minor_units(errors, "amount", amount, currency)
        split_date = rules.clean_date(errors, "apply_from", apply_from, required=False)
        raise_if(errors)

        old = Schedule.of(template)
        successor = _successor(template)
        if split_date is not None and split_date > old.first_allowed:
            if next(old.dates(since=split_date), None) is None:
                if successor is not None and successor.applies_from <= split_date:
                    raise Conflict(
                        f"From {successor.applies_from.isoformat()} on, this recurring expense continues as "
                        "a changed one (it was changed from that date, perhaps just now); change that one instead."
                    )
                raise_if({"apply_from": ["There is no occurrence on or after this date."]})
            result = _split(session, user, template, successor, split_date, values)
        else:
            merged = replace(old, **{f: values[f] for f in (*SCHEDULE_FIELDS, *LIMIT_FIELDS) if f in values})
            _check_schedule(errors, merged, successor)
            raise_if(errors)
            _apply(template, user, values)
            result = template
    return get_recurring(user=user, recurring_id=result.id, today=today)


def _split(
    session: Session,
    user: User,
    template: RecurringExpense,
    successor: RecurringExpense | None,
    split_date: dt.date,
    values: dict,
) -> RecurringExpense:
    """End `template` the day before `split_date`; return the new template that takes over."""
    changed = {f: values[f] for f in (*SCHEDULE_FIELDS, *LIMIT_FIELDS) if f in values}
    new_schedule = replace(Schedule.of(template), **changed, applies_from=split_date)
    errors: Errors = {}
    _check_schedule(errors, new_schedule, successor)
    raise_if(errors)
    _check_room(session, user)
    part = RecurringExpense(
        **expense_fields_of(template),
        paused=template.paused,
        paused_at=template.paused_at,
        **asdict(new_schedule),
    )
    part.tags = list(template.tags)
    _apply(part, user, {k: v for k, v in values.items() if k not in (*SCHEDULE_FIELDS, *LIMIT_FIELDS)})
    session.add(part)
    session.flush()
    if successor is not None:
        # The new part goes between the template and its earlier successor: the chain stays one
        # successor per template (the UNIQUE link), and the successor's dates stay its own.
        session.execute(
            sa.update(RecurringExpense).where(RecurringExpense.id == successor.id).values(split_from_id=part.id)
        )
    # Linked last: a second split of the same template that got past the lock fails right here.
    session.execute(sa.update(RecurringExpense).where(RecurringExpense.id == part.id).values(split_from_id=template.id))
    # What was posted or skipped from the split date on now belongs to the new part, so it
    # cannot post those dates a second time.
    session.execute(
        sa.update(RecurringOccurrence)
        .where(RecurringOccurrence.recurring_id == template.id, RecurringOccurrence.occurrence_date >= split_date)
        .values(recurring_id=part.id)
    )
    template.end_date = split_date - dt.timedelta(days=1)
    template.updated_at = utcnow()
    return part


def delete_recurring(*, user: User, recurring_id: int) -> None:
    """Delete the template and its ledger; expenses it already posted stay. NotFound if not `user`'s.

    A later half of a split stays (it no longer names this one).
    """
    with transaction() as session:
        session.delete(_load(user, recurring_id, lock=True))


def pause_recurring(*, user: User, recurring_id: int, today: dt.date | None = None) -> RecurringSummary:
    """Stop posting from `today` on; pausing a paused template changes nothing."""
    today = _today(today)
    with transaction():
        template = _load(user, recurring_id, lock=True)
        if not template.paused:
            template.paused, template.paused_at = True, today
            template.updated_at = utcnow()
    return get_recurring(user=user, recurring_id=recurring_id, today=today)


def resume_recurring(*, user: User, recurring_id: int, today: dt.date | None = None) -> RecurringSummary:
    """Start posting again from `today`; the occurrences while paused are recorded as skipped.

    Resuming a running template changes nothing.
    """
    today = _today(today)
    with transaction() as session:
        template = _load(user, recurring_id, lock=True)
        if template.paused:
            missed_since = template.paused_at or today
            yesterday = today - dt.timedelta(days=1)
            taken = _ledger_dates([template.id], since=missed_since)[template.id]
            schedule = Schedule.of(template)
            missed = [day for day in schedule.dates(since=missed_since, until=yesterday) if day not in taken]
            session.add_all(
                RecurringOccurrence(recurring_id=template.id, occurrence_date=day, status="skipped") for day in missed
            )
            template.paused, template.paused_at = False, None
            template.updated_at = utcnow()
    return get_recurring(user=user, recurring_id=recurring_id, today=today)


def _already_posted(day: dt.date) -> Conflict:
    return Conflict(f"The occurrence on {day.isoformat()} was already posted.", {"date": ["Already posted."]})


def skip_occurrence(
    *, user: User, recurring_id: int, date: dt.date | str, today: dt.date | None = None
) -> RecurringSummary:
    """Skip the occurrence on `date`: it will not be posted. Skipping twice changes nothing.

    Raises NotFound, ValidationFailed when `date` is not an occurrence of the schedule, and
    Conflict when that occurrence was already posted.
    """
    day = rules.parse_date(date)
    # The IntegrityError of a posting run that inserted the same occurrence meanwhile.
    with transaction(conflict=_already_posted(day) if day else None) as session:
        template = _load(user, recurring_id, lock=True)
        if day is None:
            raise_if({"date": ["Must be a date such as 2026-11-26."]})
        schedule = Schedule.of(template)
        if not schedule.is_occurrence(day):
            upcoming_day = schedule.next_date(day)
            hint = f" The next one is {upcoming_day.isoformat()}." if upcoming_day else ""
            raise_if({"date": [f"{day.isoformat()} is not an occurrence of this schedule.{hint}"]})
        existing = session.scalar(
            sa.select(RecurringOccurrence.status).where(
                RecurringOccurrence.recurring_id == template.id, RecurringOccurrence.occurrence_date == day
            )
        )
        if existing == "posted":
            raise _already_posted(day)
        if existing is None:
            session.add(RecurringOccurrence(recurring_id=template.id, occurrence_date=day, status="skipped"))
    return get_recurring(user=user, recurring_id=recurring_id, today=today)


# --- posting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    """Which template to post and its schedule, copied so they survive the session's commits."""

    id: int
    schedule: Schedule


@dataclass(frozen=True)
class PostingReport:
    """What one posting run did.

    `created`: expenses created. `refused`: due occurrences the database refused (another run
    posted them first, or the template's owner was deleted meanwhile). `more_due`: templates
    that had more than `MAX_POSTS_PER_RUN` due occurrences; the next run continues with them.
    """

    created: int = 0
    refused: int = 0
    more_due: int = 0


# What `_post_one` found.
POSTED, NOT_DUE, STOPPED = "posted", "not due", "stopped"


def _posted_dates(snapshot: _Snapshot) -> set[dt.date]:
    return _ledger_dates([snapshot.id], since=snapshot.schedule.first_allowed)[snapshot.id]


def _new_expense(template: RecurringExpense, day: dt.date) -> Expense:
    """The expense of `template`'s occurrence on `day`, converted at that day's rate (not yet
    added to the session)."""
    base_currency = locked_base_currency(template.user_id)
    conversion = published_conversion(
        amount=template.amount, currency=template.currency, base_currency=base_currency, day=day
    )
    return Expense(date=day, **expense_fields_of(template), **conversion.as_fields())


def _post_one(template_id: int, day: dt.date) -> str:
    """Create the expense and its ledger row for one occurrence, in one transaction.

    The template is re-read under a share lock (a split or delete waits for this transaction):
    returns STOPPED when it is gone or paused, NOT_DUE when `day` is no longer one of its
    occurrences (it was split or changed meanwhile), POSTED otherwise. Raises Conflict when the
    database refuses the rows (the ledger already has the occurrence: another run got there first).
    """
    with transaction() as session:
        template = session.scalar(
            sa.select(RecurringExpense)
            .where(RecurringExpense.id == template_id)
            .options(selectinload(RecurringExpense.tags))
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
        if template is None or template.paused:
            return STOPPED
        if not Schedule.of(template).is_occurrence(day):
            return NOT_DUE
        expense = _new_expense(template, day)
        session.add(expense)
        session.flush()
        if template.tags:
            session.execute(
                sa.insert(expense_tags), [{"expense_id": expense.id, "tag_id": tag.id} for tag in template.tags]
            )
        session.add(
            RecurringOccurrence(recurring_id=template.id, occurrence_date=day, status="posted", expense_id=expense.id)
        )
    return POSTED


def _post_template(snapshot: _Snapshot, today: dt.date) -> PostingReport:
    created = refused = attempts = 0
    done = _posted_dates(snapshot)
    for day in snapshot.schedule.dates(until=today):
        if day in done:
            continue
        if attempts == MAX_POSTS_PER_RUN:
            return PostingReport(created=created, refused=refused, more_due=1)
        attempts += 1
        try:
            outcome = _post_one(snapshot.id, day)
        except Conflict:
            logger.warning("recurring occurrence refused", extra={"recurring_id": snapshot.id, "date": day.isoformat()})
            refused += 1
            continue
        if outcome == STOPPED:
            break
        created += outcome == POSTED
    return PostingReport(created=created, refused=refused)


def _post(conditions: list, today: dt.date) -> PostingReport:
    templates = db.session.scalars(
        sa.select(RecurringExpense).where(RecurringExpense.paused.is_(False), *conditions).order_by(RecurringExpense.id)
    )
    snapshots = [_Snapshot(id=template.id, schedule=Schedule.of(template)) for template in templates]
    total = PostingReport()
    for snapshot in snapshots:
        part = _post_template(snapshot, today)
        total = PostingReport(
            created=total.created + part.created,
            refused=total.refused + part.refused,
            more_due=total.more_due + part.more_due,
        )
    return total


def post_due(*, user: User, today: dt.date | None = None) -> int:
    """Post the due occurrences (up to and including `today`) of `user`'s running templates.

    Returns how many expenses were created: at most `MAX_POSTS_PER_RUN` per template, oldest
    first (call again for the rest). Safe to run again or concurrently: an occurrence is created
    exactly once.
    """
    return _post([RecurringExpense.user_id == user.id], _today(today)).created


def post_all_due(*, today: dt.date | None = None) -> PostingReport:
    """`post_due` for every user: the scheduler's job (`flask recurring post`). Returns the run's
    report; an occurrence the database refuses is counted there, and the run goes on."""
    return _post([], _today(today))
