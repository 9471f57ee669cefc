"""Expenses: record, read, change, delete and list a user's expenses, with all their rules.

Rules (both faces rely on these, neither re-implements them):
- `amount` > 0 and <= 99,999,999.99 with at most 2 decimal places; more places is an error, never
  rounded. Accepted as Decimal, str or int, never float.
- `date` between 1900-01-01 and one year from today (UTC).
- `category_id` names one of the user's categories.
- `description` <= 255 characters and `notes` <= 2000, both trimmed.
- `payment_method` from `models.PAYMENT_METHODS`; `currency` ISO 4217, the user's by default.
- at most 20 tags, each 1-50 characters, trimmed, lower-cased, de-duplicated, created on first use.

Money stays exact on both databases: sums are taken in SQL as integer cents (SQLite has no decimal
type and would otherwise add binary floats). A list's total is in the base currency (the stored
base amounts); expenses waiting for an exchange rate are counted, never summed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from expense_app.errors import NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import PAYMENT_METHODS, Category, Expense, ExpenseStats, Tag, User, expense_tags
from expense_app.models.base import utcnow
from expense_app.services import deletions
from expense_app.services.categories import CategoryOption, category_options
from expense_app.services.conversions import MANUAL, clean_conversion, locked_base_currency
from expense_app.services.locales import DEFAULT_LOCALE, parse_local_amount
from expense_app.services.money import cents_to_amount, count_unconverted, sum_base_cents
from expense_app.services.rules import (
    Errors,
    add_error,
    check_minor_units,
    clean_choice,
    clean_currency,
    clean_date,
    clean_ids,
    clean_int,
    clean_money,
    clean_text,
    is_blank,
    is_storable_id,
    latest_expense_date,
    parse_id,
    raise_if,
)
from expense_app.services.tags import clean_tag_names, normalize_tag, resolve_tags
from expense_app.services.unit_of_work import transaction

DESCRIPTION_MAX_LENGTH = 255
NOTES_MAX_LENGTH = 2000
SEARCH_MAX_LENGTH = 100
DEFAULT_PAYMENT_METHOD = "other"

SORTS = ("-date", "date", "-amount", "amount", "-created_at", "created_at")
DEFAULT_SORT = "-date"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Deeper than any real list: page 10,000 of 100 is a million expenses; a larger page number would
# only make the database skip rows to return nothing.
MAX_PAGE = 1_000_000

# The default of `update_expense`'s conversion arguments: not given, as opposed to None (which
# returns a manual conversion to the published rate).
UNCHANGED = object()

EXPENSE_NOT_FOUND = "Expense not found."
CATEGORY_NOT_YOURS = "Choose one of your categories."


@dataclass(frozen=True)
class ExpenseFilters:
    """What a list or an export is narrowed to; every field is optional and they combine with AND.

    Several values in one field combine with OR (any of these categories). A category id that is
    not the user's simply matches nothing.
    """

    date_from: dt.date | str | None = None
    date_to: dt.date | str | None = None
    category_ids: Sequence[int] = ()
    payment_methods: Sequence[str] = ()
    tags: Sequence[str] = ()
    min_amount: Decimal | str | int | None = None
    max_amount: Decimal | str | int | None = None
    q: str | None = None


@dataclass(frozen=True)
class ExpensePage:
    """One page of a filtered, sorted list, with the size and money total of the whole filtered set.

    `total_amount` is in the base currency; `unconverted_count` of the `total` expenses are waiting
    for an exchange rate and are not in it. `page` is None for a page chosen by a cursor (`after`),
    whose number is not known without counting what lies before it. `next_cursor` continues the
    list after this page's last item (None at the end).
    """

    items: list[Expense]
    total: int
    page: int | None
    per_page: int
    total_pages: int
    total_amount: Decimal
    unconverted_count: int = 0
    next_cursor: str | None = None

    @property
    def has_prev(self) -> bool:
        return self.page is not None and self.page > 1

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


# --- fields ----------------------------------------------------------------------------------------


def clean_amount(errors: Errors, field: str, value, currency: str | None = None) -> Decimal | None:
    """An expense amount: required, greater than 0, at most MAX_AMOUNT, with at most the
    currency's minor digits (`rules.check_minor_units`)."""
    amount = clean_money(errors, field, value)
    check_minor_units(errors, field, amount, currency)
    return None if field in errors else amount


