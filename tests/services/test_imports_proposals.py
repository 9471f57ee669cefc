"""The batch proposals an import uses: rules and learned suggestions for many rows at once give
what the one-row functions give, with the rules and the history read once."""

from __future__ import annotations

from decimal import Decimal

from expense_app.extensions import db
from expense_app.services import categorization, suggestions
from tests import factories
from tests.services.conftest import count_statements

DESCRIPTIONS = [
    "PIZZA PLACE 12",
    "Pizza Place",
    "Big Rail Co",
    "Transfer to savings",
    "Nothing known",
    "",
    "pizza plaice",
]


def _setup(user) -> None:
    transport = factories.category_id(user, "Transport")
    categorization.create_rule(
        user=user,
        name="Trains",
        conditions=[{"field": "description", "operator": "regex", "value": "rail"}],
        actions=[{"type": "set_category", "category_id": transport}, {"type": "add_tags", "tags": ["travel"]}],
    )
    categorization.create_rule(
        user=user,
        name="Transfers",
        conditions=[{"field": "description", "operator": "contains", "value": "transfer"}],
        actions=[{"type": "skip"}, {"type": "rewrite_description", "pattern": "(?i)transfer", "replacement": "Move"}],
    )
    for day in (1, 2, 3):
        factories.create_expense(
            user, amount="9.00", date=f"2026-01-0{day}", description="Pizza Place", category="Food"
        )


def test_apply_to_many_is_apply_to_fields_for_each_row(ctx, user):
    _setup(user)
    rows = [{"description": text, "amount": Decimal("5.00"), "currency": "USD"} for text in DESCRIPTIONS]
    with count_statements(db.engine) as statements:
        many = categorization.apply_to_many(user=user, rows=rows)
    assert len(statements) <= 3  # the rules and the owned categories, once
    assert many == [categorization.apply_to_fields(user=user, fields=row, for_import=True) for row in rows]
    assert many[3].skip and many[2].add_tags == ("travel",)
    assert categorization.apply_to_many(user=user, rows=[]) == []


def test_suggest_categories_is_suggest_category_for_each_description(ctx, user):
    _setup(user)
    with count_statements(db.engine) as statements:
        many = suggestions.suggest_categories(user=user, descriptions=DESCRIPTIONS)
    assert len(statements) <= 2  # the history, then the names of the suggested categories
    assert many == {text: suggestions.suggest_category(user=user, description=text) for text in DESCRIPTIONS}
    assert many["PIZZA PLACE 12"].category_name == "Food" and many["Nothing known"] is None


def test_near_equal_merchants_are_looked_for_within_a_budget(ctx, user, monkeypatch):
    _setup(user)
    assert suggestions.suggest_categories(user=user, descriptions=["pizza plaice"])["pizza plaice"] is not None
    monkeypatch.setattr(suggestions, "FUZZY_BATCH_MERCHANTS", 1)
    found = suggestions.suggest_categories(user=user, descriptions=["pizza plaice", "piza place", "piza place"])
    # The most frequent merchant gets the fuzzy step; the other is decided by its exact key alone.
    assert found["piza place"] is not None and found["pizza plaice"] is None
