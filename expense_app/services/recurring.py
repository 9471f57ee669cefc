"""Recurring expenses: templates with a schedule, their next dates, monthly cost, and posting.

Schedule (pure date arithmetic, no time zones): occurrence k (k = 0, 1, ...) of a template is
`start_date` plus k * `interval_count` days, weeks, months or years, always computed from
`start_date`, never from the previous occurrence. A monthly or yearly date that does not exist
falls on the last day of that month, and the next one snaps back: a rent from January 31 falls
on Jan 31, Feb 28 (Feb 29 in a leap year), Mar 31, Apr 30, ... An occurrence counts only when it
is on or after `applies_from` (set on the later half of a split), on or before `end_date`, and
k < `max_occurrences`; an end date and a count are alternatives.

Rules (the same field rules as an expense, from `services.expenses`):
- amount, category, description, payment method, currency, tags and notes as for an expense;
- `start_date` within the expense date range, `end_date` on or after it, `interval_count` 1-1000,
  `max_occurrences` 1-10000, `interval_unit` one of day, week, month, year.

Monthly-equivalent cost: amount * occurrences per year / 12, with 365 days, 52 weeks, 12 months
or 1 year per year, divided by `interval_count`, rounded half up to the cent. So weekly 10.00 is
10 * 52 / 12 = 43.33, daily 1.00 is 30.42, every 3 months 90.00 is 30.00, yearly 120.00 is 10.00.

Posting (`post_due`, `post_all_due`): every occurrence up to today that has no ledger row yet
becomes an expense. Each occurrence is one transaction holding both the expense and its ledger
row, so a crash cannot leave an expense without its row (which would post it twice). The ledger's
UNIQUE (recurring_id, occurrence_date) makes a second, concurrent run fail on that row and roll
its expense back, so each occurrence is created exactly once whatever runs at the same time.

Pausing stops posting; resuming marks the occurrences from the pause day up to yesterday as
skipped (they are not posted later). Skipping records one occurrence as skipped.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

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
from expense_app.services.expenses import (
    DEFAULT_PAYMENT_METHOD,
    DESCRIPTION_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    clean_amount,
    clean_category_id,
    clean_payment_method,
)
from expense_app.services.expenses import clean_expense_date as clean_date
from expense_app.services.rules import CENT, Errors, add_error, clean_currency, clean_text, is_storable_id, raise_if
from expense_app.services.rules import parse_date as _parse_date
from expense_app.services.rules import parse_id as _parse_id
from expense_app.services.tags import clean_tag_names, resolve_tags


# Temporary bridge until the recurring service moves onto services.rules (issue 11).
def clean_optional_date(errors, field, value):
    from expense_app.services.rules import clean_date as _clean_date

    return _clean_date(errors, field, value, required=False, earliest=None)


MAX_INTERVAL_COUNT = 1000
MAX_OCCURRENCES = 10_000
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
SCHEDULE_FIELDS = ("start_date", "interval_unit", "interval_count")


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
        return cls(
            start_date=template.start_date,
            interval_unit=template.interval_unit,
            interval_count=template.interval_count,
            end_date=template.end_date,
            max_occurrences=template.max_occurrences,
            applies_from=template.applies_from,
        )

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
    return today or utcnow().date()


def _select_templates(*conditions):
    return (
        sa.select(RecurringExpense)
        .where(*conditions)
        .options(joinedload(RecurringExpense.category, innerjoin=True), selectinload(RecurringExpense.tags))
        .execution_options(populate_existing=True)
    )


def _templates(user: User, *conditions) -> list[RecurringExpense]:
    return list(
        db.session.scalars(
            _select_templates(RecurringExpense.user_id == user.id, *conditions).order_by(
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


def list_recurring(*, user: User, today: dt.date | None = None) -> list[RecurringSummary]:
    """Return every template of `user` (by start date) with its next date, monthly cost and state."""
    today = _today(today)
    templates = _templates(user)
    taken = _ledger_dates([t.id for t in templates], since=today)
    return [_summary(template, today, taken[template.id]) for template in templates]


def _load(user: User, recurring_id: int) -> RecurringExpense:
    if not is_storable_id(recurring_id):
        raise NotFound(RECURRING_NOT_FOUND)
    found = _templates(user, RecurringExpense.id == recurring_id)
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


def upcoming(*, user: User, days: int = DEFAULT_UPCOMING_DAYS, today: dt.date | None = None) -> list[Occurrence]:
    """Return the occurrences of `user`'s running templates in the next `days` days.

    The window is today and the following `days - 1` days. Paused templates and skipped or
    already posted occurrences are left out. Sorted by date, then template. Raises
    ValidationFailed on `days` outside 1-366.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_UPCOMING_DAYS:
        raise_if({"days": [f"Must be between 1 and {MAX_UPCOMING_DAYS}."]})
    today = _today(today)
    until = today + dt.timedelta(days=days - 1)
    templates = _templates(user, RecurringExpense.paused.is_(False))
    taken = _ledger_dates([t.id for t in templates], since=today)
    found = [
        Occurrence(date=day, template=template)
        for template in templates
        for day in Schedule.of(template).dates(since=today, until=until)
        if day not in taken[template.id]
    ]
    return sorted(found, key=lambda occurrence: (occurrence.date, occurrence.template.id))


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    monthly_amount: Decimal


