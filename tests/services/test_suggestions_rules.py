"""Suggested rules: learned from three expenses of one merchant in one category, never applied
until accepted, and accepting creates exactly the suggested rule through the categorisation service."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from expense_app.errors import NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense, Rule, User
from expense_app.services import categorization, suggestions
from expense_app.services.suggestions import accept_rule_suggestion, suggest_rules
from tests import factories
from tests.services.conftest import category_id_of


def _add(add_expense, description: str, category_id: int, times: int = 1, **fields) -> None:
    for _ in range(times):
        add_expense(description=description, category_id=category_id, **fields)


def _expense_state(user) -> list[tuple]:
    return db.session.execute(
        sa.select(Expense.id, Expense.category_id, Expense.description, Expense.payment_method)
        .where(Expense.user_id == user.id)
        .order_by(Expense.id)
    ).all()


def _rules(user) -> list[tuple]:
    return [(rule.name, rule.conditions, rule.actions, rule.match) for rule in categorization.list_rules(user=user)]


def test_a_rule_is_suggested_after_three_expenses_and_nothing_changes_until_accepted(ctx, user, add_expense):
    fun, food = category_id_of(user, "Entertainment"), category_id_of(user, "Food")
    _add(add_expense, "PAYPAL *NETFLIX.COM 4029357733", fun, 2)
    add_expense(description="Lunch", category_id=food)
    assert suggest_rules(user=user) == []
    add_expense(description="Netflix.com", category_id=fun)
    before = _expense_state(user)
    (suggestion,) = suggest_rules(user=user)
    assert (suggestion.key, suggestion.keyword, suggestion.category_id, suggestion.matches) == (
        f"netflix->{fun}",
        "netflix",
        fun,
        3,
    )
    assert suggestion.category_name == "Entertainment"
    assert suggestion.rule == {
        "name": "Netflix \u2192 Entertainment",
        "conditions": [{"field": "description", "operator": "contains", "value": "netflix"}],
        "actions": [{"type": "set_category", "category_id": fun}],
        "match": "all",
    }
    # Suggesting saved nothing and changed no expense.
    assert _rules(user) == []
    assert _expense_state(user) == before


def test_accept_creates_exactly_the_suggested_rule_and_it_is_no_longer_suggested(ctx, user, add_expense):
    fun = category_id_of(user, "Entertainment")
    _add(add_expense, "Netflix.com", fun, 3)
    before = _expense_state(user)
    (suggestion,) = suggest_rules(user=user)
    rule = accept_rule_suggestion(user=user, key=suggestion.key)
    assert isinstance(rule, Rule) and rule.user_id == user.id and rule.active
    r = suggestion.rule
    assert _rules(user) == [(r["name"], r["conditions"], r["actions"], r["match"])]
    # The rule is saved, not run: the expenses are as they were.
    assert _expense_state(user) == before
    assert suggest_rules(user=user) == []
    with pytest.raises(NotFound):
        accept_rule_suggestion(user=user, key=suggestion.key)
    assert len(_rules(user)) == 1


def test_the_keyword_matches_exactly_the_merchants_expenses(ctx, user, add_expense):
    food = category_id_of(user, "Food")
    lines = ["CARD 1234 STARBUCKS #88 SEATTLE", "POS 4431 STARBUCKS #12 SEATTLE", "Starbucks Seattle"]
    for line in lines:
        add_expense(description=line, category_id=food)
    add_expense(description="Seattle Parking", category_id=category_id_of(user, "Transport"))
    (suggestion,) = suggest_rules(user=user)
    # The merchant's name, printed before the city, not the city.
    assert suggestion.keyword == "starbucks"
    matched = db.session.scalars(
        sa.select(Expense.description).where(
            Expense.user_id == user.id, sa.func.lower(Expense.description).contains(suggestion.keyword)
        )
    ).all()
    assert sorted(matched) == sorted(lines)


def test_a_merchant_split_between_categories_is_not_suggested(ctx, user, add_expense):
    food, transport = category_id_of(user, "Food"), category_id_of(user, "Transport")
    _add(add_expense, "UBER *TRIP", transport, 3)
    _add(add_expense, "UBER *TRIP", food, 2)
    assert suggest_rules(user=user) == []
    # Eight of ten (80 %) in one category is enough.
    _add(add_expense, "UBER *TRIP", transport, 5)
    (suggestion,) = suggest_rules(user=user)
    assert (suggestion.keyword, suggestion.category_id, suggestion.matches) == ("uber", transport, 8)


def test_a_merchant_covered_by_an_active_rule_is_not_suggested(ctx, user, add_expense):
    fun, food = category_id_of(user, "Entertainment"), category_id_of(user, "Food")
    _add(add_expense, "Netflix.com", fun, 3)
    _add(add_expense, "SQ *BLUE BOTTLE COFFEE", food, 3)
    existing = categorization.create_rule(
        user=user,
        name="Streaming",
        conditions=[{"field": "description", "operator": "contains", "value": "NETFLIX"}],
        actions=[{"type": "set_category", "category_id": fun}],
    )
    assert [found.keyword for found in suggest_rules(user=user)] == ["blue"]
    with pytest.raises(NotFound):
        accept_rule_suggestion(user=user, key=f"netflix->{fun}")
    # An inactive rule handles nothing: the merchant is suggested again.
    categorization.update_rule(user=user, rule_id=existing.id, active=False)
    assert sorted(found.keyword for found in suggest_rules(user=user)) == ["blue", "netflix"]


def test_other_users_history_and_rules_never_count(ctx, user, other_user, add_expense):
    theirs = category_id_of(other_user, "Entertainment")
    _add(add_expense, "Netflix.com", theirs, 3, owner=other_user)
    _add(add_expense, "Netflix.com", category_id_of(user, "Entertainment"), 2)
    assert suggest_rules(user=user) == []
    (suggestion,) = suggest_rules(user=other_user)
    with pytest.raises(NotFound):
        accept_rule_suggestion(user=user, key=suggestion.key)
    assert _rules(user) == [] and _rules(other_user) == []
    # Their rule does not hide my merchant.
    accept_rule_suggestion(user=other_user, key=suggestion.key)
    add_expense(description="Netflix.com", category_id=category_id_of(user, "Entertainment"))
    assert [found.keyword for found in suggest_rules(user=user)] == ["netflix"]


def test_suggestions_are_ordered_by_matches_and_limited(ctx, user, add_expense):
    food, fun = category_id_of(user, "Food"), category_id_of(user, "Entertainment")
    _add(add_expense, "Netflix.com", fun, 3)
    _add(add_expense, "SQ *BLUE BOTTLE COFFEE", food, 5)
    _add(add_expense, "ACME STORE CD 1417 14JAN24", food, 4)
    assert [(s.keyword, s.matches) for s in suggest_rules(user=user)] == [("blue", 5), ("acme", 4), ("netflix", 3)]
    assert [s.keyword for s in suggest_rules(user=user, limit=2)] == ["blue", "acme"]


@pytest.mark.parametrize("limit", [0, -1, 51, "ten", None, 2.5, "1e3"])
def test_a_bad_limit_is_refused_by_name(ctx, user, limit):
    with pytest.raises(ValidationFailed) as refused:
        suggest_rules(user=user, limit=limit)
    assert list(refused.value.errors) == ["limit"]


@pytest.mark.parametrize("key", ["", None, 7, "x" * 56, "netflix\x00->1"])
def test_a_bad_key_is_refused_and_nothing_is_created(ctx, user, add_expense, key):
    _add(add_expense, "Netflix.com", category_id_of(user, "Entertainment"), 3)
    with pytest.raises(ValidationFailed) as refused:
        accept_rule_suggestion(user=user, key=key)
    assert list(refused.value.errors) == ["key"]
    assert _rules(user) == []


@pytest.mark.parametrize("key", ["netflix", "netflix->", "->1", "netflix->999999", "spotify->1"])
def test_a_key_never_suggested_is_not_found(ctx, user, add_expense, key):
    _add(add_expense, "Netflix.com", category_id_of(user, "Entertainment"), 3)
    with pytest.raises(NotFound):
        accept_rule_suggestion(user=user, key=key)
    assert _rules(user) == []


def test_the_full_user_with_two_years_of_history(ctx, make_full_user):
    full = make_full_user("rules.history@example.com", history=True)
    user = full.user
    # "History n" lines are one merchant spread evenly over five categories: no rule for it.
    assert all(found.keyword != "history" for found in suggest_rules(user=user, limit=50))
    food = factories.category_id(user, "Food")
    for currency in ("EUR", "GBP", "JPY"):
        factories.create_expense(user, description="EDEKA DÜBEL//THOMASINGEN/DE", category_id=food, currency=currency)
    found = {s.keyword: s for s in suggest_rules(user=user, limit=50)}
    assert found["edeka"].matches == 3 and found["edeka"].category_id == food
    rule = accept_rule_suggestion(user=user, key=found["edeka"].key)
    assert categorization.apply_to_fields(user=user, fields={"description": "Edeka Dübel"}).category_id == food
    assert rule.conditions == [{"field": "description", "operator": "contains", "value": "edeka"}]


def test_only_the_biggest_merchants_are_examined(ctx, user, add_expense, monkeypatch):
    food = category_id_of(user, "Food")
    _add(add_expense, "Netflix.com", food, 4)
    _add(add_expense, "Spotify", food, 3)
    monkeypatch.setattr(suggestions, "MAX_RULE_CANDIDATES", 1)
    assert [s.keyword for s in suggest_rules(user=user)] == ["netflix"]


def test_a_rule_that_needs_the_real_digits_still_counts_as_covering(ctx, user, add_expense):
    fun = category_id_of(user, "Entertainment")
    _add(add_expense, "CARD 4921 NETFLIX", fun, 3)
    categorization.create_rule(
        user=user,
        name="Card streaming",
        conditions=[{"field": "description", "operator": "regex", "value": r"CARD [1-9]\d{3} NETFLIX"}],
        actions=[{"type": "set_category", "category_id": fun}],
    )
    assert suggest_rules(user=user) == []


def test_accepting_one_suggestion_four_times_at_once_creates_one_rule(app, ctx, user, add_expense):
    fun = category_id_of(user, "Entertainment")
    _add(add_expense, "Netflix.com", fun, 3)
    (suggestion,) = suggest_rules(user=user)
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def accept() -> None:
        try:
            with app.app_context():
                owner = db.session.get(User, user.id)
                start.wait()
                try:
                    accept_rule_suggestion(user=owner, key=suggestion.key)
                    outcomes.append("created")
                except NotFound:
                    outcomes.append("not found")
                db.session.remove()
        except BaseException as error:  # reported below: an exception in a thread would be lost
            outcomes.append(repr(error))

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "not found", "not found", "not found"]
    db.session.expire_all()
    assert len(_rules(user)) == 1