def clean_expense_date(errors: Errors, field: str, value) -> dt.date | None:
    """An expense date: required, from MIN_DATE to one year from today (UTC)."""
    return clean_date(errors, field, value, latest=latest_expense_date())


def clean_category_id(errors: Errors, field: str, user: User, value, owned_ids: set[int] | None = None) -> int | None:
    """Return the id when it names one of `user`'s categories; record an error otherwise.

    `owned_ids` (all of the user's category ids, read once) spares a query per call in a bulk create.
    """
    if is_blank(value):
        add_error(errors, field, "This field is required.")
        return None
    category_id = parse_id(value)
    if owned_ids is not None:
        owned = category_id in owned_ids
    else:
        owned = category_id is not None and db.session.scalar(
            sa.select(Category.id).where(Category.id == category_id, Category.user_id == user.id)
        )
    if not owned:
        add_error(errors, field, CATEGORY_NOT_YOURS)
        return None
    return category_id


def clean_payment_method(errors: Errors, field: str, value) -> str | None:
    """One of `models.PAYMENT_METHODS`."""
    return clean_choice(errors, field, value, PAYMENT_METHODS)


# --- use cases -------------------------------------------------------------------------------------


def _load_expense(*, user: User, expense_id: int, for_update: bool = False) -> Expense:
    if not is_storable_id(expense_id):
        raise NotFound(EXPENSE_NOT_FOUND)
    query = (
        sa.select(Expense)
        .where(Expense.id == expense_id, Expense.user_id == user.id)
        .options(joinedload(Expense.category, innerjoin=True), selectinload(Expense.tags))
        .execution_options(populate_existing=True)
    )
    if for_update:
        # Lock the row until the commit: a concurrent change of the same expense waits, then reads
        # this one's result, instead of replacing tags it saw before they changed (which mixed the
        # two requests' tags, or failed on the vanished links). SQLite serialises writers anyway.
        query = query.with_for_update(of=Expense)
    expense = db.session.scalar(query)
    if expense is None:
        raise NotFound(EXPENSE_NOT_FOUND)
    return expense


def get_expense(*, user: User, expense_id: int) -> Expense:
    """Return the expense with its category and tags loaded; NotFound when it is missing or not `user`'s."""
    return _load_expense(user=user, expense_id=expense_id)


def create_expense(
    *,
    user: User,
    amount: Decimal | str | int,
    date: dt.date | str,
    category_id: int,
    description: str = "",
    payment_method: str = DEFAULT_PAYMENT_METHOD,
    currency: str | None = None,
    tags: Sequence[str] | None = None,
    notes: str = "",
    fx_rate: Decimal | str | None = None,
    base_amount: Decimal | str | None = None,
) -> Expense:
    """Record an expense, converted to `user`'s base currency, and return it with category and tags.

    `fx_rate` (original -> base) or `base_amount` set a manual conversion; without them the ECB
    rate of the expense's date is used, or the expense waits for a rate (see `conversions`).
    Raises ValidationFailed with an entry per failing field; nothing is stored then.
    """
    with transaction() as session:
        errors: Errors = {}
        values, tag_names = clean_new_expense(
            errors,
            user=user,
            base_currency=locked_base_currency(user.id),
            amount=amount,
            date=date,
            category_id=category_id,
            description=description,
            payment_method=payment_method,
            currency=currency,
            tags=tags,
            notes=notes,
            fx_rate=fx_rate,
            base_amount=base_amount,
        )
        raise_if(errors)
        expense = Expense(user_id=user.id, **values)
        expense.tags = resolve_tags(user=user, names=tag_names)
        session.add(expense)
        # The id now, not at the commit: inside an enclosing unit of work there is no commit yet.
        session.flush()
    return _load_expense(user=user, expense_id=expense.id)


