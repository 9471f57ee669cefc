"""Expense and tag rules without HTTP: every field rule, partial updates, listing, filters and paging."""

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import PAYMENT_METHODS, Expense, Tag
from expense_app.services import expenses, tags
from expense_app.services.expenses import ExpenseFilters
from expense_app.services.rules import latest_expense_date as latest_date
from tests.services.conftest import category_id_of, count_statements


def stored_counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(Expense.id))),
        db.session.scalar(sa.select(sa.func.count(Tag.id))),
    )


def rejected_fields(user, **fields) -> dict:
    """Try to create an expense (Food, 2026-01-15, 10.00 unless given); return the field errors."""
    fields.setdefault("amount", "10.00")
    fields.setdefault("date", dt.date(2026, 1, 15))
    fields.setdefault("category_id", category_id_of(user))
    with pytest.raises(ValidationFailed) as excinfo:
        expenses.create_expense(user=user, **fields)
    return excinfo.value.errors


# --- create ----------------------------------------------------------------------------------------


def test_create_returns_expense_with_category_and_tags(ctx, user, food):
    expense = expenses.create_expense(
        user=user,
        amount="12.5",
        date="2026-03-04",
        category_id=food,
        description="  Lunch  ",
        payment_method="cash",
        tags=[" Work ", "work", "FOOD"],
        notes="  with Kim ",
    )
    assert expense.amount == Decimal("12.50")
    assert str(expense.amount) == "12.50"
    assert expense.date == dt.date(2026, 3, 4)
    assert (expense.description, expense.notes, expense.payment_method) == ("Lunch", "with Kim", "cash")
    assert expense.category.name == "Food"
    assert [tag.name for tag in expense.tags] == ["food", "work"]
    assert expense.currency == "USD"


def test_defaults(ctx, make_user):
    owner = make_user(email="eu@example.com", currency="EUR")
    expense = expenses.create_expense(user=owner, amount=3, date=dt.date(2026, 1, 1), category_id=category_id_of(owner))
    assert (expense.currency, expense.payment_method, expense.description, expense.notes, expense.tags) == (
        "EUR",
        "other",
        "",
        "",
        [],
    )
    assert expense.amount == Decimal("3.00")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("12.5", "12.50"),
        (7, "7.00"),
        (Decimal("0.01"), "0.01"),
        ("99999999.99", "99999999.99"),
        ("10.500", "10.50"),
        (" 4.20 ", "4.20"),
    ],
)
def test_amount_accepted(ctx, user, food, given, stored):
    expense = expenses.create_expense(user=user, amount=given, date=dt.date(2026, 1, 1), category_id=food)
    assert str(expense.amount) == stored


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (0, "greater than 0"),
        ("0.00", "greater than 0"),
        ("-1", "greater than 0"),
        ("10.005", "2 decimal places"),
        (Decimal("0.001"), "2 decimal places"),
        ("100000000.00", "at most 99,999,999.99"),
        ("abc", "number"),
        ("NaN", "number"),
        ("Infinity", "number"),
        (1.5, "number"),
        (True, "number"),
        (None, "required"),
        ("", "required"),
    ],
)
def test_amount_rejected_never_rounded(ctx, user, given, message):
    errors = rejected_fields(user, amount=given)
    assert list(errors) == ["amount"]
    assert message in errors["amount"][0]
    assert stored_counts() == (0, 0)


def test_date_range(ctx, user, food):
    for day in (dt.date(1900, 1, 1), latest_date(), "2026-02-28"):
        expenses.create_expense(user=user, amount="1", date=day, category_id=food)
    for day in (dt.date(1899, 12, 31), dt.date(1850, 6, 1), latest_date() + dt.timedelta(days=1)):
        assert "between 1900-01-01" in rejected_fields(user, date=day)["date"][0]
    assert "date such as" in rejected_fields(user, date="2026-02-30")["date"][0]
    assert "required" in rejected_fields(user, date=None)["date"][0]


