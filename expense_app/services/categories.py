"""Categories: a user's named, coloured buckets for expenses, listed with their counts and totals.

Names are unique per user regardless of case (the `name_key` column holds `name.casefold()`).
A category that still has expenses is only deleted together with moving them elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound
from expense_app.extensions import db
from expense_app.models import Category, Expense, RecurringExpense, User
from expense_app.services.money import cents_to_amount, count_unconverted, sum_base_cents
from expense_app.services.rules import Errors, add_error, clean_text, is_storable_id, parse_int, raise_if
from expense_app.services.unit_of_work import transaction

NAME_MAX_LENGTH = 50
ICON_MAX_LENGTH = 32
DEFAULT_COLOR = "#6c757d"
COLOR_PATTERN = re.compile(r"#[0-9a-f]{6}")

CATEGORY_NOT_FOUND = "Category not found."
DUPLICATE_NAME = "You already have a category with this name."


@dataclass(frozen=True)
class CategorySummary:
    """A category with the number and money total of its expenses.

    `total_amount` is in the base currency; `unconverted_count` of its `expense_count` expenses are
    waiting for an exchange rate and are not in it.

    `category` is the ORM object; `id`, `name`, `color`, `icon` and `created_at` read through to it,
    so a summary can be handed to a form (`obj=`) or a schema as if it were the category.
    """

    category: Category
    expense_count: int
    total_amount: Decimal
    unconverted_count: int = 0

    @property
    def id(self) -> int:
        return self.category.id

    @property
    def name(self) -> str:
        return self.category.name

    @property
    def color(self) -> str:
        return self.category.color

    @property
    def icon(self) -> str | None:
        return self.category.icon

    @property
    def created_at(self) -> datetime:
        return self.category.created_at


def _summaries(user: User, category_id: int | None = None) -> list[CategorySummary]:
    # One query: the user's expenses grouped by category first (one pass over an index that
    # holds category and amount, no row reads), then every category outer-joined to its totals.
    # Grouping after the join instead made PostgreSQL read every expense row, category by category.
    owned = [Expense.user_id == user.id]
    if category_id is not None:
        owned.append(Expense.category_id == category_id)
    totals = (
        sa.select(
            Expense.category_id,
            sa.func.count(Expense.id).label("expense_count"),
            sum_base_cents().label("cents"),
            count_unconverted().label("unconverted"),
        )
        .where(*owned)
        .group_by(Expense.category_id)
        .subquery()
    )
    conditions = [Category.user_id == user.id]
    if category_id is not None:
        conditions.append(Category.id == category_id)
    rows = db.session.execute(
        sa.select(
            Category,
            sa.func.coalesce(totals.c.expense_count, 0),
            sa.func.coalesce(totals.c.cents, 0),
            sa.func.coalesce(totals.c.unconverted, 0),
        )
        .outerjoin(totals, totals.c.category_id == Category.id)
        .where(*conditions)
        .order_by(Category.name_key, Category.id)
    )
    return [
        CategorySummary(
            category=category, expense_count=count, total_amount=cents_to_amount(cents), unconverted_count=unconverted
        )
        for category, count, cents, unconverted in rows
    ]


@dataclass(frozen=True)
class CategoryOption:
    """A category as a choice in a form or filter: id and name only, no totals."""

    id: int
    name: str


def category_options(*, user: User) -> list[CategoryOption]:
    """The user's categories (id and name) by name, for a dropdown: one query, no totals."""
    rows = db.session.execute(sa.select(Category.id, Category.name).where(Category.user_id == user.id)).all()
    return sorted((CategoryOption(id, name) for id, name in rows), key=lambda option: option.name.casefold())


def list_categories(*, user: User) -> list[CategorySummary]:
    """Return every category of `user`, by name, each with its expense count and total amount."""
    return _summaries(user)


def get_category(*, user: User, category_id: int) -> CategorySummary:
    """Return one category of `user` with its count and total; NotFound when missing or foreign."""
    if not is_storable_id(category_id):
        raise NotFound(CATEGORY_NOT_FOUND)
    found = _summaries(user, category_id)
    if not found:
        raise NotFound(CATEGORY_NOT_FOUND)
    return found[0]


@dataclass(frozen=True)
class CategoryDeletion:
    """What the delete page of a category shows: the category and where its expenses can go."""

    category: CategorySummary
    others: list[CategoryOption]


def deletion_page(*, user: User, category_id: int) -> CategoryDeletion:
    """The category with its count and total, and the user's other categories; NotFound when foreign."""
    category = get_category(user=user, category_id=category_id)
    others = [option for option in category_options(user=user) if option.id != category.id]
    return CategoryDeletion(category=category, others=others)


def _owned(user: User, category_id: int) -> Category:
    if not is_storable_id(category_id):
        raise NotFound(CATEGORY_NOT_FOUND)
    category = db.session.scalar(sa.select(Category).where(Category.id == category_id, Category.user_id == user.id))
    if category is None:
        raise NotFound(CATEGORY_NOT_FOUND)
    return category


def _clean_color(errors: Errors, value: str | None) -> str:
    color = value.strip().lower() if isinstance(value, str) else ""
    if not COLOR_PATTERN.fullmatch(color):
        add_error(errors, "color", "Must be a colour like #1a2b3c.")
    return color