def clean_new_expense(
    errors: Errors,
    *,
    user: User,
    base_currency: str,
    amount,
    date,
    category_id,
    description: str = "",
    payment_method: str = DEFAULT_PAYMENT_METHOD,
    currency: str | None = None,
    tags: Sequence[str] | None = None,
    notes: str = "",
    fx_rate=None,
    base_amount=None,
    owned_category_ids: set[int] | None = None,
) -> tuple[dict, list[str]]:
    """The columns of a new expense (its conversion included) and its cleaned tag names.

    Every broken rule is recorded in `errors` (the values are then incomplete). Shared by
    `create_expense` and the bulk create, so both apply the same rules and conversion.
    """
    values = {
        "currency": clean_currency(errors, "currency", base_currency if currency is None else currency),
        "date": clean_expense_date(errors, "date", date),
        "category_id": clean_category_id(errors, "category_id", user, category_id, owned_category_ids),
        "description": clean_text(errors, "description", description, max_length=DESCRIPTION_MAX_LENGTH),
        "payment_method": clean_payment_method(errors, "payment_method", payment_method),
        "notes": clean_text(errors, "notes", notes, max_length=NOTES_MAX_LENGTH, multiline=True),
    }
    values["amount"] = clean_amount(errors, "amount", amount, values["currency"])
    conversion = clean_conversion(
        errors,
        base_currency=base_currency,
        amount=values["amount"],
        currency=values["currency"],
        day=values["date"],
        rate=fx_rate,
        base_amount=base_amount,
    )
    tag_names = clean_tag_names(errors, "tags", tags)
    if conversion is not None:
        values.update(conversion.as_fields())
    return values, tag_names


def update_expense(
    *,
    user: User,
    expense_id: int,
    amount: Decimal | str | int | None = None,
    date: dt.date | str | None = None,
    category_id: int | None = None,
    description: str | None = None,
    payment_method: str | None = None,
    currency: str | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    fx_rate=UNCHANGED,
    base_amount=UNCHANGED,
) -> Expense:
    """Change the given fields (None leaves a field as it is; `tags=[]` removes every tag).

    The conversion follows: a new amount, currency or date is converted again at the published
    rate, except that a manual rate is kept while the currency stays the same. `fx_rate` or
    `base_amount` set a manual conversion; giving either as None returns to the published rate.
    Returns the expense with category and tags loaded. Raises NotFound for a missing or foreign
    expense, ValidationFailed for a broken rule (nothing is changed then).
    """
    with transaction():
        expense = _load_expense(user=user, expense_id=expense_id, for_update=True)
        errors: Errors = {}
        changes: dict = {}
        if currency is not None:
            changes["currency"] = clean_currency(errors, "currency", currency)
        if amount is not None:
            changes["amount"] = clean_amount(errors, "amount", amount, changes.get("currency", expense.currency))
        elif currency is not None:
            # The stored amount must suit the new currency too (10.50 cannot become JPY).
            check_minor_units(errors, "amount", expense.amount, changes["currency"])
        if date is not None:
            changes["date"] = clean_expense_date(errors, "date", date)
        if category_id is not None:
            changes["category_id"] = clean_category_id(errors, "category_id", user, category_id)
        if description is not None:
            changes["description"] = clean_text(errors, "description", description, max_length=DESCRIPTION_MAX_LENGTH)
        if payment_method is not None:
            changes["payment_method"] = clean_payment_method(errors, "payment_method", payment_method)
        if notes is not None:
            changes["notes"] = clean_text(errors, "notes", notes, max_length=NOTES_MAX_LENGTH, multiline=True)
        changes.update(_conversion_changes(errors, user, expense, changes, fx_rate, base_amount))
        tag_names = clean_tag_names(errors, "tags", tags) if tags is not None else None
        raise_if(errors)
        for field, value in changes.items():
            setattr(expense, field, value)
        if tag_names is not None:
            expense.tags = resolve_tags(user=user, names=tag_names)
        if changes or tag_names is not None:
            # A tag-only change writes no expenses row, so onupdate would not fire.
            expense.updated_at = utcnow()
    return _load_expense(user=user, expense_id=expense.id)


