"""The list's text search `q`: description, notes, category name, tag names and an exact amount.

On a user owning a row of every table (`full_user`; one test with two years of expenses in
several currencies), next to another user whose expenses match the same words, on SQLite and
PostgreSQL. Each search is
checked against the expected set computed in Python from every stored row, and its total
against the sum of what it found.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.services import accounts, expenses
from expense_app.services.expenses import ExpenseFilters
from tests import factories


def found(user: User, q: str) -> set[int]:
    page = expenses.list_expenses(user=user, filters=ExpenseFilters(q=q), per_page=100)
    assert page.total <= 100, "keep the searched sets small enough for one page"
    return {expense.id for expense in page.items}


def expected(user: User, predicate) -> set[int]:
    """The ids of `user`'s expenses for which `predicate(expense)` is true, read in Python."""
    rows = db.session.scalars(sa.select(Expense).where(Expense.user_id == user.id)).all()
    return {row.id for row in rows if predicate(row)}


def add_searched(app, full, make_user):
    """Give `full` a 'Gardening' category, a 'holiday' tag and three 42.50 expenses, and make another
    user whose expenses carry the same category name, tag and amount; return (user, ids)."""
    with app.app_context():
        user = db.session.get(User, full.user.id)
        garden = factories.create_category(user, name="Gardening")
        ids = {
            "seeds": factories.create_expense(user, amount="12.00", category_id=garden, description="Seeds"),
            "hose": factories.create_expense(
                user, amount="42.50", category_id=garden, date=dt.date(2025, 6, 1), description="Hose"
            ),
            "flight": factories.create_expense(user, amount="310.00", tags=["holiday", "travel"]),
            "hotel": factories.create_expense(user, amount="42.50", currency="USD", tags=["Holiday"]),
            "cab": factories.create_expense(user, amount="42.50", description="Cab"),
            "tenfold": factories.create_expense(user, amount="425.00", description="Not the amount"),
        }
        other = make_user(email="other-searcher@example.com")
        other_garden = factories.create_category(other, name="Gardening")
        factories.create_expense(other, amount="42.50", category_id=other_garden, tags=["holiday"])
    return full.user, ids


@pytest.fixture
def searched(app, full_user, make_user):
    return add_searched(app, full_user, make_user)


def test_years_of_data_find_the_category_tag_and_amount(app, ctx, full_user_with_history, make_user):
    user, ids = add_searched(app, full_user_with_history, make_user)
    garden = factories.category_id(user, "Gardening")
    assert found(user, "gardening") == expected(user, lambda e: e.category_id == garden) == {ids["seeds"], ids["hose"]}
    assert found(user, "holiday") == {ids["flight"], ids["hotel"]}
    assert found(user, "42.50") == expected(user, lambda e: e.amount == Decimal("42.50"))


def test_a_category_name_finds_the_expenses_in_it(ctx, searched):
    user, ids = searched
    garden = factories.category_id(user, "Gardening")
    assert found(user, "gARDen") == expected(user, lambda e: e.category_id == garden) == {ids["seeds"], ids["hose"]}


def test_a_tag_finds_the_expenses_tagged_with_it(ctx, searched):
    user, ids = searched
    assert found(user, "HOLIDAY") == {ids["flight"], ids["hotel"]}
    assert found(user, "holi") == {ids["flight"], ids["hotel"]}


def test_an_amount_finds_the_expenses_of_exactly_that_amount(ctx, searched):
    user, ids = searched
    by_amount = expected(user, lambda e: e.amount == Decimal("42.50"))
    assert {ids["hose"], ids["hotel"], ids["cab"]} <= by_amount
    assert ids["tenfold"] not in by_amount
    assert found(user, "42.50") == by_amount
    assert found(user, "42.5") == by_amount
    page = expenses.list_expenses(user=user, filters={"q": "42.50"}, per_page=100)
    # Every one of them is in the base currency or converted: the total is their base amounts.
    assert page.total_amount == sum(expense.base_amount for expense in page.items)


def test_a_comma_locale_reads_the_amount_its_way(ctx, searched):
    user, _ = searched
    db_user = db.session.get(User, user.id)
    accounts.update_profile(user=db_user, locale="de_DE")
    by_amount = expected(user, lambda e: e.amount == Decimal("42.50"))
    assert found(db_user, "42,50") == by_amount
    # Typed plain, it is still the amount; "42,50" in en_US is not an amount (nor any text here).
    assert found(db_user, "42.50") == by_amount
    accounts.update_profile(user=db_user, locale="en_US")
    assert found(db_user, "42,50") == set()


def test_words_still_search_description_and_notes(ctx, searched):
    user, ids = searched
    assert found(user, "cab") == expected(user, lambda e: "cab" in e.description.lower() or "cab" in e.notes.lower())
    assert ids["cab"] in found(user, "cab")
    assert found(user, "only mine") == expected(user, lambda e: "only mine" in e.notes)


def test_the_search_combines_with_the_other_filters(ctx, searched):
    user, ids = searched
    page = expenses.list_expenses(user=user, filters={"q": "42.50", "date_to": "2025-12-31"}, per_page=100)
    assert {expense.id for expense in page.items} == {ids["hose"]}


def test_like_wildcards_are_literal_in_every_place(ctx, searched):
    user, _ = searched
    assert found(user, "%") == expected(user, lambda e: "%" in e.description or "%" in e.notes)
    assert found(user, "_") == expected(user, lambda e: "_" in e.description or "_" in e.notes)


def test_the_search_is_one_query_for_the_figures_and_one_for_the_page(ctx, searched):
    from tests.services.conftest import count_statements

    user, _ = searched
    with count_statements(db.engine) as statements:
        expenses.list_expenses(user=user, filters={"q": "holiday"}, per_page=25)
    # the figures, the page (with its categories) and the page's tags
    assert len(statements) == 3
