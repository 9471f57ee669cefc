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
from expense_app.services import bulk_expenses, categories, categorization, expenses, suggestions

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


@dataclass(frozen=True)
class CategoryProposal:
    """The category to pre-select on a form for a typed description, and why.

    `source` is `rule` (the user's own rule sets it; `reason` is the rule's name) or `history`
    (learned from past expenses; `matches` of `of` expenses of `merchant` were in it).
    """

    category_id: int
    category_name: str
    source: str
    reason: str = ""
    matches: int = 0
    of: int = 0
    merchant: str = ""


def propose_category(*, user: User, description: str) -> CategoryProposal | None:
    """What a new expense's form pre-selects while its description is typed: the user's rules
    first (what they said explicitly wins over what was learned), then the learned suggestion."""
    changes = categorization.apply_to_fields(user=user, fields={"description": description})
    if changes.category_id is not None:
        rules_by_id = {rule.id: rule for rule in categorization.list_rules(user=user)}
        setting = [rule for rule_id in changes.rule_ids if (rule := rules_by_id.get(rule_id)) is not None]
        # The last matching rule that sets a category is the one whose category stands.
        names = [rule.name for rule in setting if any(a.get("type") == "set_category" for a in rule.actions)]
        name = next(o.name for o in categories.category_options(user=user) if o.id == changes.category_id)
        return CategoryProposal(changes.category_id, name, "rule", reason=names[-1] if names else "")
    found = suggestions.suggest_category(user=user, description=description)
    if found is None:
        return None
    return CategoryProposal(
        found.category_id,
        found.category_name,
        "history",
        matches=found.matches,
        of=found.of,
        merchant=suggestions.merchant_key(description),
    )