def _conversion_changes(errors: Errors, user: User, expense: Expense, changes: dict, fx_rate, base_amount) -> dict:
    """The conversion fields an update changes (see `update_expense`); {} when it changes none."""
    manual_given = fx_rate is not UNCHANGED or base_amount is not UNCHANGED
    moved = {field: changes[field] for field in ("amount", "currency", "date") if field in changes}
    if not manual_given and not moved:
        return {}
    amount = moved.get("amount", expense.amount)
    currency = moved.get("currency", expense.currency)
    day = moved.get("date", expense.date)
    kept_rate = None
    if not manual_given and expense.fx_source == MANUAL and currency == expense.currency:
        if "amount" not in moved:  # only the date moved: the manual conversion stands as it is
            return {"fx_date": day}
        kept_rate = expense.fx_rate
    conversion = clean_conversion(
        errors,
        base_currency=locked_base_currency(user.id),
        amount=amount,
        currency=currency,
        day=day,
        rate=None if fx_rate is UNCHANGED else fx_rate,
        base_amount=None if base_amount is UNCHANGED else base_amount,
        keep_manual_rate=kept_rate,
    )
    return conversion.as_fields() if conversion else {}


def delete_expense(*, user: User, expense_id: int) -> deletions.DeletionBatch:
    """Delete the expense (its tags stay) as a batch of one that Undo can restore
    (`deletions.restore_batch`); NotFound when it is missing or not `user`'s."""
    with transaction():
        _load_expense(user=user, expense_id=expense_id, for_update=True)
        return deletions.delete_expenses(user=user, where=[Expense.id == expense_id])


# --- listing ---------------------------------------------------------------------------------------

_SORT_COLUMNS = {"date": Expense.date, "amount": Expense.amount, "created_at": Expense.created_at}


def sort_order(sort: str | None) -> tuple:
    """ORDER BY clauses for a sort key (`-` prefix = descending), id breaking ties the same way.

    Raises ValidationFailed on `sort` for an unknown key; None means the default `-date`.
    """
    sort = sort or DEFAULT_SORT
    if sort not in SORTS:
        raise_if({"sort": ["Must be one of: " + ", ".join(SORTS) + "."]})
    column = _SORT_COLUMNS[sort.lstrip("-")]
    if sort.startswith("-"):
        return column.desc(), Expense.id.desc()
    return column.asc(), Expense.id.asc()


# --- cursors ---------------------------------------------------------------------------------------
# A cursor is where a page ended: the sort it belongs to, the last item's sort value and its id, as
# compact JSON in unpadded urlsafe base64. Opaque to clients (the format may change); decoded here
# only, so a tampered cursor is a field error, never a database error.

CURSOR_MAX_LENGTH = 200
BAD_CURSOR = "Not a valid cursor: use a `next_cursor` from a list response."
WRONG_SORT_CURSOR = "This cursor belongs to another sort order; use the same `sort` as the page it came from."
CURSOR_WITH_PAGE = "Use either `page` or `after`, not both."


