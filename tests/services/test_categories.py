"""Category rules without HTTP: counts and totals, names, colours, and delete with reassignment."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Category, Expense
from expense_app.services import categories
from tests.services.conftest import category_id_of, count_statements


def test_list_has_counts_and_exact_totals(ctx, user, food, add_expense):
    add_expense(amount="0.10")
    add_expense(amount="0.20")
    add_expense(amount="5", category_id=category_id_of(user, "Transport"))
    by_name = {summary.name: summary for summary in categories.list_categories(user=user)}
    assert (by_name["Food"].expense_count, by_name["Food"].total_amount) == (2, Decimal("0.30"))
    assert str(by_name["Food"].total_amount) == "0.30"
    assert (by_name["Transport"].expense_count, by_name["Transport"].total_amount) == (1, Decimal("5.00"))
    assert (by_name["Health"].expense_count, str(by_name["Health"].total_amount)) == (0, "0.00")


def test_large_totals_are_exact(ctx, user, add_expense):
    for _ in range(3):
        add_expense(amount="99999999.99")
    add_expense(amount="0.01")
    food = next(s for s in categories.list_categories(user=user) if s.name == "Food")
    assert food.total_amount == Decimal("299999999.98")


def test_list_is_sorted_by_name_ignoring_case_and_is_one_query(ctx, user, add_expense):
    add_expense()
    categories.create_category(user=user, name="apples")
    with count_statements(db.engine) as statements:
        names = [summary.name for summary in categories.list_categories(user=user)]
    assert len(statements) == 1
    assert names == sorted(names, key=str.casefold)
    assert names[0] == "apples"


def test_list_ignores_other_users(ctx, user, other_user, add_expense):
    add_expense(owner=other_user, amount="99.00")
    categories.create_category(user=other_user, name="Secret")
    mine = categories.list_categories(user=user)
    assert "Secret" not in {summary.name for summary in mine}
    assert all(summary.expense_count == 0 for summary in mine)


def test_create_cleans_input(ctx, user):
    created = categories.create_category(user=user, name="  Pets  ", color="#ABCDEF", icon="  paw ")
    assert (created.name, created.color, created.icon) == ("Pets", "#abcdef", "paw")
    assert (created.expense_count, created.total_amount) == (0, Decimal("0.00"))
    stored = db.session.get(Category, created.id)
    assert stored.name_key == "pets"
    plain = categories.create_category(user=user, name="Gifts", icon="")
    assert (plain.color, plain.icon) == ("#6c757d", None)


def test_name_is_unique_per_user_ignoring_case(ctx, user, other_user):
    with pytest.raises(Conflict) as excinfo:
        categories.create_category(user=user, name="FOOD")
    assert "name" in excinfo.value.errors
    assert categories.create_category(user=other_user, name="Pets").name == "Pets"
    assert categories.create_category(user=user, name="pets").name == "pets"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "Ok", "color": "red"}, "color"),
        ({"name": "Ok", "color": "#12345"}, "color"),
        ({"name": "Ok", "color": "#gggggg"}, "color"),
        ({"name": "Ok", "icon": "i" * 33}, "icon"),
    ],
)
def test_create_rejects_bad_input(ctx, user, fields, field):
    before = db.session.scalar(sa.select(sa.func.count(Category.id)))
    with pytest.raises(ValidationFailed) as excinfo:
        categories.create_category(user=user, **fields)
    assert list(excinfo.value.errors) == [field]
    assert db.session.scalar(sa.select(sa.func.count(Category.id))) == before


def test_name_of_fifty_characters_is_accepted(ctx, user):
    assert len(categories.create_category(user=user, name="n" * 50).name) == 50


def test_update_renames_recolours_and_clears_icon(ctx, user, food, add_expense):
    add_expense(amount="2.50")
    categories.update_category(user=user, category_id=food, icon="apple")
    updated = categories.update_category(user=user, category_id=food, name=" Groceries ", color="#00FF00")
    assert (updated.name, updated.color, updated.icon) == ("Groceries", "#00ff00", "apple")
    assert (updated.expense_count, updated.total_amount) == (1, Decimal("2.50"))
    assert categories.update_category(user=user, category_id=food, icon="").icon is None
    assert categories.update_category(user=user, category_id=food, name="GROCERIES").name == "GROCERIES"


def test_update_to_another_categorys_name_is_conflict(ctx, user, food):
    with pytest.raises(Conflict):
        categories.update_category(user=user, category_id=food, name="transport")
    assert db.session.get(Category, food).name == "Food"


def test_update_rejects_bad_colour_and_changes_nothing(ctx, user, food):
    with pytest.raises(ValidationFailed) as excinfo:
        categories.update_category(user=user, category_id=food, name="New", color="blue")
    assert "color" in excinfo.value.errors
    db.session.expire_all()
    assert db.session.get(Category, food).name == "Food"


def test_other_users_category_is_not_found(ctx, user, other_user):
    theirs = category_id_of(other_user, "Food")
    with pytest.raises(NotFound):
        categories.get_category(user=user, category_id=theirs)
    with pytest.raises(NotFound):
        categories.update_category(user=user, category_id=theirs, name="Mine now")
    with pytest.raises(NotFound):
        categories.delete_category(user=user, category_id=theirs)
    with pytest.raises(NotFound):
        categories.get_category(user=user, category_id=987654)
    assert db.session.get(Category, theirs).name == "Food"


def test_get_has_counts(ctx, user, food, add_expense):
    add_expense(amount="1.25")
    summary = categories.get_category(user=user, category_id=food)
    assert (summary.id, summary.name, summary.expense_count, summary.total_amount) == (
        food,
        "Food",
        1,
        Decimal("1.25"),
    )


def test_delete_empty_category(ctx, user):
    housing = category_id_of(user, "Housing")
    assert categories.delete_category(user=user, category_id=housing) == 0
    assert db.session.get(Category, housing) is None


def test_delete_with_expenses_is_refused_with_a_clear_message(ctx, user, food, add_expense):
    add_expense()
    add_expense()
    with pytest.raises(Conflict) as excinfo:
        categories.delete_category(user=user, category_id=food)
    assert "still has 2 expenses" in excinfo.value.message
    assert "reassign_to" in excinfo.value.message
    assert db.session.get(Category, food) is not None


def test_delete_with_reassign_moves_expenses(ctx, user, food, add_expense):
    first, second = add_expense(amount="1.00"), add_expense(amount="2.00")
    transport = category_id_of(user, "Transport")
    assert categories.delete_category(user=user, category_id=food, reassign_to=transport) == 2
    db.session.expire_all()
    assert db.session.get(Category, food) is None
    assert {db.session.get(Expense, first).category_id, db.session.get(Expense, second).category_id} == {transport}
    assert categories.get_category(user=user, category_id=transport).total_amount == Decimal("3.00")


def test_reassign_to_itself_is_invalid(ctx, user, food, add_expense):
    add_expense()
    with pytest.raises(ValidationFailed) as excinfo:
        categories.delete_category(user=user, category_id=food, reassign_to=food)
    assert "reassign_to" in excinfo.value.errors


def test_reassign_to_foreign_category_is_not_found_and_moves_nothing(ctx, user, other_user, food, add_expense):
    expense_id = add_expense()
    theirs = category_id_of(other_user, "Food")
    with pytest.raises(NotFound):
        categories.delete_category(user=user, category_id=food, reassign_to=theirs)
    with pytest.raises(NotFound):
        categories.delete_category(user=user, category_id=food, reassign_to=999999)
    db.session.expire_all()
    assert db.session.get(Expense, expense_id).category_id == food
    assert db.session.get(Category, food) is not None
    assert categories.get_category(user=other_user, category_id=theirs).expense_count == 0


def test_delete_with_reassign_is_atomic(ctx, user, food, add_expense):
    expense_id = add_expense()
    transport = category_id_of(user, "Transport")

    def fail_on_category_delete(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM CATEGORIES"):
            raise RuntimeError("simulated failure while deleting the category")

    sa.event.listen(db.engine, "before_cursor_execute", fail_on_category_delete)
    try:
        with pytest.raises(RuntimeError):
            categories.delete_category(user=user, category_id=food, reassign_to=transport)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", fail_on_category_delete)
    db.session.expire_all()
    # The move ran before the failure; the rollback undid it.
    assert db.session.get(Expense, expense_id).category_id == food
    assert db.session.get(Category, food) is not None
