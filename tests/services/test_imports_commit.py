"""Committing and undoing imports: expenses created once, duplicates never, undo exact."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Category, Expense, ImportBatch, ImportRow, RuleRunChange, User, expense_tags
from expense_app.services import accounts, categorization, deletions, expenses, imports
from tests import factories
from tests.services.import_files import statement

ROWS = [(f"2026-02-{day:02d}", f"-{day}.25", f"Shop number {chr(64 + day)}") for day in range(1, 21)]


def expense_rows(user):
    return db.session.execute(
        sa.select(Expense.date, Expense.amount, Expense.description, Expense.import_source)
        .where(Expense.user_id == user.id)
        .order_by(Expense.date, Expense.id)
    ).all()


def imported(user, data, *, source="Checking", **options):
    options.setdefault("default_category_id", factories.category_id(user))
    batch = imports.create_batch(user=user, data=data, source=source, **options)
    return imports.commit_batch(user=user, batch_id=batch.id)


def test_commit_creates_the_included_rows_with_their_keys(ctx, user):
    data = statement([*ROWS[:3], ("2026-02-10", "50.00", "Refund")])
    batch = imported(user, data)
    assert (batch.status, batch.created_count, batch.included_count) == ("committed", 3, 3)
    assert batch.committed_at is not None
    stored = db.session.execute(
        sa.select(
            Expense.amount, Expense.currency, Expense.base_amount, Expense.import_source, Expense.import_occurrence
        )
        .where(Expense.user_id == user.id)
        .order_by(Expense.date)
    ).all()
    assert [row.amount for row in stored] == [Decimal("1.25"), Decimal("2.25"), Decimal("3.25")]
    assert {(row.currency, row.import_source, row.import_occurrence) for row in stored} == {("USD", "Checking", 1)}
    assert [row.base_amount for row in stored] == [Decimal("1.25"), Decimal("2.25"), Decimal("3.25")]
    fingerprints = db.session.scalars(sa.select(ImportRow.fingerprint).where(ImportRow.expense_id.is_not(None)))
    assert set(fingerprints) == set(
        db.session.scalars(sa.select(Expense.import_fingerprint).where(Expense.user_id == user.id))
    )
    assert db.session.scalar(sa.select(ImportBatch.content).where(ImportBatch.id == batch.id)) is None
    with pytest.raises(Conflict, match="already committed"):
        imports.commit_batch(user=user, batch_id=batch.id)


def test_an_overlapping_statement_creates_only_the_new_rows(ctx, user):
    imported(user, statement(ROWS[:10]))
    second = imported(user, statement(ROWS[4:20]))
    assert second.counts["duplicate"] == 6 and second.created_count == 10
    assert [row.description for row in expense_rows(user)] == [row[2] for row in ROWS]


def test_identical_rows_become_two_expenses_and_a_reimport_none(ctx, user):
    data = statement([("2026-02-03", "-3.50", "Coffee"), ("2026-02-03", "-3.50", "Coffee")])
    assert imported(user, data).created_count == 2
    again = imports.create_batch(user=user, data=data, source="Checking")
    assert again.counts["duplicate"] == 2
    assert imports.commit_batch(user=user, batch_id=again.id).created_count == 0
    assert len(expense_rows(user)) == 2
    # A third identical coffee in a later statement is a new one: occurrence 3.
    three = statement([("2026-02-03", "-3.50", "Coffee")] * 3)
    assert imported(user, three).created_count == 1


def test_a_possible_duplicate_is_imported_only_when_included(ctx, user):
    factories.create_expense(user, amount="12.00", date="2026-02-02", description="Bistro")
    data = statement([("2026-02-03", "-12.00", "BISTRO PARIS"), ("2026-02-04", "-5.00", "Bakery")])
    batch = imports.create_batch(user=user, data=data, source="Card", default_category_id=factories.category_id(user))
    possible = imports.list_rows(user=user, batch_id=batch.id, status="possible_duplicate").items
    assert len(possible) == 1 and possible[0].duplicate_of.description == "Bistro"
    assert imports.commit_batch(user=user, batch_id=batch.id).created_count == 1
    again = imports.create_batch(user=user, data=data, source="Card", default_category_id=factories.category_id(user))
    (row,) = imports.list_rows(user=user, batch_id=again.id, status="possible_duplicate").items
    assert imports.update_rows(user=user, batch_id=again.id, row_ids=[row.id], include=True) == 1
    assert imports.commit_batch(user=user, batch_id=again.id).created_count == 1
    assert sorted(row.description for row in expense_rows(user)) == ["BISTRO PARIS", "Bakery", "Bistro"]


def test_every_included_row_needs_a_category(ctx, user):
    batch = imports.create_batch(user=user, data=statement(ROWS[:3]), source="s")
    with pytest.raises(ValidationFailed) as caught:
        imports.commit_batch(user=user, batch_id=batch.id)
    assert caught.value.errors == {
        "category_id": ["3 rows have no category: choose one for them, or a default category for the import."]
    }
    assert expense_rows(user) == [] and imports.get_batch(user=user, batch_id=batch.id).status == "staged"
    rows = imports.list_rows(user=user, batch_id=batch.id).items
    imports.update_rows(user=user, batch_id=batch.id, status="new", category_id=factories.category_id(user, "Food"))
    assert imports.commit_batch(user=user, batch_id=batch.id).created_count == len(rows)


def test_categories_named_by_the_file_are_created_at_commit_with_tags(ctx, user):
    data = statement(
        [("2026-02-03", "-3.50", "Coffee", "Treats", "x,y"), ("2026-02-04", "-4.50", "Cake", "treats", "y")],
        columns=("Date", "Amount", "Description", "Category", "Tags"),
    )
    batch = imports.create_batch(user=user, data=data, source="s")
    assert (
        db.session.scalar(sa.select(Category.id).where(Category.user_id == user.id, Category.name == "Treats")) is None
    )
    imports.commit_batch(user=user, batch_id=batch.id)
    treats = factories.category_id(user, "Treats")
    made = expenses.list_expenses(user=user, sort="date").items
    assert [(item.category_id, [tag.name for tag in item.tags]) for item in made] == [
        (treats, ["x", "y"]),
        (treats, ["y"]),
    ]


def test_a_batch_staged_twice_commits_its_rows_once(ctx, user):
    data = statement(ROWS[:5])
    food = factories.category_id(user)
    first = imports.create_batch(user=user, data=data, source="s", default_category_id=food)
    second = imports.create_batch(user=user, data=data, source="s", default_category_id=food)
    assert imports.commit_batch(user=user, batch_id=first.id).created_count == 5
    late = imports.commit_batch(user=user, batch_id=second.id)  # rows found meanwhile: duplicates
    assert late.created_count == 0 and late.counts["duplicate"] == 5
    assert len(expense_rows(user)) == 5


def test_undo_removes_exactly_the_batch_and_the_file_imports_again(ctx, user):
    factories.create_expense(user, amount="99.00", date="2026-02-01", description="Mine")
    batch = imported(user, statement(ROWS[:4]))
    ids = [row.expense_id for row in imports.list_rows(user=user, batch_id=batch.id).items]
    categorization.create_rule(
        user=user,
        name="Tag shops",
        conditions=[{"field": "description", "operator": "contains", "value": "shop"}],
        actions=[{"type": "add_tags", "tags": ["shop"]}],
    )
    categorization.apply_run(user=user, date_from="2026-02-01", date_to="2026-02-28")  # rule-run changes, tag links
    result = imports.undo_batch(user=user, batch_id=batch.id, edited="delete")
    assert (result.deleted_count, result.kept_count, result.batch.status) == (4, 0, "undone")
    assert [row.description for row in expense_rows(user)] == ["Mine"]
    assert db.session.scalar(sa.select(sa.func.count()).where(expense_tags.c.expense_id.in_(ids))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(RuleRunChange.expense_id.in_(ids))) == 0
    with pytest.raises(Conflict):
        imports.undo_batch(user=user, batch_id=batch.id)
    assert imported(user, statement(ROWS[:4])).created_count == 4


@pytest.mark.parametrize("choice", ["keep", "delete"])
def test_undo_asks_about_edited_expenses(ctx, user, choice):
    batch = imported(user, statement(ROWS[:3]))
    first = imports.list_rows(user=user, batch_id=batch.id).items[0].expense_id
    expenses.update_expense(user=user, expense_id=first, description="Renamed")
    (edited,) = imports.edited_expenses(user=user, batch_id=batch.id)
    assert (edited.id, edited.category.name, edited.tags) == (first, "Food", [])
    with pytest.raises(ValidationFailed) as caught:
        imports.undo_batch(user=user, batch_id=batch.id)
    assert caught.value.errors == {
        "edited": ["1 expense was changed since the import: choose to keep or to delete them."]
    }
    assert len(expense_rows(user)) == 3
    result = imports.undo_batch(user=user, batch_id=batch.id, edited=choice)
    left = [row.description for row in expense_rows(user)]
    if choice == "keep":
        assert (result.deleted_count, result.kept_count, left) == (2, 1, ["Renamed"])
        again = imports.create_batch(user=user, data=statement(ROWS[:3]), source="Checking")
        assert (again.counts["duplicate"], again.counts["new"]) == (1, 2)  # the kept one keeps its keys
    else:
        assert (result.deleted_count, result.kept_count, left) == (3, 0, [])


def test_a_full_user_imports_and_deletes_their_account(ctx, full_user):
    user = full_user.user
    assert imported(user, statement(ROWS[:2])).created_count == 2
    accounts.delete_account(user=user, password=factories.PASSWORD)
    assert factories.owned_rows(user.id)["import_batches"] == []
    assert factories.owned_rows(user.id)["import_rows"] == []


def test_malicious_files_change_nothing(ctx, user):
    before = factories.all_rows()
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&lol2;</BkToCstmrStmt></Document>'
    )
    external = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&e;</BkToCstmrStmt></Document>'
    )
    for data in (bomb, external, b"PK\x03\x04" + b"\0" * 64, b"\x1f\x8b\x08\x00" + b"\0" * 64):
        with pytest.raises(ValidationFailed) as caught:
            imports.create_batch(user=user, data=data, filename="evil.xml")
        assert list(caught.value.errors) == ["file"]
    assert factories.all_rows() == before


def test_formula_like_text_is_stored_as_text(ctx, user):
    data = statement([("2026-02-03", "-3.50", '=HYPERLINK("http://x")')])
    imported(user, data)
    assert expense_rows(user)[0].description == '=HYPERLINK("http://x")'


def test_purge_deletes_only_stale_staged_batches(ctx, user):
    import datetime as dt

    from expense_app.models.base import utcnow

    stale = imports.create_batch(user=user, data=statement(ROWS[:2]), source="s")
    fresh = imports.create_batch(user=user, data=statement(ROWS[:2]), source="t")
    done = imported(user, statement(ROWS[2:4]))
    later = utcnow() + dt.timedelta(hours=25)
    from expense_app.services.unit_of_work import transaction

    with transaction() as session:
        session.execute(
            sa.update(ImportBatch).where(ImportBatch.id == fresh.id).values(created_at=later - dt.timedelta(hours=1))
        )
    assert imports.purge_staged(now=later) == 1
    left = set(db.session.scalars(sa.select(ImportBatch.id)))
    assert left == {fresh.id, done.id} and stale.id not in left
    assert db.session.scalar(sa.select(sa.func.count()).where(ImportRow.batch_id == stale.id)) == 0


def test_an_imported_expense_deleted_and_restored_still_belongs_to_its_import(ctx, user):
    batch = imported(user, statement(ROWS[:2]))
    first = imports.list_rows(user=user, batch_id=batch.id).items[0].expense_id
    deleted = expenses.delete_expense(user=user, expense_id=first)
    assert imports.list_rows(user=user, batch_id=batch.id).items[0].expense_id is None
    deletions.restore_batch(user=user, batch_id=deleted.batch_id)
    assert imports.list_rows(user=user, batch_id=batch.id).items[0].expense_id == first
    assert imports.undo_batch(user=user, batch_id=batch.id).deleted_count == 2
    assert expense_rows(user) == []


def _at_once(app, user, calls) -> list[str]:
    """Run `calls` (functions of the user) in threads started together; their outcomes."""
    outcomes: list[str] = []
    start = threading.Barrier(len(calls))

    def run(call) -> None:
        try:
            with app.app_context():
                owner = db.session.get(User, user.id)
                start.wait()
                try:
                    outcomes.append(f"created {call(owner).created_count}")
                except Conflict as error:
                    outcomes.append(error.message)
                db.session.remove()
        except BaseException as error:  # reported below: an exception in a thread would be lost
            outcomes.append(repr(error))

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_two_batches_of_the_same_rows_committed_at_once_create_them_once(app, ctx, user):
    food = factories.category_id(user)
    batches = [
        imports.create_batch(user=user, data=statement(ROWS), source="s", default_category_id=food).id for _ in range(3)
    ]
    outcomes = _at_once(app, user, [lambda owner, b=b: imports.commit_batch(user=owner, batch_id=b) for b in batches])
    assert outcomes == ["created 0", "created 0", "created 20"]
    db.session.expire_all()
    assert len(expense_rows(user)) == 20


def test_one_batch_committed_twice_at_once_commits_once(app, ctx, user):
    batch = imports.create_batch(
        user=user, data=statement(ROWS), source="s", default_category_id=factories.category_id(user)
    )
    commit = lambda owner: imports.commit_batch(user=owner, batch_id=batch.id)  # noqa: E731
    assert _at_once(app, user, [commit, commit]) == ["This import was already committed.", "created 20"]
    db.session.expire_all()
    assert len(expense_rows(user)) == 20


def test_the_commit_is_set_based(ctx, user):
    from tests.services.conftest import count_statements

    data = statement([(f"2026-01-{1 + n % 28:02d}", f"-{1 + n}.00", f"Shop {n}") for n in range(500)])
    batch = imports.create_batch(user=user, data=data, source="s", default_category_id=factories.category_id(user))
    imports.update_rows(user=user, batch_id=batch.id, status="new", add_tags=["bulk"])
    with count_statements(db.engine) as statements:
        assert imports.commit_batch(user=user, batch_id=batch.id).created_count == 500
    inserts = [text for text in statements if text.lstrip().upper().startswith("INSERT INTO EXPENSES")]
    assert len(inserts) <= 2 and len(statements) < 40


def test_a_category_deleted_after_staging_falls_back_to_the_default(ctx, user):
    from expense_app.services import categories

    doomed = factories.create_category(user, name="Doomed")
    batch = imports.create_batch(user=user, data=statement(ROWS[:2]), source="s", default_category_id=doomed)
    rows = imports.list_rows(user=user, batch_id=batch.id).items
    food = factories.category_id(user)
    imports.update_rows(user=user, batch_id=batch.id, row_ids=[rows[0].id], category_id=doomed)
    imports.update_batch(user=user, batch_id=batch.id, default_category_id=food)
    categories.delete_category(user=user, category_id=doomed)
    assert imports.commit_batch(user=user, batch_id=batch.id).created_count == 2
    assert {item.category_id for item in expenses.list_expenses(user=user).items} == {food}