def _sort_value_text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _parse_sort_value(key: str, text):
    """The sort value a cursor carries, as the column's Python type; None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        if key == "date":
            return dt.date.fromisoformat(text)
        if key == "created_at":
            moment = dt.datetime.fromisoformat(text)
            # In UTC here, as the column stores it: converting year 1 at +14:00 overflows.
            return moment.astimezone(dt.UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
    errors: Errors = {}
    amount = clean_money(errors, "after", text, required=False)
    return None if errors else amount


def encode_cursor(sort: str, item: Expense) -> str:
    """The cursor of the page that follows `item` in `sort` order."""
    value = getattr(item, _SORT_COLUMNS[sort.lstrip("-")].key)
    payload = json.dumps([sort, _sort_value_text(value), item.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode("ascii")


def decode_cursor(errors: Errors, cursor: str, sort: str) -> tuple | None:
    """(sort value, id) from a cursor of `sort`; records an `after` error and returns None otherwise."""
    try:
        if len(cursor) > CURSOR_MAX_LENGTH:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        cursor_sort, text, last_id = json.loads(raw)
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        add_error(errors, "after", BAD_CURSOR)
        return None
    value = _parse_sort_value(str(cursor_sort).lstrip("-"), text) if cursor_sort in SORTS else None
    if value is None or not is_storable_id(last_id):
        add_error(errors, "after", BAD_CURSOR)
    elif cursor_sort != sort:
        add_error(errors, "after", WRONG_SORT_CURSOR)
    else:
        return value, last_id
    return None


def after_condition(sort: str, value, last_id: int):
    """WHERE clause for the rows after (value, last_id) in `sort` order.

    A row-value comparison, `(date, id) < (:value, :id)`, rather than the equivalent OR: PostgreSQL
    turns it into a range of the (user_id, <sort column>, id) index, so a deep page starts where
    the previous one ended instead of filtering from the list's beginning.
    """
    column = _SORT_COLUMNS[sort.lstrip("-")]
    row = sa.tuple_(column, Expense.id)
    bound = sa.tuple_(sa.literal(value, column.type), sa.literal(last_id, Expense.id.type))
    return row < bound if sort.startswith("-") else row > bound


def _as_filters(filters: ExpenseFilters | Mapping | None) -> ExpenseFilters:
    if filters is None:
        return ExpenseFilters()
    if isinstance(filters, ExpenseFilters):
        return filters
    return ExpenseFilters(**{key: value for key, value in filters.items() if value is not None})


def filter_conditions(*, user: User, filters: ExpenseFilters | Mapping | None) -> list:
    """WHERE clauses for `user`'s expenses narrowed by `filters`.

    Raises ValidationFailed for a malformed filter value (a date, an amount, a payment method).
    The text search `q` is case-insensitive over description, notes, category and tag names, and
    an exact amount (`_search_condition`); `%` and `_` are literal.
    """
    filters = _as_filters(filters)
    errors: Errors = {}
    conditions: list = [Expense.user_id == user.id]

    date_from = clean_date(errors, "date_from", filters.date_from, required=False, earliest=None)
    date_to = clean_date(errors, "date_to", filters.date_to, required=False, earliest=None)
    # Beyond the column's range PostgreSQL refuses the comparison ("value overflows numeric
    # format", a 500) while SQLite answers, so the bounds are held to the amounts' own range.
    min_amount = clean_money(errors, "min_amount", filters.min_amount, required=False, allow_negative=True)
    max_amount = clean_money(errors, "max_amount", filters.max_amount, required=False, allow_negative=True)
    category_ids = clean_ids(errors, "category_id", filters.category_ids, message="Must be category ids.")
    for method in filters.payment_methods:
        if clean_payment_method(errors, "payment_method", method) is None:
            break
    query = clean_text(errors, "q", filters.q, max_length=SEARCH_MAX_LENGTH)
    tag_names = set()
    for name in filters.tags:
        tag = clean_text(errors, "tag", name, max_length=SEARCH_MAX_LENGTH)
        if tag:
            tag_names.add(normalize_tag(tag))
    raise_if(errors)

    if date_from is not None:
        conditions.append(Expense.date >= date_from)
    if date_to is not None:
        conditions.append(Expense.date <= date_to)
    if min_amount is not None:
        conditions.append(Expense.amount >= min_amount)
    if max_amount is not None:
        conditions.append(Expense.amount <= max_amount)
    if category_ids:
        conditions.append(Expense.category_id.in_(category_ids))
    if filters.payment_methods:
        conditions.append(Expense.payment_method.in_(list(filters.payment_methods)))
    if tag_names:
        tagged = (
            sa.select(expense_tags.c.expense_id)
            .join(Tag, Tag.id == expense_tags.c.tag_id)
            .where(Tag.user_id == user.id, Tag.name.in_(tag_names))
        )
        conditions.append(Expense.id.in_(tagged))
    if query:
        conditions.append(_search_condition(user, query))
    return conditions


def _searched_amount(user: User, query: str) -> Decimal | None:
    """The amount `query` names, typed plain (`42.50`) or the user's way (`42,50` in de_DE); None
    when it is not one (most searches are words)."""
    try:
        plain = parse_local_amount(query, user.locale or DEFAULT_LOCALE)
    except ValueError:
        return None
    errors: Errors = {}
    amount = clean_money(errors, "q", plain, required=False)
    return None if errors else amount


def _search_condition(user: User, query: str):
    """`q`: the expenses whose description, notes, category name or a tag name contains `query`
    (case-insensitive, `%` and `_` literal), or whose amount is exactly the amount it names.

    One id set, the union of one indexed lookup per place: on PostgreSQL the description and
    notes arms keep their trigram indexes (an OR with a subquery in it would turn them into a
    filter over every row of the user), the category arm reads (user, category), the tag arm
    the tag links, the amount arm (user, amount).
    """
    # lower() on both sides rather than ILIKE: the same SQL and result on SQLite and PostgreSQL.
    needle = query.lower()
    owned = Expense.user_id == user.id
    arms = [
        sa.select(Expense.id).where(owned, sa.func.lower(Expense.description).contains(needle, autoescape=True)),
        sa.select(Expense.id).where(owned, sa.func.lower(Expense.notes).contains(needle, autoescape=True)),
        sa.select(Expense.id)
        .join(Category, Category.id == Expense.category_id)
        .where(owned, Category.user_id == user.id, sa.func.lower(Category.name).contains(needle, autoescape=True)),
        sa.select(expense_tags.c.expense_id)
        .join(Tag, Tag.id == expense_tags.c.tag_id)
        .where(Tag.user_id == user.id, Tag.name.contains(needle, autoescape=True)),  # stored lower-cased
    ]
    amount = _searched_amount(user, query)
    if amount is not None:
        arms.append(sa.select(Expense.id).where(owned, Expense.amount == amount))
    return Expense.id.in_(sa.union(*arms))


def expense_stats(*, user: User) -> tuple[int, int, int]:
    """Return (number of expenses, their base total in cents, how many wait for a rate) of all
    `user`'s expenses, in one row read. The waiting ones are counted, not in the total.

    Triggers on `expenses` keep the row exact (see `models.stats`); no row means no expenses.
    """
    row = db.session.execute(
        sa.select(ExpenseStats.expense_count, ExpenseStats.total_cents, ExpenseStats.unconverted_count).where(
            ExpenseStats.user_id == user.id
        )
    ).one_or_none()
    return (row.expense_count, row.total_cents, row.unconverted_count) if row else (0, 0, 0)


def _collecting(errors: Errors, compute):
    """`compute()`, with a ValidationFailed's field errors added to `errors` (and None returned)."""
    try:
        return compute()
    except ValidationFailed as error:
        errors.update(error.errors)
        return None