def test_latest_date_is_one_year_ahead():
    assert latest_date(dt.date(2026, 11, 26)) == dt.date(2027, 11, 26)
    assert latest_date(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


def test_category_must_be_the_users(ctx, user, other_user):
    assert rejected_fields(user, category_id=category_id_of(other_user)) == {
        "category_id": ["Choose one of your categories."]
    }
    assert list(rejected_fields(user, category_id=999999)) == ["category_id"]
    assert list(rejected_fields(user, category_id=None)) == ["category_id"]
    assert stored_counts() == (0, 0)


def test_text_lengths(ctx, user, food):
    expense = expenses.create_expense(
        user=user, amount="1", date=dt.date(2026, 1, 1), category_id=food, description=" " + "d" * 255 + " "
    )
    assert len(expense.description) == 255
    assert "255" in rejected_fields(user, description="d" * 256)["description"][0]
    assert "2000" in rejected_fields(user, notes="n" * 2001)["notes"][0]


def test_payment_methods(ctx, user, food):
    for method in PAYMENT_METHODS:
        assert (
            expenses.create_expense(
                user=user, amount="1", date=dt.date(2026, 1, 1), category_id=food, payment_method=method
            ).payment_method
            == method
        )
    assert list(rejected_fields(user, payment_method="bitcoin")) == ["payment_method"]


def test_currency(ctx, user, food):
    expense = expenses.create_expense(user=user, amount="1", date=dt.date(2026, 1, 1), category_id=food, currency="eur")
    assert expense.currency == "EUR"
    assert list(rejected_fields(user, currency="ABC")) == ["currency"]
    assert list(rejected_fields(user, currency="EURO")) == ["currency"]


def test_tags_limits(ctx, user, food):
    twenty = [f"t{i}" for i in range(20)]
    expense = expenses.create_expense(user=user, amount="1", date=dt.date(2026, 1, 1), category_id=food, tags=twenty)
    assert len(expense.tags) == 20
    # Duplicates collapse before counting: 20 distinct names in 22 entries are fine.
    expenses.create_expense(
        user=user, amount="1", date=dt.date(2026, 1, 1), category_id=food, tags=[*twenty, "T0", " t1 "]
    )
    assert "At most 20" in rejected_fields(user, tags=[f"n{i}" for i in range(21)])["tags"][0]
    assert "1 to 50" in rejected_fields(user, tags=["ok", "  "])["tags"][0]
    assert "1 to 50" in rejected_fields(user, tags=["x" * 51])["tags"][0]
    assert list(rejected_fields(user, tags="not-a-list")) == ["tags"]
    assert db.session.scalar(sa.select(sa.func.count(Tag.id))) == 20


def test_tags_are_reused_and_per_user(ctx, user, other_user, add_expense):
    add_expense(tags=["Travel"])
    add_expense(tags=["travel", "work"])
    add_expense(owner=other_user, tags=["travel"])
    rows = db.session.execute(sa.select(Tag.user_id, Tag.name).order_by(Tag.user_id, Tag.name)).all()
    assert rows == [(user.id, "travel"), (user.id, "work"), (other_user.id, "travel")]


def test_failed_create_stores_nothing_not_even_tags(ctx, user):
    rejected_fields(user, amount="0", tags=["brand-new"])
    assert stored_counts() == (0, 0)


@pytest.mark.postgres
def test_tag_created_concurrently_is_reused(ctx, user, food):
    # PostgreSQL only: on SQLite a unit of work holds the write lock from its first statement
    # (BEGIN IMMEDIATE), so no other writer can commit between our lookup and our insert.
    """Another transaction commits the same new tag between our lookup and our insert."""
    raced = []

    def create_same_tag_elsewhere(conn, cursor, statement, parameters, context, executemany):
        if not raced and statement.lstrip().upper().startswith("INSERT INTO TAGS"):
            raced.append(True)
            with db.engine.connect() as other:
                other.execute(
                    Tag.__table__.insert().values(
                        user_id=user.id,
                        name="race",
                        created_at=dt.datetime.now(dt.UTC),
                        updated_at=dt.datetime.now(dt.UTC),
                    )
                )
                other.commit()

    sa.event.listen(db.engine, "before_cursor_execute", create_same_tag_elsewhere)
    try:
        expense = expenses.create_expense(
            user=user, amount="1", date=dt.date(2026, 1, 1), category_id=food, tags=["race", "fresh"]
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", create_same_tag_elsewhere)
    assert raced
    assert [tag.name for tag in expense.tags] == ["fresh", "race"]
    assert db.session.scalar(sa.select(sa.func.count(Tag.id)).where(Tag.name == "race")) == 1


# --- get / update / delete --------------------------------------------------------------------------


def test_get_and_not_found(ctx, user, other_user, add_expense):
    mine = add_expense(tags=["a"])
    theirs = add_expense(owner=other_user)
    assert expenses.get_expense(user=user, expense_id=mine).tags[0].name == "a"
    for expense_id in (theirs, 999999):
        with pytest.raises(NotFound):
            expenses.get_expense(user=user, expense_id=expense_id)


def test_partial_update_changes_only_given_fields(ctx, user, add_expense):
    expense_id = add_expense(amount="5.00", description="Old", tags=["keep"], payment_method="cash")
    before = expenses.get_expense(user=user, expense_id=expense_id).updated_at
    updated = expenses.update_expense(user=user, expense_id=expense_id, amount="6.75")
    assert (str(updated.amount), updated.description, updated.payment_method) == ("6.75", "Old", "cash")
    assert [tag.name for tag in updated.tags] == ["keep"]
    retagged = expenses.update_expense(user=user, expense_id=expense_id, tags=["New", "other"])
    assert [tag.name for tag in retagged.tags] == ["new", "other"]
    assert retagged.updated_at > before
    moved = expenses.update_expense(
        user=user, expense_id=expense_id, category_id=category_id_of(user, "Transport"), tags=[]
    )
    assert (moved.category.name, moved.tags) == ("Transport", [])


def test_invalid_update_changes_nothing(ctx, user, other_user, add_expense):
    expense_id = add_expense(amount="5.00", tags=["keep"])
    with pytest.raises(ValidationFailed) as excinfo:
        expenses.update_expense(user=user, expense_id=expense_id, description="New", amount="1.001", tags=["x"])
    assert list(excinfo.value.errors) == ["amount"]
    with pytest.raises(ValidationFailed) as excinfo:
        expenses.update_expense(user=user, expense_id=expense_id, category_id=category_id_of(other_user))
    assert list(excinfo.value.errors) == ["category_id"]
    db.session.expire_all()
    expense = expenses.get_expense(user=user, expense_id=expense_id)
    assert (str(expense.amount), expense.description, [t.name for t in expense.tags]) == ("5.00", "", ["keep"])
    assert db.session.scalar(sa.select(Tag.id).where(Tag.name == "x")) is None


def test_update_and_delete_of_foreign_expense_are_not_found(ctx, user, other_user, add_expense):
    theirs = add_expense(owner=other_user, amount="8.00")
    with pytest.raises(NotFound):
        expenses.update_expense(user=user, expense_id=theirs, amount="1.00")
    with pytest.raises(NotFound):
        expenses.delete_expense(user=user, expense_id=theirs)
    assert str(expenses.get_expense(user=other_user, expense_id=theirs).amount) == "8.00"


def test_delete_keeps_tags(ctx, user, add_expense):
    expense_id = add_expense(tags=["kept"])
    expenses.delete_expense(user=user, expense_id=expense_id)
    assert db.session.get(Expense, expense_id) is None
    assert [(t.name, t.expense_count) for t in tags.list_tags(user=user)] == [("kept", 0)]


def test_list_tags_counts_own_tags(ctx, user, other_user, add_expense):
    add_expense(tags=["b", "a"])
    add_expense(tags=["a"])
    add_expense(owner=other_user, tags=["a", "secret"])
    assert [(t.name, t.expense_count) for t in tags.list_tags(user=user)] == [("a", 2), ("b", 1)]


# --- list ---------------------------------------------------------------------------------------------


@pytest.fixture
def sample(ctx, user, other_user, add_expense):
    """Six expenses of `user` (and one of `other_user`), named by description."""
    transport = category_id_of(user, "Transport")
    ids = {
        "coffee": add_expense(amount="3.50", date=dt.date(2026, 1, 10), description="Coffee", tags=["drinks"]),
        "train": add_expense(
            amount="42.00", date=dt.date(2026, 1, 12), category_id=transport, payment_method="debit_card"
        ),
        "dinner": add_expense(
            amount="80.00", date=dt.date(2026, 1, 12), description="Dinner", notes="50% OFF_code", tags=["drinks"]
        ),
        "taxi": add_expense(amount="19.99", date=dt.date(2026, 2, 1), category_id=transport, tags=["work"]),
        "books": add_expense(amount="0.10", date=dt.date(2026, 2, 3), description="Books 100%"),
        "tea": add_expense(amount="0.20", date=dt.date(2026, 2, 3), description="TEA", payment_method="cash"),
    }
    add_expense(owner=other_user, amount="1.00", description="Coffee of someone else")
    return ids


def listed(user, **kwargs) -> list[int]:
    return [expense.id for expense in expenses.list_expenses(user=user, **kwargs).items]


def test_default_sort_is_newest_first_ties_by_newest_id(sample, user):
    s = sample
    assert listed(user) == [s["tea"], s["books"], s["taxi"], s["dinner"], s["train"], s["coffee"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("date", ["coffee", "train", "dinner", "taxi", "books", "tea"]),
        ("amount", ["books", "tea", "coffee", "taxi", "train", "dinner"]),
        ("-amount", ["dinner", "train", "taxi", "coffee", "tea", "books"]),
        ("created_at", ["coffee", "train", "dinner", "taxi", "books", "tea"]),
        ("-created_at", ["tea", "books", "taxi", "dinner", "train", "coffee"]),
    ],
)
def test_sorts(sample, user, sort, expected):
    assert listed(user, sort=sort) == [sample[name] for name in expected]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"date_from": dt.date(2026, 2, 1)}, {"taxi", "books", "tea"}),
        ({"date_to": "2026-01-12"}, {"coffee", "train", "dinner"}),
        ({"date_from": "2026-01-12", "date_to": dt.date(2026, 1, 12)}, {"train", "dinner"}),
        ({"payment_methods": ["cash", "debit_card"]}, {"train", "tea"}),
        ({"tags": ["DRINKS"]}, {"coffee", "dinner"}),
        ({"tags": ["drinks", "work"]}, {"coffee", "dinner", "taxi"}),
        ({"tags": ["unknown"]}, set()),
        ({"min_amount": "19.99"}, {"taxi", "train", "dinner"}),
        ({"max_amount": Decimal("0.20")}, {"books", "tea"}),
        ({"min_amount": "3.50", "max_amount": "42"}, {"coffee", "taxi", "train"}),
        ({"q": "coffee"}, {"coffee"}),
        ({"q": "tea"}, {"tea"}),
        ({"q": "off_"}, {"dinner"}),
        ({"q": "50%"}, {"dinner"}),
        ({"q": "%"}, {"dinner", "books"}),
        ({"q": "_"}, {"dinner"}),
        ({"q": "   "}, {"coffee", "train", "dinner", "taxi", "books", "tea"}),
        ({"q": "dinner", "tags": ["work"]}, set()),
    ],
)
def test_filters(sample, user, filters, expected):
    assert set(listed(user, filters=filters)) == {sample[name] for name in expected}


