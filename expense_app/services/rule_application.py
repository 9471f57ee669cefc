"""Rules on manual entry: an expense about to be created, with what the user's rules do to it.

The API's `apply_rules=true` on `POST /expenses` (and per item of the bulk create) comes here: the
user's active rules run on the would-be expense (`categorization.apply_to_fields`), their changes
are merged into the fields, and the expense is created as usual, under the usual rules. A category
or payment method set by a rule replaces the one given, a rewrite replaces the description, tags
are added to the given ones. Nothing is applied unless the caller asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from expense_app.models import Expense, User
from expense_app.services import bulk_expenses, categorization, expenses

SAMPLE_KEYS = ("description", "notes", "amount", "currency", "payment_method")


@dataclass(frozen=True)
class RuledExpense:
    """A created expense and the ids of the rules that changed it (in order; () when none)."""

    expense: Expense
    applied_rule_ids: tuple[int, ...]


def with_rules(*, user: User, fields: Mapping) -> tuple[dict, tuple[int, ...]]:
    """`fields` (the keyword arguments of `expenses.create_expense`) changed by the user's active
    rules, and the ids of the rules that matched. Changes nothing in the database."""
    sample = {key: fields[key] for key in SAMPLE_KEYS if fields.get(key) is not None}
    sample.setdefault("currency", user.currency)
    sample.setdefault("payment_method", expenses.DEFAULT_PAYMENT_METHOD)
    changes = categorization.apply_to_fields(user=user, fields=sample)
    merged = dict(fields)
    if changes.category_id is not None:
        merged["category_id"] = changes.category_id
    if changes.payment_method is not None:
        merged["payment_method"] = changes.payment_method
    if changes.description is not None:
        merged["description"] = changes.description
    if changes.add_tags:
        given = list(merged.get("tags") or [])
        merged["tags"] = given + [tag for tag in changes.add_tags if tag not in given]
    return merged, changes.rule_ids


def create_expense(*, user: User, apply_rules: bool = False, **fields) -> RuledExpense:
    """Create an expense (as `expenses.create_expense`), first through the user's rules when asked."""
    rule_ids: tuple[int, ...] = ()
    if apply_rules:
        fields, rule_ids = with_rules(user=user, fields=fields)
    return RuledExpense(expenses.create_expense(user=user, **fields), rule_ids)


def bulk_create(*, user: User, items: Sequence[Mapping]) -> list[Expense]:
    """Create every item or none (as `bulk_expenses.bulk_create`); an item with `apply_rules` true
    goes through the user's rules first."""
    prepared = []
    for item in items:
        item = dict(item)
        if item.pop("apply_rules", False):
            item, _ = with_rules(user=user, fields=item)
        prepared.append(item)
    return bulk_expenses.bulk_create(user=user, items=prepared)
