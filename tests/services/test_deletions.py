"""Undo of deletes (`services.deletions`) and bulk changes (`services.bulk_expenses`), without HTTP.

Each restore is compared column by column with the row as it was, tags and the stats row included.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import DeletedExpense, Expense, RecurringOccurrence, User, expense_tags
from expense_app.services import bulk_expenses, categories, deletions, expenses
from expense_app.services.unit_of_work import transaction
from tests import factories
from tests.services.conftest import count_statements


def snapshot(user_id: int) -> dict:
    """Every column of the user's expenses, their tag ids, occurrence links and the stats row."""
    db.session.expire_all()
    rows = {
        row.id: dict(row._mapping)
        for row in db.session.execute(sa.select(Expense.__table__).where(Expense.user_id == user_id))
    }
    tags = sorted(
        db.session.execute(
            sa.select(expense_tags.c.expense_id, expense_tags.c.tag_id).where(expense_tags.c.expense_id.in_(list(rows)))
        ).all()
    )
    links = sorted(
        db.session.execute(
            sa.select(RecurringOccurrence.id, RecurringOccurrence.expense_id).where(
                RecurringOccurrence.expense_id.in_(list(rows))
            )
        ).all()
    )
    stats = expenses.expense_stats(user=db.session.get(User, user_id))
    return {"rows": rows, "tags": tags, "links": links, "stats": stats}


@pytest.fixture
def made(ctx, user):
    """Three expenses of `user` in two currencies (one at a manual rate), with tags."""
    factories.insert_rates()
    return [
        factories.create_expense(user, amount="12.34", tags=["a", "b"], notes="n", payment_method="cash"),
        factories.create_expense(user, amount="50.00", currency="EUR", fx_rate="0.9100000000", tags=["b"]),
        factories.create_expense(user, amount="7.00", date="2024-03-15", currency="GBP", category="Housing"),
    ]


def test_delete_then_restore_brings_back_every_column_tag_and_total(ctx, user, made):
    before = snapshot(user.id)
    batch = bulk_expenses.bulk_delete(user=user, ids=made[:2])
    assert batch.count == 2
    after_delete = snapshot(user.id)
    assert set(after_delete["rows"]) == {made[2]}
    assert after_delete["stats"][0] == 1  # totals forget them at once
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeletedExpense)) == 2

    restored = deletions.restore_batch(user=user, batch_id=batch.batch_id)
    assert sorted(restored.expense_ids) == sorted(made[:2])
    assert snapshot(user.id) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeletedExpense)) == 0


def test_restoring_twice_or_another_users_batch_is_not_found(ctx, user, other_user, made):
    batch = expenses.delete_expense(user=user, expense_id=made[0])
    with pytest.raises(NotFound):
        deletions.restore_batch(user=other_user, batch_id=batch.batch_id)
    deletions.restore_batch(user=user, batch_id=batch.batch_id)
    with pytest.raises(NotFound):
        deletions.restore_batch(user=user, batch_id=batch.batch_id)


def test_a_purged_batch_cannot_be_restored(ctx, user, made):
    batch = expenses.delete_expense(user=user, expense_id=made[0])
    later = dt.datetime.now(dt.UTC) + deletions.UNDO_WINDOW + dt.timedelta(minutes=1)
    assert deletions.purge_expired(now=dt.datetime.now(dt.UTC)) == 0  # still in the window
    assert deletions.purge_expired(now=later) == 1
    with pytest.raises(NotFound):
        deletions.restore_batch(user=user, batch_id=batch.batch_id)


def test_a_deleted_category_refuses_restore_until_it_is_recreated(ctx, user, made):
    housing = factories.category_id(user, "Housing")
    before = snapshot(user.id)
    batch = expenses.delete_expense(user=user, expense_id=made[2])
    categories.delete_category(user=user, category_id=housing)
    with pytest.raises(Conflict, match='"Housing"'):
        deletions.restore_batch(user=user, batch_id=batch.batch_id)
    assert made[2] not in snapshot(user.id)["rows"]  # nothing changed
    recreated = factories.create_category(user, name="Housing")
    deletions.restore_batch(user=user, batch_id=batch.batch_id)
    row = snapshot(user.id)["rows"][made[2]]
    assert row["category_id"] == recreated
    assert {**row, "category_id": housing} == before["rows"][made[2]]


def test_a_taken_id_restores_under_a_new_one(ctx, user, made):
    batch = expenses.delete_expense(user=user, expense_id=made[2])
    # SQLite gives the highest id again to the next expense; PostgreSQL's sequence does not, so
    # the newcomer is moved onto the freed id by hand, which is what SQLite does by itself.
    newcomer = factories.create_expense(user, amount="1.00")
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE expenses SET id = :old WHERE id = :new"), {"old": made[2], "new": newcomer})
    restored = deletions.restore_batch(user=user, batch_id=batch.batch_id)
    assert restored.renumbered and restored.renumbered[made[2]] == restored.expense_ids[0] != made[2]