@dataclass(frozen=True)
class CostSummary:
    """The monthly-equivalent cost of the active templates, each and per currency."""

    items: list[RecurringSummary]
    totals: list[CurrencyTotal]


def cost_summary(*, user: User, today: dt.date | None = None) -> CostSummary:
    """Return the active templates (not paused, not ended) with their monthly-equivalent cost,
    most expensive first, and the sum of those (rounded) costs per currency, `user`'s first."""
    active = [item for item in list_recurring(user=user, today=today) if item.state == "active"]
    active.sort(key=lambda item: (-item.monthly_amount, item.template.id))
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for item in active:
        sums[item.template.currency] += item.monthly_amount
    order = sorted(sums, key=lambda code: (code != user.currency, code))
    return CostSummary(items=active, totals=[CurrencyTotal(code, sums[code].quantize(CENT)) for code in order])


# --- validation ----------------------------------------------------------------------------------


def _clean_int(errors: Errors, field: str, value, *, low: int, high: int) -> int | None:
    number = _parse_id(value)
    if number is None or not low <= number <= high:
        add_error(errors, field, f"Must be a whole number from {low} to {high}.")
        return None
    return number


def _clean_fields(errors: Errors, user: User, given: dict) -> dict:
    """Check the fields present in `given` (None = left out) and return their cleaned values."""
    cleaners = {
        "amount": lambda v: clean_amount(errors, "amount", v),
        "category_id": lambda v: clean_category_id(errors, "category_id", user, v),
        "description": lambda v: clean_text(errors, "description", v, max_length=DESCRIPTION_MAX_LENGTH),
        "payment_method": lambda v: clean_payment_method(errors, "payment_method", v),
        "currency": lambda v: clean_currency(errors, "currency", v),
        "notes": lambda v: clean_text(errors, "notes", v, max_length=NOTES_MAX_LENGTH),
        "start_date": lambda v: clean_date(errors, "start_date", v),
        "interval_count": lambda v: _clean_int(errors, "interval_count", v, low=1, high=MAX_INTERVAL_COUNT),
    }
    cleaned: dict = {}
    for field, value in given.items():
        if value is None and field not in ("end_date", "max_occurrences"):
            continue
        if field in cleaners:
            cleaned[field] = cleaners[field](value)
        elif field == "interval_unit":
            if value not in INTERVAL_UNITS:
                add_error(errors, field, "Must be one of: " + ", ".join(INTERVAL_UNITS) + ".")
            cleaned[field] = value
        elif field == "end_date":
            cleaned[field] = clean_optional_date(errors, field, value)
        elif field == "max_occurrences":
            empty = value is None or value == ""
            cleaned[field] = None if empty else _clean_int(errors, field, value, low=1, high=MAX_OCCURRENCES)
        elif field == "tags":
            cleaned[field] = clean_tag_names(errors, "tags", value)
    return cleaned


def _check_schedule(errors: Errors, schedule: Schedule) -> None:
    if "start_date" in errors:
        return
    if schedule.end_date is not None and schedule.end_date < schedule.start_date:
        add_error(errors, "end_date", "Must be on or after the start date.")
    if schedule.end_date is not None and schedule.max_occurrences is not None:
        add_error(errors, "max_occurrences", "Give an end date or a number of occurrences, not both.")


