"""Expenses by the hundred: change, delete or create many in one request and one transaction.

The expenses a bulk change or delete applies to are given either as ids (every one must be the
user's: an unknown or foreign id is refused as "not found", and nothing is touched) or as a
filter with the list's own parameters (`expenses.filter_conditions`), so "all that match the
filters" means the filtered set in the database, not a page of ids. Changes are set-based SQL: a
category change of 1,000 expenses is one UPDATE, a tag added to them one INSERT ... SELECT.

Bulk create checks every item with `expenses.clean_new_expense` (the same rules and conversion as
one create) inside one unit of work: all or nothing, and the errors of every refused item are
reported at once as `expenses.<index>.<field>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import Category, Expense, Tag, User, expense_tags
from expense_app.models.base import utcnow
from expense_app.services import deletions, exchange_rates, expenses
from expense_app.services.conversions import locked_base_currency
from expense_app.services.rules import Errors, add_error, clean_ids, raise_if
from expense_app.services.tags import MAX_TAGS, clean_tag_names, resolve_tags
from expense_app.services.unit_of_work import transaction

# One request may name at most this many ids (a selection on the page is at most 100 rows; a
# larger set is better given as a filter, which has no limit).
MAX_IDS = 10_000
# At most this many expenses per bulk create (issue 13: a client importing 583 expenses needed
# 583 requests); larger imports send several requests.
MAX_CREATE = 500
# How many unknown ids a message lists.
_SHOWN_IDS = 10


@dataclass(frozen=True)
class BulkUpdate:
    """How many expenses a bulk change applied to."""

    count: int


def _selection(errors: Errors, *, user: User, ids, filters) -> list | None:
    """WHERE clauses for the expenses chosen by `ids` or by `filters` (exactly one of them)."""
    if (ids is None) == (filters is None):
        add_error(errors, "ids", "Give either the ids of the expenses or a filter, not both or neither.")
        return None
    if filters is not None:
        try:
            return expenses.filter_conditions(user=user, filters=filters)
        except ValidationFailed as error:
            for field, messages in error.errors.items():
                errors.setdefault(f"filter.{field}", []).extend(messages)
            return None
    if isinstance(ids, str | bytes) or not isinstance(ids, Sequence):
        add_error(errors, "ids", "Must be a list of expense ids.")
        return None
    chosen = sorted(set(clean_ids(errors, "ids", ids, message="Must be expense ids.")))
    if "ids" in errors:
        return None
    if not chosen:
        add_error(errors, "ids", "Select at least one expense.")
        return None
    if len(chosen) > MAX_IDS:
        add_error(errors, "ids", f"At most {MAX_IDS:,} ids at once; use a filter for more.")
        return None
    owned: set[int] = set()
    for start in range(0, len(chosen), 5_000):
        chunk = chosen[start : start + 5_000]
        owned.update(db.session.scalars(sa.select(Expense.id).where(Expense.user_id == user.id, Expense.id.in_(chunk))))
    unknown = [expense_id for expense_id in chosen if expense_id not in owned]
    if unknown:
        shown = ", ".join(map(str, unknown[:_SHOWN_IDS])) + (" …" if len(unknown) > _SHOWN_IDS else "")
        add_error(errors, "ids", f"Not found: {shown}.")
        return None
    return [Expense.user_id == user.id, Expense.id.in_(chosen)]


def bulk_update(
    *,
    user: User,
    ids: Sequence | None = None,
    filters: Mapping | None = None,
    category_id=None,
    payment_method=None,
    add_tags: Sequence[str] | None = None,
    remove_tags: Sequence[str] | None = None,
) -> BulkUpdate:
    """Apply the given changes (None leaves a field) to the chosen expenses, in one transaction.

    `add_tags` adds tags (created on first use), `remove_tags` takes them off. Raises
    ValidationFailed naming every bad field (nothing is changed then), e.g. a category that is not
    the user's, an unknown id, no change at all, or an expense that would get more than 20 tags.
    """
    with transaction() as session:
        errors: Errors = {}
        where = _selection(errors, user=user, ids=ids, filters=filters)
        values: dict = {}
        if category_id is not None:
            values["category_id"] = expenses.clean_category_id(errors, "category_id", user, category_id)
        if payment_method is not None:
            values["payment_method"] = expenses.clean_payment_method(errors, "payment_method", payment_method)
        added = clean_tag_names(errors, "add_tags", add_tags) if add_tags is not None else []
        removed = clean_tag_names(errors, "remove_tags", remove_tags) if remove_tags is not None else []
        if set(added) & set(removed):
            add_error(errors, "remove_tags", "A tag cannot be added and removed at once.")
        if not (values or added or removed) and not ({"add_tags", "remove_tags"} & set(errors)):
            add_error(errors, "changes", "Choose a change: a category, a payment method, or tags to add or remove.")
        raise_if(errors)

        target = sa.select(Expense.id).where(*where)
        count = session.scalar(sa.select(sa.func.count()).select_from(target.subquery()))
        if added:
            _check_tag_limit(session, user, target, added)
        # One UPDATE for the columns and the timestamp (a tag-only change touches the row too).
        session.execute(
            sa.update(Expense).where(*where).values(**values, updated_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
        if removed:
            session.execute(
                sa.delete(expense_tags).where(
                    expense_tags.c.expense_id.in_(target),
                    expense_tags.c.tag_id.in_(sa.select(Tag.id).where(Tag.user_id == user.id, Tag.name.in_(removed))),
                )
            )
        if added:
            tag_ids = [tag.id for tag in resolve_tags(user=user, names=added)]
            pairs = (
                sa.select(Expense.id, Tag.id)
                .join(Tag, sa.true())  # every chosen expense with every added tag
                .where(*where, Tag.id.in_(tag_ids))
                .where(~sa.exists().where(expense_tags.c.expense_id == Expense.id, expense_tags.c.tag_id == Tag.id))
            )
            session.execute(sa.insert(expense_tags).from_select(["expense_id", "tag_id"], pairs))
        session.expire_all()
    return BulkUpdate(count=count)


def _check_tag_limit(session, user: User, target, added: list[str]) -> None:
    """ValidationFailed on `add_tags` when a chosen expense would carry more than MAX_TAGS tags."""
    others = (
        sa.select(expense_tags.c.expense_id, sa.func.count().label("kept"))
        .join(Tag, Tag.id == expense_tags.c.tag_id)
        .where(expense_tags.c.expense_id.in_(target), Tag.name.not_in(added))
        .group_by(expense_tags.c.expense_id)
        .having(sa.func.count() > MAX_TAGS - len(added))
        .limit(1)
    )
    if session.execute(others).first() is not None:
        raise_if({"add_tags": [f"Some of these expenses would have more than {MAX_TAGS} tags."]})


def bulk_delete(*, user: User, ids: Sequence | None = None, filters: Mapping | None = None) -> deletions.DeletionBatch:
    """Delete the chosen expenses as one batch that Undo restores (`deletions.restore_batch`).

    Raises ValidationFailed for bad ids or filters, deleting nothing.
    """
    with transaction():
        errors: Errors = {}
        where = _selection(errors, user=user, ids=ids, filters=filters)
        raise_if(errors)
        return deletions.delete_expenses(user=user, where=where)


def _cleaned_item(errors: Errors, user: User, base_currency: str, owned: set[int], index: int, item: Mapping):
    """`expenses.clean_new_expense` of one item, its errors recorded as `expenses.<index>.<field>`."""
    item_errors: Errors = {}
    cleaned = expenses.clean_new_expense(
        item_errors, user=user, base_currency=base_currency, owned_category_ids=owned, **item
    )
    for field, messages in item_errors.items():
        errors[f"expenses.{index}.{field}"] = list(messages)
    return cleaned


def bulk_create(*, user: User, items: Sequence[Mapping]) -> list[Expense]:
    """Create every item (the keyword arguments of `expenses.create_expense`) or none.

    Each item is checked and converted by `expenses.clean_new_expense`, as a single create is; the
    base currency, the user's categories and the tags are read once for the whole list, and the rows
    are written with one INSERT. Returns the new expenses in the given order, with category and tags.
    Raises ValidationFailed with `expenses.<index>.<field>` entries for every refused item, or on
    `expenses` for an empty or oversized list.
    """
    if not items:
        raise_if({"expenses": ["Give at least one expense."]})
    if len(items) > MAX_CREATE:
        raise_if({"expenses": [f"At most {MAX_CREATE} expenses per request (got {len(items)})."]})
    with transaction() as session:
        errors: Errors = {}
        base_currency = locked_base_currency(user.id)
        owned = set(session.scalars(sa.select(Category.id).where(Category.user_id == user.id)))
        # One rate query per currency and day, not per item.
        with exchange_rates.remembered_rates():
            cleaned = [
                _cleaned_item(errors, user, base_currency, owned, index, item) for index, item in enumerate(items)
            ]
        raise_if(errors)
        tag_ids = {
            tag.name: tag.id
            for tag in resolve_tags(user=user, names=sorted({name for _, names in cleaned for name in names}))
        }
        ids = list(
            session.scalars(
                sa.insert(Expense).returning(Expense.id, sort_by_parameter_order=True),
                [{"user_id": user.id, **values} for values, _ in cleaned],
            )
        )
        links = [
            {"expense_id": expense_id, "tag_id": tag_ids[name]}
            for expense_id, (_, names) in zip(ids, cleaned, strict=True)
            for name in names
        ]
        if links:
            session.execute(sa.insert(expense_tags), links)
    loaded = {
        expense.id: expense
        for expense in db.session.scalars(
            sa.select(Expense)
            .where(Expense.id.in_(ids))
            .options(joinedload(Expense.category, innerjoin=True), selectinload(Expense.tags))
        )
    }
    return [loaded[expense_id] for expense_id in ids]