def list_expenses(
    *,
    user: User,
    filters: ExpenseFilters | Mapping | None = None,
    sort: str | None = DEFAULT_SORT,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    after: str | None = None,
) -> ExpensePage:
    """Return one page of `user`'s expenses matching `filters`, in `sort` order.

    The page is chosen by number (`page`) or by cursor (`after`, a `next_cursor` of the same sort):
    a cursor page is a keyset range of the sort's index, so page 400 costs what page 1 costs.
    Three queries at most, whatever the page size: the count, base-currency total and waiting count
    of the filtered set (one row of `expense_stats` when nothing is filtered),
    the page (with its categories joined), and the page's tags. A page past the end has no items.
    Raises ValidationFailed naming every bad filter, sort, page (not 1-MAX_PAGE), per_page
    (not 1-100) or cursor (not one, of another sort, or with a page number above 1) at once.
    """
    errors: Errors = {}
    page = clean_int(errors, "page", page, low=1, high=MAX_PAGE)
    per_page = clean_int(errors, "per_page", per_page, low=1, high=MAX_PER_PAGE)
    conditions = _collecting(errors, lambda: filter_conditions(user=user, filters=filters))
    order = _collecting(errors, lambda: sort_order(sort))
    sort = sort or DEFAULT_SORT
    keyset = None
    if after is not None:
        if page is not None and page > 1:
            add_error(errors, "after", CURSOR_WITH_PAGE)
        elif sort in SORTS:
            keyset = decode_cursor(errors, after, sort)
    raise_if(errors)

    if len(conditions) == 1:
        # No filter beyond the owner: the count and total kept by the database (O(1)).
        total, cents, unconverted = expense_stats(user=user)
    else:
        total, cents, unconverted = db.session.execute(
            sa.select(sa.func.count(Expense.id), sum_base_cents(), count_unconverted()).where(*conditions)
        ).one()
    offset = 0 if keyset else (page - 1) * per_page
    items: list[Expense] = []
    more = False
    if offset < total:
        # Deferred join: the page's ids are found first, from the index alone when the filters
        # allow it, so a deep page (OFFSET 8000) skips index entries instead of reading 8,000
        # rows; only the page's own rows are then fetched, with their categories. A cursor page
        # starts at its keyset instead (no OFFSET) and reads one id more, to know whether a next
        # page exists (`total` counts the whole filtered set, not what is left of it).
        ids = sa.select(Expense.id).where(*conditions).order_by(*order)
        if keyset:
            ids = ids.where(after_condition(sort, *keyset)).limit(per_page + 1)
        else:
            ids = ids.limit(per_page).offset(offset)
        page_ids = ids.subquery()
        items = list(
            db.session.scalars(
                sa.select(Expense)
                .join(page_ids, page_ids.c.id == Expense.id)
                .order_by(*order)
                .options(joinedload(Expense.category, innerjoin=True), selectinload(Expense.tags))
            )
        )
        more = len(items) > per_page if keyset else offset + len(items) < total
        del items[per_page:]
    return ExpensePage(
        items=items,
        total=total,
        page=None if keyset else page,
        per_page=per_page,
        total_pages=math.ceil(total / per_page),
        total_amount=cents_to_amount(cents),
        unconverted_count=unconverted,
        next_cursor=encode_cursor(sort, items[-1]) if more and items else None,
    )