def test_category_filter_with_several_and_foreign_ids(sample, user, other_user):
    transport = category_id_of(user, "Transport")
    food = category_id_of(user, "Food")
    assert set(listed(user, filters=ExpenseFilters(category_ids=[transport]))) == {sample["train"], sample["taxi"]}
    assert len(listed(user, filters={"category_ids": [transport, food]})) == 6
    assert listed(user, filters={"category_ids": [category_id_of(other_user)]}) == []


def test_page_metadata_and_filtered_total(sample, user):
    page = expenses.list_expenses(user=user, filters={"date_from": "2026-02-01"}, page=1, per_page=2)
    assert (page.total, page.page, page.per_page, page.total_pages) == (3, 1, 2, 2)
    assert page.total_amount == Decimal("20.29")
    assert (page.has_prev, page.has_next) == (False, True)
    second = expenses.list_expenses(user=user, filters={"date_from": "2026-02-01"}, page=2, per_page=2)
    assert [e.id for e in second.items] == [sample["taxi"]]
    assert (second.has_prev, second.has_next) == (True, False)


def test_money_total_is_exact(sample, user):
    page = expenses.list_expenses(user=user, filters={"max_amount": "0.20"})
    assert str(page.total_amount) == "0.30"
    assert str(expenses.list_expenses(user=user).total_amount) == "145.79"