def test_a_posted_occurrence_is_linked_again(ctx, user):
    today = dt.date.today()
    factories.create_recurring(user, amount="50.00", start_date=today - dt.timedelta(days=40))
    factories.post_occurrences(user, today=today)
    linked = db.session.execute(
        sa.select(RecurringOccurrence.id, RecurringOccurrence.expense_id).where(
            RecurringOccurrence.expense_id.is_not(None)
        )
    ).all()
    assert linked
    before = snapshot(user.id)
    batch = bulk_expenses.bulk_delete(user=user, filters={})
    assert snapshot(user.id)["links"] == []  # unlinked, so the occurrence is not posted again
    deletions.restore_batch(user=user, batch_id=batch.batch_id)
    assert snapshot(user.id) == before


def test_bulk_update_by_filter_is_one_update_and_refuses_as_a_whole(ctx, user):
    food, housing = factories.category_id(user, "Food"), factories.category_id(user, "Housing")
    rows = [
        {
            "user_id": user.id,
            "amount": "1.00",
            "currency": user.currency,
            "base_amount": "1.00",
            "fx_rate": "1",
            "fx_date": dt.date(2025, 1, 1),
            "fx_source": "same",
            "date": dt.date(2025, 1, 1) + dt.timedelta(days=i % 300),
            "category_id": food,
            "description": f"Row {i}",
            "notes": "",
            "payment_method": "cash",
        }
        for i in range(1000)
    ]
    with transaction() as session:
        session.execute(
            sa.insert(Expense),
            [
                {**r, "amount": Decimal(r["amount"]), "base_amount": Decimal(r["base_amount"]), "fx_rate": Decimal(1)}
                for r in rows
            ],
        )
    other = factories.create_expense(user, amount="3.00", date="2026-01-01", payment_method="cash")
    filters = {"date_from": "2025-01-01", "date_to": "2025-12-31", "payment_methods": ["cash"]}

    # A refused change (a tag list that is too long) changes none of the 1,000.
    with pytest.raises(ValidationFailed) as refused:
        bulk_expenses.bulk_update(
            user=user, filters=filters, category_id=housing, add_tags=[f"t{i}" for i in range(21)]
        )
    assert "add_tags" in refused.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).where(Expense.category_id == housing)) == 0

    with count_statements(db.engine) as statements:
        result = bulk_expenses.bulk_update(user=user, filters=filters, category_id=housing, add_tags=["moved"])
    assert result.count == 1000
    writes = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert len(writes) <= 3  # the UPDATE, the tag insert, the tag links: not one per row
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Expense.category_id == housing)) == 1000
    assert db.session.get(Expense, other).category_id == food


def test_bulk_update_refuses_foreign_ids_and_touches_nothing(ctx, user, other_user, made):
    theirs = factories.create_expense(other_user, amount="5.00")
    before = snapshot(other_user.id)
    with pytest.raises(ValidationFailed) as refused:
        bulk_expenses.bulk_update(user=user, ids=[made[0], theirs], payment_method="cash")
    assert refused.value.errors["ids"] == [f"Not found: {theirs}."]
    with pytest.raises(ValidationFailed):
        bulk_expenses.bulk_delete(user=user, ids=[theirs])
    assert snapshot(other_user.id) == before


def test_bulk_tags_add_and_remove(ctx, user, made):
    bulk_expenses.bulk_update(user=user, ids=made, add_tags=["x"], remove_tags=["b"])
    names = {e: sorted(t.name for t in expenses.get_expense(user=user, expense_id=e).tags) for e in made}
    assert names == {made[0]: ["a", "x"], made[1]: ["x"], made[2]: ["x"]}


def test_bulk_create_is_all_or_nothing_and_names_the_index(ctx, user):
    food = factories.category_id(user, "Food")
    items = [{"amount": "1.00", "date": "2026-01-02", "category_id": food} for _ in range(500)]
    items[3] = {**items[3], "amount": "0"}
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Expense))
    with pytest.raises(ValidationFailed) as refused:
        bulk_expenses.bulk_create(user=user, items=items)
    assert list(refused.value.errors) == ["expenses.3.amount"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Expense)) == count
    items[3]["amount"] = "2.00"
    created = bulk_expenses.bulk_create(user=user, items=items)
    assert len(created) == 500
    assert expenses.expense_stats(user=user)[:2] == (count + 500, 50100)


def test_the_full_user_survives_delete_and_restore(ctx, user):
    full = factories.build_full_user(user)
    before = factories.owned_rows(user.id)
    batch = bulk_expenses.bulk_delete(user=user, filters={})
    assert batch.count >= 4
    deletions.restore_batch(user=user, batch_id=batch.batch_id)
    assert factories.owned_rows(user.id) == before
    # The factory's own deletion is still there to undo.
    assert deletions.restore_batch(user=user, batch_id=full.deleted_batch_id).expense_ids


def test_the_purge_command_drops_only_records_past_the_window(app, ctx, user, made):
    old = expenses.delete_expense(user=user, expense_id=made[0])
    recent = expenses.delete_expense(user=user, expense_id=made[1])
    with transaction() as session:
        session.execute(
            sa.update(DeletedExpense)
            .where(DeletedExpense.batch_id == old.batch_id)
            .values(deleted_at=dt.datetime.now(dt.UTC) - deletions.UNDO_WINDOW - dt.timedelta(hours=1))
        )
    result = app.test_cli_runner().invoke(args=["expenses", "purge-deleted"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 deleted expenses" in result.output
    with pytest.raises(NotFound):
        deletions.restore_batch(user=user, batch_id=old.batch_id)
    assert deletions.restore_batch(user=user, batch_id=recent.batch_id).expense_ids == [made[1]]
