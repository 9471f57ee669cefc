"""Capture defaults: what quick-add pre-selects for a user, learnt from their last quick-add.

One `CaptureDefaults` row per user holds the category and payment method of the last expense they
recorded through quick-add. `quick_add_expense` records the expense and updates the row in the same
unit of work, so a refused expense changes nothing, not even the remembered choice.

Reading falls back sensibly: a remembered category that was deleted (the foreign key sets it to
NULL) or is no longer the user's gives the first of the user's categories by name, the order the
form lists them in; no remembered payment method gives the expense service's default.
"""

from __future__ import annotations

from dataclasses import dataclass

from expense_app.extensions import db
from expense_app.models import CaptureDefaults, Expense, User
from expense_app.services.categories import CategoryOption
from expense_app.services.expenses import DEFAULT_PAYMENT_METHOD, create_expense
from expense_app.services.unit_of_work import transaction


@dataclass(frozen=True)
class Defaults:
    """What quick-add pre-selects: a category id (None when the user has no category) and a method."""

    category_id: int | None
    payment_method: str


def capture_defaults(*, user: User, categories: list[CategoryOption]) -> Defaults:
    """The pre-selected category and payment method of `user`'s quick-add form.

    `categories` are the options the form shows (`categories.category_options`): the remembered
    category is used only when it is still one of them, else the first one.
    """
    row = db.session.get(CaptureDefaults, user.id)
    known = {option.id for option in categories}
    if row is not None and row.category_id in known:
        category_id = row.category_id
    else:
        category_id = categories[0].id if categories else None
    method = row.payment_method if row is not None and row.payment_method else DEFAULT_PAYMENT_METHOD
    return Defaults(category_id=category_id, payment_method=method)


def remember_capture_defaults(*, user: User, category_id: int, payment_method: str) -> None:
    """Store `user`'s last quick-add choices (values already checked by the expense service)."""
    with transaction() as session:
        row = session.get(CaptureDefaults, user.id)
        if row is None:
            row = CaptureDefaults(user_id=user.id)
            session.add(row)
        row.category_id = category_id
        row.payment_method = payment_method


def quick_add_expense(*, user: User, **fields) -> Expense:
    """Record an expense from quick-add (`fields` as `expenses.create_expense` takes them) and
    remember its category and payment method, in one transaction; return the expense.

    Raises what `create_expense` raises; nothing is stored then.
    """
    with transaction():
        expense = create_expense(user=user, **fields)
        remember_capture_defaults(user=user, category_id=expense.category_id, payment_method=expense.payment_method)
    return expense