def _clean_icon(errors: Errors, value: str | None) -> str | None:
    return clean_text(errors, "icon", value, max_length=ICON_MAX_LENGTH) or None


def _check_name_free(user: User, name_key: str, *, except_id: int | None = None) -> None:
    query = sa.select(Category.id).where(Category.user_id == user.id, Category.name_key == name_key)
    if except_id is not None:
        query = query.where(Category.id != except_id)
    if db.session.scalar(query) is not None:
        raise _name_taken()


def _name_taken() -> Conflict:
    # Also what a concurrent request that took the name between the check and the commit gets.
    return Conflict(DUPLICATE_NAME, {"name": [DUPLICATE_NAME]})


def create_category(*, user: User, name: str, color: str | None = None, icon: str | None = None) -> CategorySummary:
    """Create a category and return it (count 0, total 0.00).

    Raises ValidationFailed for a blank or long name, a bad colour or a long icon, and Conflict
    when the user already has a category of that name (ignoring case).
    """
    errors: Errors = {}
    name = clean_text(errors, "name", name, max_length=NAME_MAX_LENGTH, required=True)
    color = _clean_color(errors, DEFAULT_COLOR if color is None else color)
    icon = _clean_icon(errors, icon)
    raise_if(errors)
    with transaction(conflict=_name_taken()) as session:
        _check_name_free(user, name.casefold())
        category = Category(user_id=user.id, name=name, name_key=name.casefold(), color=color, icon=icon)
        session.add(category)
    return CategorySummary(category=category, expense_count=0, total_amount=Decimal("0.00"))


def update_category(
    *,
    user: User,
    category_id: int,
    name: str | None = None,
    color: str | None = None,
    icon: str | None = None,
) -> CategorySummary:
    """Rename, recolour or change the icon (None leaves a field as it is; `icon=""` removes it).

    Returns the category with its count and total. Raises NotFound, ValidationFailed, or Conflict
    for a name the user already has on another category.
    """
    with transaction(conflict=_name_taken()):
        category = _owned(user, category_id)
        errors: Errors = {}
        if name is not None:
            name = clean_text(errors, "name", name, max_length=NAME_MAX_LENGTH, required=True)
        if color is not None:
            color = _clean_color(errors, color)
        clear_icon = isinstance(icon, str) and not icon.strip()
        if icon is not None:
            icon = _clean_icon(errors, icon)
        raise_if(errors)
        if name is not None:
            _check_name_free(user, name.casefold(), except_id=category.id)
            category.name, category.name_key = name, name.casefold()
        if color is not None:
            category.color = color
        if icon is not None or clear_icon:
            category.icon = icon
    return get_category(user=user, category_id=category_id)


def delete_category(*, user: User, category_id: int, reassign_to: int | None = None) -> int:
    """Delete a category of `user`; return how many expenses were moved.

    Without `reassign_to`, a category that still has expenses or recurring expenses is refused
    with Conflict. With it, the expenses and recurring templates move to that category and the
    category is deleted in one transaction: either all of it happens or none. The category's
    budget is deleted with it (the database cascades). Raises NotFound when either category is
    missing or not `user`'s, and ValidationFailed when `reassign_to` is the category itself.
    """
    category = _owned(user, category_id)
    name = category.name
    # An expense or recurring expense added to the category after the check below: the foreign key refuses.
    used_meanwhile = Conflict(f"Cannot delete the category {name}: it was used again meanwhile; try again.")
    with transaction(conflict=used_meanwhile) as session:
        if reassign_to is not None:
            # Text is a 422; a number that names no category of the user's (too large included) a 404.
            reassign_to = parse_int(reassign_to)
            if reassign_to is None:
                raise_if({"reassign_to": ["Choose one of your categories."]})
            if reassign_to == category_id:
                raise_if({"reassign_to": ["Choose a different category to move the expenses to."]})
            try:
                _owned(user, reassign_to)
            except NotFound:
                raise NotFound("The category to move the expenses to was not found.") from None
        owned_expenses = (Expense.user_id == user.id, Expense.category_id == category_id)
        owned_templates = (RecurringExpense.user_id == user.id, RecurringExpense.category_id == category_id)
        moved = 0
        if reassign_to is None:
            _refuse_if_in_use(name, owned_expenses, owned_templates)
        else:
            moved = session.execute(sa.update(Expense).where(*owned_expenses).values(category_id=reassign_to)).rowcount
            session.execute(sa.update(RecurringExpense).where(*owned_templates).values(category_id=reassign_to))
        session.delete(category)
    return moved


def _refuse_if_in_use(name: str, owned_expenses: tuple, owned_templates: tuple) -> None:
    """Raise Conflict naming what still uses the category (expenses, recurring expenses)."""
    expense_count = db.session.scalar(sa.select(sa.func.count(Expense.id)).where(*owned_expenses))
    template_count = db.session.scalar(sa.select(sa.func.count(RecurringExpense.id)).where(*owned_templates))
    uses = []
    if expense_count:
        uses.append(f"{expense_count} {'expense' if expense_count == 1 else 'expenses'}")
    if template_count:
        uses.append(f"{template_count} recurring {'expense' if template_count == 1 else 'expenses'}")
    if uses:
        raise Conflict(
            f"Cannot delete the category {name}: it still has {' and '.join(uses)}. "
            "Move them to another category (reassign_to) or delete them first.",
            {"reassign_to": ["Choose a category to move the expenses to."]},
        )