def _apply(template: RecurringExpense, user: User, values: dict) -> None:
    tags = values.pop("tags", None)
    for field, value in values.items():
        setattr(template, field, value)
    if tags is not None:
        template.tags = resolve_tags(user=user, names=tags)
    template.updated_at = utcnow()


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

    Raises ValidationFailed with an entry per failing field (the expense rules, plus the schedule's).
    """
    errors: Errors = {}
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
    values = _clean_fields(errors, user, given)
    if not errors:
        _check_schedule(errors, Schedule(**{f: values[f] for f in (*SCHEDULE_FIELDS, "end_date", "max_occurrences")}))
    raise_if(errors)
    try:
        template = RecurringExpense(user_id=user.id, paused=False)
        _apply(template, user, values)
        db.session.add(template)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
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

    Raises NotFound, and ValidationFailed for a broken rule or an `apply_from` after the last
    occurrence.
    """
    template = _load(user, recurring_id)
    unknown = set(changes) - {
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
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    errors: Errors = {}
    changes = {field: value for field, value in changes.items() if value is not None}
    values = _clean_fields(errors, user, changes)
    split_date = None
    if apply_from is not None and apply_from != "":
        split_date = _parse_date(apply_from)
        if split_date is None:
            add_error(errors, "apply_from", "Must be a date such as 2026-11-26.")
    raise_if(errors)

    old = Schedule.of(template)
    if split_date is not None and split_date > old.first_allowed:
        if next(old.dates(since=split_date), None) is None:
            raise_if({"apply_from": ["There is no occurrence on or after this date."]})
        return _split(user, template, split_date, values, today)

    merged = replace(old, **{f: values[f] for f in (*SCHEDULE_FIELDS, "end_date", "max_occurrences") if f in values})
    _check_schedule(errors, merged)
    raise_if(errors)
    try:
        _apply(template, user, values)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return get_recurring(user=user, recurring_id=template.id, today=today)


def _split(
    user: User, template: RecurringExpense, split_date: dt.date, values: dict, today: dt.date | None
) -> RecurringSummary:
    old = Schedule.of(template)
    new_schedule = Schedule(
        start_date=values.get("start_date", old.start_date),
        interval_unit=values.get("interval_unit", old.interval_unit),
        interval_count=values.get("interval_count", old.interval_count),
        end_date=values.get("end_date", old.end_date),
        max_occurrences=values.get("max_occurrences", old.max_occurrences),
        applies_from=split_date,
    )
    errors: Errors = {}
    _check_schedule(errors, new_schedule)
    raise_if(errors)
    try:
        successor = RecurringExpense(
            user_id=user.id,
            category_id=template.category_id,
            amount=template.amount,
            currency=template.currency,
            description=template.description,
            payment_method=template.payment_method,
            notes=template.notes,
            paused=template.paused,
            paused_at=template.paused_at,
            start_date=new_schedule.start_date,
            interval_unit=new_schedule.interval_unit,
            interval_count=new_schedule.interval_count,
            end_date=new_schedule.end_date,
            max_occurrences=new_schedule.max_occurrences,
            applies_from=split_date,
        )
        successor.tags = list(template.tags)
        _apply(
            successor,
            user,
            {k: v for k, v in values.items() if k not in (*SCHEDULE_FIELDS, "end_date", "max_occurrences")},
        )
        db.session.add(successor)
        db.session.flush()
        # What was posted or skipped from the split date on now belongs to the successor, so it
        # cannot post those dates a second time.
        db.session.execute(
            sa.update(RecurringOccurrence)
            .where(RecurringOccurrence.recurring_id == template.id, RecurringOccurrence.occurrence_date >= split_date)
            .values(recurring_id=successor.id)
        )
        template.end_date = split_date - dt.timedelta(days=1)
        template.updated_at = utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return get_recurring(user=user, recurring_id=successor.id, today=today)


def delete_recurring(*, user: User, recurring_id: int) -> None:
    """Delete the template and its ledger; expenses it already posted stay. NotFound if not `user`'s."""
    template = _load(user, recurring_id)
    db.session.delete(template)
    db.session.commit()


def pause_recurring(*, user: User, recurring_id: int, today: dt.date | None = None) -> RecurringSummary:
    """Stop posting from `today` on; pausing a paused template changes nothing."""
    today = _today(today)
    template = _load(user, recurring_id)
    if not template.paused:
        template.paused, template.paused_at = True, today
        template.updated_at = utcnow()
        db.session.commit()
    return get_recurring(user=user, recurring_id=recurring_id, today=today)


def resume_recurring(*, user: User, recurring_id: int, today: dt.date | None = None) -> RecurringSummary:
    """Start posting again from `today`; the occurrences while paused are recorded as skipped.

    Resuming a running template changes nothing.
    """
    today = _today(today)
    template = _load(user, recurring_id)
    if template.paused:
        missed_since = template.paused_at or today
        yesterday = today - dt.timedelta(days=1)
        taken = _ledger_dates([template.id], since=missed_since)[template.id]
        missed = [day for day in Schedule.of(template).dates(since=missed_since, until=yesterday) if day not in taken]
        try:
            db.session.add_all(
                RecurringOccurrence(recurring_id=template.id, occurrence_date=day, status="skipped") for day in missed
            )
            template.paused, template.paused_at = False, None
            template.updated_at = utcnow()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return get_recurring(user=user, recurring_id=recurring_id, today=today)


def skip_occurrence(
    *, user: User, recurring_id: int, date: dt.date | str, today: dt.date | None = None
) -> RecurringSummary:
    """Skip the occurrence on `date`: it will not be posted. Skipping twice changes nothing.

    Raises NotFound, ValidationFailed when `date` is not an occurrence of the schedule, and
    Conflict when that occurrence was already posted.
    """
    template = _load(user, recurring_id)
    day = _parse_date(date) if date not in (None, "") else None
    if day is None:
        raise_if({"date": ["Must be a date such as 2026-11-26."]})
    schedule = Schedule.of(template)
    if not schedule.is_occurrence(day):
        upcoming_day = schedule.next_date(day)
        hint = f" The next one is {upcoming_day.isoformat()}." if upcoming_day else ""
        raise_if({"date": [f"{day.isoformat()} is not an occurrence of this schedule.{hint}"]})
    existing = db.session.scalar(
        sa.select(RecurringOccurrence.status).where(
            RecurringOccurrence.recurring_id == template.id, RecurringOccurrence.occurrence_date == day
        )
    )
    if existing == "posted":
        raise Conflict(f"The occurrence on {day.isoformat()} was already posted.", {"date": ["Already posted."]})
    if existing is None:
        db.session.add(RecurringOccurrence(recurring_id=template.id, occurrence_date=day, status="skipped"))
        try:
            db.session.commit()
        except IntegrityError:
            # It was posted by a concurrent run in the meantime.
            db.session.rollback()
            raise Conflict(
                f"The occurrence on {day.isoformat()} was already posted.", {"date": ["Already posted."]}
            ) from None
    return get_recurring(user=user, recurring_id=recurring_id, today=today)


# --- posting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    """A template's values, copied so they survive the session's rollbacks and commits."""

    id: int
    user_id: int
    schedule: Schedule
    values: dict
    tag_ids: list[int]


def _snapshot(template: RecurringExpense) -> _Snapshot:
    return _Snapshot(
        id=template.id,
        user_id=template.user_id,
        schedule=Schedule.of(template),
        values={
            "category_id": template.category_id,
            "amount": template.amount,
            "currency": template.currency,
            "description": template.description,
            "payment_method": template.payment_method,
            "notes": template.notes,
        },
        tag_ids=[tag.id for tag in template.tags],
    )


def _posted_dates(snapshot: _Snapshot) -> set[dt.date]:
    return _ledger_dates([snapshot.id], since=snapshot.schedule.first_allowed)[snapshot.id]


def _post_one(snapshot: _Snapshot, day: dt.date) -> bool:
    """Create the expense and its ledger row for one occurrence in one transaction.

    Returns False when the ledger already has that occurrence (another run got there first).
    """
    try:
        expense = Expense(user_id=snapshot.user_id, date=day, **snapshot.values)
        db.session.add(expense)
        db.session.flush()
        if snapshot.tag_ids:
            db.session.execute(
                sa.insert(expense_tags), [{"expense_id": expense.id, "tag_id": tag_id} for tag_id in snapshot.tag_ids]
            )
        db.session.add(
            RecurringOccurrence(recurring_id=snapshot.id, occurrence_date=day, status="posted", expense_id=expense.id)
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    except Exception:
        db.session.rollback()
        raise
    return True


def _post(conditions: list, today: dt.date) -> int:
    templates = db.session.scalars(
        _select_templates(RecurringExpense.paused.is_(False), *conditions).order_by(RecurringExpense.id)
    ).unique()
    snapshots = [_snapshot(template) for template in templates]
    created = 0
    for snapshot in snapshots:
        done = _posted_dates(snapshot)
        for day in snapshot.schedule.dates(until=today):
            if day not in done and _post_one(snapshot, day):
                created += 1
    return created


def post_due(*, user: User, today: dt.date | None = None) -> int:
    """Post every due occurrence (up to and including `today`) of `user`'s running templates.

    Returns how many expenses were created. Safe to run again or concurrently: an occurrence is
    created exactly once.
    """
    return _post([RecurringExpense.user_id == user.id], _today(today))


def post_all_due(*, today: dt.date | None = None) -> int:
    """`post_due` for every user: the scheduler's job (`flask recurring post`)."""
    return _post([], _today(today))
