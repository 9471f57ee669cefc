"""`expense_stats`: each user's count and total, kept exact by database triggers for every writer.

Each test changes expenses one way and then compares the stored row with COUNT/SUM over the
expenses themselves, on SQLite and on PostgreSQL (where the triggers are statement-level).
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bench.seeding import seed_bench
from expense_app.extensions import db
from expense_app.models import Expense, ExpenseStats, User
from expense_app.services import accounts, expenses, recurring
from expense_app.services.money import sum_amount_cents
from expense_app.services.unit_of_work import transaction
from tests.services.conftest import category_id_of

DAY = dt.date(2026, 1, 15)


def counted(user_id: int) -> tuple[int, int]:
    """(COUNT, SUM of base amounts in cents) over the user's expenses, computed the slow, certain way."""
    total, cents = db.session.execute(
        sa.select(sa.func.count(Expense.id), sum_amount_cents(Expense.base_amount)).where(Expense.user_id == user_id)
    ).one()
    return total, int(cents)


def stored(user_id: int) -> tuple[int, int] | None:
    db.session.expire_all()
    row = db.session.get(ExpenseStats, user_id)
    return None if row is None else (row.expense_count, row.total_cents)


def test_a_user_without_expenses_reads_as_zero(ctx, user):
    assert stored(user.id) is None
    assert expenses.expense_stats(user=user) == (0, 0, 0)
    page = expenses.list_expenses(user=user)
    assert (page.total, page.total_amount, page.total_pages) == (0, Decimal("0.00"), 0)


def test_creates_updates_and_deletes_keep_the_stats_exact(ctx, user, add_expense):
    first = add_expense(amount="10.05")
    second = add_expense(amount="99999999.99")
    add_expense(amount="0.01")
    assert stored(user.id) == counted(user.id) == (3, 10_000_001_005)

    expenses.update_expense(user=user, expense_id=second, amount="20.00")
    assert stored(user.id) == counted(user.id) == (3, 3_006)
    expenses.update_expense(user=user, expense_id=first, description="no amount change", tags=["x"])
    expenses.update_expense(user=user, expense_id=first, category_id=category_id_of(user, "Transport"))
    assert stored(user.id) == counted(user.id) == (3, 3_006)

    expenses.delete_expense(user=user, expense_id=first)
    assert stored(user.id) == counted(user.id) == (2, 2_001)


def test_the_unfiltered_list_reads_the_stats_and_a_filtered_one_counts(ctx, user, add_expense):
    add_expense(amount="10.00", description="coffee")
    add_expense(amount="5.50", description="tea")
    # Made visibly wrong on purpose, to see which source each list uses.
    with transaction() as session:
        session.execute(sa.update(ExpenseStats).where(ExpenseStats.user_id == user.id).values(expense_count=41))

    assert expenses.list_expenses(user=user).total == 41
    filtered = expenses.list_expenses(user=user, filters={"q": "coffee"})
    assert (filtered.total, filtered.total_amount) == (1, Decimal("10.00"))


def test_list_totals_match_the_rows(ctx, user, add_expense):
    for amount in ("1.10", "2.20", "3.30"):
        add_expense(amount=amount)
    page = expenses.list_expenses(user=user, per_page=2)
    assert (page.total, page.total_amount, page.total_pages) == (3, Decimal("6.60"), 2)


def test_users_are_counted_apart(ctx, user, other_user, add_expense):
    add_expense(amount="1.00")
    add_expense(owner=other_user, amount="2.00")
    add_expense(owner=other_user, amount="3.00")
    assert stored(user.id) == counted(user.id) == (1, 100)
    assert stored(other_user.id) == counted(other_user.id) == (2, 500)


def test_bulk_sql_statements_are_counted(ctx, user, food):
    row = {"user_id": user.id, "category_id": food, "currency": "USD", "date": DAY, "description": "bulk"}
    same = {"fx_rate": 1, "fx_date": DAY, "fx_source": "same"}
    with transaction() as session:
        session.execute(
            sa.insert(Expense),
            [{**row, **same, "amount": Decimal(f"{n}.25"), "base_amount": Decimal(f"{n}.25")} for n in range(1, 6)],
        )
    assert stored(user.id) == counted(user.id) == (5, 1_625)

    with transaction() as session:
        session.execute(
            sa.update(Expense)
            .where(Expense.user_id == user.id)
            .values(amount=Expense.amount + 1, base_amount=Expense.base_amount + 1)
        )
        session.execute(sa.delete(Expense).where(Expense.user_id == user.id, Expense.amount > 5))
    assert stored(user.id) == counted(user.id) == (3, 975)


def test_a_failed_transaction_leaves_the_stats_untouched(ctx, user, add_expense, food):
    add_expense(amount="7.00")
    with pytest.raises(RuntimeError), transaction() as session:
        session.add(
            Expense(
                user_id=user.id,
                category_id=food,
                currency="USD",
                date=DAY,
                amount=Decimal("3.00"),
                base_amount=Decimal("3.00"),
                fx_rate=1,
                fx_date=DAY,
                fx_source="same",
            )
        )
        session.flush()  # the trigger has run: only the unit of work's rollback can undo it
        raise RuntimeError("the use case failed after writing")
    assert stored(user.id) == counted(user.id) == (1, 700)


def test_recurring_posts_are_counted(ctx, user):
    recurring.create_recurring(
        user=user,
        today=dt.date(2026, 1, 1),
        amount="1200.00",
        category_id=category_id_of(user, "Housing"),
        start_date=dt.date(2026, 1, 31),
        description="Rent",
    )
    assert recurring.post_due(user=user, today=dt.date(2026, 4, 30)) == 4
    assert stored(user.id) == counted(user.id) == (4, 480_000)


def test_account_deletion_removes_the_row_and_spares_other_users(ctx, user, other_user, add_expense):
    add_expense(amount="4.00")
    add_expense(owner=other_user, amount="6.00")
    accounts.delete_account(user=db.session.get(User, user.id))
    assert stored(user.id) is None
    assert stored(other_user.id) == counted(other_user.id) == (1, 600)


def test_the_bench_seed_is_counted(ctx):
    seed_bench(users=2, per_user=25, heavy=40, today=dt.date(2026, 11, 26))
    seeded = db.session.scalars(sa.select(User.id)).all()
    assert len(seeded) == 3
    for user_id in seeded:
        assert stored(user_id) == counted(user_id)
        assert stored(user_id)[0] in (25, 40)


@pytest.mark.postgres
def test_concurrent_creates_are_all_counted(app, user, ctx):
    # PostgreSQL only: SQLite serialises writers, so there is no race to lose.
    food = category_id_of(user, "Food")
    threads_count, per_thread = 8, 10
    failures: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def create_some() -> None:
        try:
            with app.app_context():
                owner = db.session.get(User, user.id)
                start.wait()
                for _ in range(per_thread):
                    expenses.create_expense(user=owner, amount="1.01", date=DAY, category_id=food)
                db.session.remove()
        except BaseException as error:  # reported below: an exception in a thread would be lost
            failures.append(error)

    threads = [threading.Thread(target=create_some) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    created = threads_count * per_thread
    assert stored(user.id) == counted(user.id) == (created, created * 101)