def test_page_past_the_end_is_empty(sample, user):
    page = expenses.list_expenses(user=user, page=5, per_page=2)
    assert (page.items, page.total, page.total_pages) == ([], 6, 3)


def test_nothing_matches(ctx, user):
    page = expenses.list_expenses(user=user)
    assert (page.items, page.total, page.total_pages, page.total_amount) == ([], 0, 0, Decimal("0.00"))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page": 0}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"sort": "price"}, "sort"),
        ({"filters": {"payment_methods": ["bitcoin"]}}, "payment_method"),
        ({"filters": {"min_amount": "abc"}}, "min_amount"),
        ({"filters": {"date_from": "yesterday"}}, "date_from"),
        ({"filters": {"category_ids": ["x"]}}, "category_id"),
        ({"filters": {"q": "q" * 101}}, "q"),
    ],
)
def test_list_rejects_bad_arguments(ctx, user, kwargs, field):
    with pytest.raises(ValidationFailed) as excinfo:
        expenses.list_expenses(user=user, **kwargs)
    assert list(excinfo.value.errors) == [field]


def test_page_costs_the_same_number_of_queries_whatever_its_size(ctx, user, add_expense):
    transport = category_id_of(user, "Transport")
    for i in range(60):
        add_expense(
            amount=f"{i + 1}.00",
            date=dt.date(2026, 1, 1 + i % 28),
            category_id=transport if i % 2 else category_id_of(user),
            tags=[f"tag{i % 7}", f"other{i % 3}"],
        )
    db.session.expire_all()
    counts = {}
    for per_page in (5, 50):
        with count_statements(db.engine) as statements:
            page = expenses.list_expenses(user=user, per_page=per_page)
            # Touch everything a page shows: lazy="raise" would fail on any missed relationship.
            shown = [(e.category.name, [t.name for t in e.tags]) for e in page.items]
        assert len(shown) == per_page
        counts[per_page] = len(statements)
    assert counts[5] == counts[50] <= 3