# --- page read-models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenseListPage:
    """What the expense list page shows: the page of results (None when the query was refused,
    with the reasons in `errors`) and the category options of its filter and quick-add forms."""

    result: ExpensePage | None
    errors: Errors
    categories: list[CategoryOption]


def list_page(
    *,
    user: User,
    filters: ExpenseFilters | Mapping | None = None,
    sort: str | None = DEFAULT_SORT,
    page=1,
    per_page=DEFAULT_PER_PAGE,
) -> ExpenseListPage:
    """The expense list page in one call: `list_expenses`, with a refused filter, sort or page
    reported in `errors` instead of raised (the page shows them above the table)."""
    try:
        result, errors = list_expenses(user=user, filters=filters, sort=sort, page=page, per_page=per_page), {}
    except ValidationFailed as error:
        result, errors = None, error.errors
    return ExpenseListPage(result=result, errors=errors, categories=category_options(user=user))


@dataclass(frozen=True)
class ExpenseFormPage:
    """What the add/edit form shows: the expense being edited (None when adding) and the categories."""

    expense: Expense | None
    categories: list[CategoryOption]


def form_page(*, user: User, expense_id: int | None = None) -> ExpenseFormPage:
    """The add form (no `expense_id`) or the edit form of one expense; NotFound for a foreign id."""
    expense = None if expense_id is None else get_expense(user=user, expense_id=expense_id)
    return ExpenseFormPage(expense=expense, categories=category_options(user=user))
