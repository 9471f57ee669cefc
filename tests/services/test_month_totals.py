"""`expense_month_totals`: per-user monthly totals by category and payment method, kept exact by
database triggers for every writer (migration 0011).

Each test writes expenses one way and then compares the whole table with a GROUP BY over
`expenses` written here in plain SQL, on SQLite (row triggers) and on PostgreSQL (statement
triggers). The users have several currencies and expenses waiting for a rate, so the waiting
counts and the cents rule are met every time.
"""

import datetime as dt
import importlib.util
import pathlib
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bench.seeding import seed_bench, seed_user_expenses
from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.services import (
    accounts,
    analytics,
    bulk_expenses,
    categories,
    conversions,
    deletions,
    expenses,
    imports,
    recurring,
)
from expense_app.services.base_currency import change_base_currency
from expense_app.services.unit_of_work import transaction
from tests import factories
from tests.rates import MARCH_2024, store_rates
from tests.services.import_files import statement

FRIDAY = dt.date(2024, 3, 15)
ROLLUP = (
    "SELECT user_id, month, category_id, payment_method, expense_count, total_cents, unconverted_count "
    "FROM expense_month_totals"
)
# The same figures the slow, certain way: straight from the expenses, in each database's own SQL.
FRESH = {
    "postgresql": (
        "SELECT user_id, date_trunc('month', date)::date AS month, category_id, payment_method, count(*), "
        "coalesce(sum(base_amount), 0) * 100, count(*) - count(base_amount) "
        "FROM expenses GROUP BY 1, 2, 3, 4"
    ),
    "sqlite": (
        "SELECT user_id, strftime('%Y-%m-01', date) AS month, category_id, payment_method, count(*), "
        "coalesce(sum(CAST(round(base_amount * 100) AS INTEGER)), 0), count(*) - count(base_amount) "
        "FROM expenses GROUP BY 1, 2, 3, 4"
    ),
}


def _rows(sql: str) -> list[tuple]:
    return sorted(
        (user_id, str(month), category_id, method, int(n), int(cents), int(waiting))
        for user_id, month, category_id, method, n, cents, waiting in db.session.execute(sa.text(sql))
    )


def assert_exact() -> list[tuple]:
    """The rollups equal a fresh GROUP BY over every user's expenses; returns them."""
    db.session.expire_all()
    stored = _rows(ROLLUP)
    assert stored == _rows(FRESH[db.engine.dialect.name])
    assert all(row[4] > 0 for row in stored), "a row whose count fell to 0 was kept"
    return stored


def of_user(rows: list[tuple], user_id: int) -> list[tuple]:
    return [row for row in rows if row[0] == user_id]


@pytest.fixture
def eur_user(ctx, make_user):
    """A EUR user with March 2024 rates stored: USD and GBP convert, ARS waits (the ECB has none)."""
    store_rates(MARCH_2024)
    return db.session.get(User, make_user(currency="EUR").id)


def add(user, amount="10.00", currency="EUR", day=FRIDAY, **fields) -> int:
    return factories.create_expense(user, amount=amount, currency=currency, date=day, **fields)


def some_expenses(user) -> list[int]:
    """Expenses over three months, two categories, three currencies (one waiting), two methods."""
    transport = factories.category_id(user, "Transport")
    return [
        add(user, "10.05"),
        add(user, "0.10", day=dt.date(2024, 3, 1)),
        add(user, "0.20", day=dt.date(2024, 3, 31), payment_method="cash"),
        add(user, "99.99", "USD"),
        add(user, "50.00", "GBP", dt.date(2024, 3, 16), category_id=transport),
        add(user, "15000.00", "ARS", payment_method="cash"),
        add(user, "80.00", "CHF", dt.date(2024, 3, 14), fx_rate="1.05"),
        add(user, "7.77", day=dt.date(2024, 4, 1), category_id=transport),
        add(user, "84.00", day=dt.date(2024, 2, 29)),
    ]


def test_service_creates_updates_and_deletes(eur_user):
    ids = some_expenses(eur_user)
    rows = assert_exact()
    assert len(of_user(rows, eur_user.id)) == 5  # Feb, Mar x 3 keys, Apr
    assert sum(row[6] for row in rows) == 1  # the ARS expense: counted, waiting

    update = expenses.update_expense
    update(user=eur_user, expense_id=ids[0], amount="20.00")
    assert_exact()
    update(user=eur_user, expense_id=ids[1], date="2024-01-31")  # to another month
    assert_exact()
    update(user=eur_user, expense_id=ids[2], category_id=factories.category_id(eur_user, "Transport"))
    assert_exact()
    update(user=eur_user, expense_id=ids[3], payment_method="bank_transfer")
    assert_exact()
    update(user=eur_user, expense_id=ids[5], currency="USD")  # a rate now: no longer waiting
    assert sum(row[6] for row in assert_exact()) == 0
    update(user=eur_user, expense_id=ids[4], description="nothing that counts", tags=["x"])
    assert_exact()
    for expense_id in ids:
        expenses.delete_expense(user=eur_user, expense_id=expense_id)
        assert_exact()
    assert of_user(assert_exact(), eur_user.id) == []  # emptied keys are deleted, not left at 0


def test_bulk_create_update_delete_and_undo(eur_user):
    food = factories.category_id(eur_user)
    housing = factories.category_id(eur_user, "Housing")
    items = [
        {"amount": f"{1 + n}.{n:02d}", "date": f"2024-0{1 + n % 3}-{1 + n % 28:02d}", "category_id": food}
        for n in range(60)
    ]
    items += [{"amount": "5.00", "currency": "ARS", "date": "2024-03-10", "category_id": food}]
    created = [expense.id for expense in bulk_expenses.bulk_create(user=eur_user, items=items)]
    before_delete = assert_exact()

    bulk_expenses.bulk_update(user=eur_user, ids=created[:30], category_id=housing, payment_method="cash")
    assert_exact()
    bulk_expenses.bulk_update(
        user=eur_user, filters={"date_from": "2024-02-01", "date_to": "2024-02-29"}, add_tags=["t"]
    )
    after_update = assert_exact()

    deleted = bulk_expenses.bulk_delete(user=eur_user, filters={"date_from": "2024-01-01", "date_to": "2024-02-29"})
    assert len(deleted.expense_ids) == 40
    assert assert_exact() != after_update
    deletions.restore_batch(user=eur_user, batch_id=deleted.batch_id)
    assert assert_exact() == after_update != before_delete


def test_import_commit_and_undo(eur_user):
    eur_user_rows = [(f"2024-0{1 + n % 3}-{1 + n % 27:02d}", f"-{n + 1}.25", f"Shop {n}") for n in range(40)]
    add(eur_user, "3.00", day=dt.date(2024, 2, 2))
    before = assert_exact()
    batch = imports.create_batch(
        user=eur_user,
        data=statement(eur_user_rows),
        source="Checking",
        default_category_id=factories.category_id(eur_user),
    )
    assert imports.commit_batch(user=eur_user, batch_id=batch.id).created_count == 40
    assert len(of_user(assert_exact(), eur_user.id)) > len(of_user(before, eur_user.id))
    imports.undo_batch(user=eur_user, batch_id=batch.id, edited="delete")
    assert assert_exact() == before


def test_recurring_posts(eur_user):
    factories.create_recurring(eur_user, amount="950.00", start_date=dt.date(2024, 1, 31), interval_unit="month")
    posted = recurring.post_due(user=eur_user, today=dt.date(2024, 6, 15))
    assert posted == 5
    assert [row[1] for row in of_user(assert_exact(), eur_user.id)] == [f"2024-0{m}-01" for m in range(1, 6)]


def test_base_currency_change_and_rates_arriving(ctx, make_user):
    user = db.session.get(User, make_user(currency="EUR").id)
    some_expenses(user)  # no rates stored yet: the USD and GBP expenses wait too
    assert sum(row[6] for row in of_user(assert_exact(), user.id)) == 3

    store_rates(MARCH_2024)
    assert conversions.convert_waiting() == 2
    in_eur = of_user(assert_exact(), user.id)
    assert sum(row[6] for row in in_eur) == 1  # ARS still waits

    # Every base amount changes; the EUR expenses on days without a EUR -> USD rate now wait.
    change_base_currency(user=user, currency="USD")
    in_usd = of_user(assert_exact(), user.id)
    assert in_usd != in_eur and sum(row[6] for row in in_usd) > 1
    change_base_currency(user=user, currency="EUR")
    assert of_user(assert_exact(), user.id) not in (in_usd, [])


def test_category_deletion_moves_its_totals(eur_user):
    doomed = factories.create_category(eur_user, name="Doomed")
    add(eur_user, "12.34", category_id=doomed)
    add(eur_user, "1.00", "ARS", dt.date(2024, 4, 2), category_id=doomed)
    food = factories.category_id(eur_user)
    categories.delete_category(user=eur_user, category_id=doomed, reassign_to=food)
    rows = of_user(assert_exact(), eur_user.id)
    assert {row[2] for row in rows} == {food}


def test_account_deletion_spares_other_users(eur_user, make_user):
    other = db.session.get(User, make_user(currency="EUR").id)
    some_expenses(eur_user)
    some_expenses(other)
    mine, theirs = eur_user.id, other.id
    kept = of_user(assert_exact(), theirs)
    accounts.delete_account(user=eur_user)
    rows = assert_exact()
    assert of_user(rows, mine) == [] and of_user(rows, theirs) == kept


def test_the_full_user_with_history(ctx, make_full_user):
    full = make_full_user("rollups.history@example.com", history=True)
    user_id = full.user.id
    rows = of_user(assert_exact(), user_id)
    assert len(rows) > 20 and sum(row[6] for row in rows) > 0
    accounts.delete_account(user=db.session.get(User, user_id))
    assert of_user(assert_exact(), user_id) == []


def test_hand_written_sql(eur_user):
    ids = some_expenses(eur_user)
    transport = factories.category_id(eur_user, "Transport")
    statements = [
        # one statement moving rows across months, keys and amounts at once
        "UPDATE expenses SET date = date - 20, payment_method = 'debit_card' WHERE user_id = :user",
        "UPDATE expenses SET category_id = :transport WHERE user_id = :user AND currency = 'EUR'",
        "UPDATE expenses SET base_amount = NULL, fx_rate = NULL, fx_date = NULL, fx_source = NULL "
        "WHERE user_id = :user AND currency = 'USD'",
        "UPDATE expenses SET description = 'no figure changes' WHERE user_id = :user",
        "INSERT INTO expenses (user_id, category_id, amount, currency, description, payment_method, notes, date,"
        " base_amount, fx_rate, fx_date, fx_source, created_at, updated_at)"
        " SELECT user_id, category_id, amount, currency, 'copy', payment_method, notes, date,"
        " base_amount, fx_rate, fx_date, fx_source, created_at, updated_at FROM expenses WHERE user_id = :user",
        "DELETE FROM expenses WHERE user_id = :user AND id IN (:first, :second)",
        "DELETE FROM expenses WHERE user_id = :user AND description = 'copy' AND currency = 'EUR'",
    ]
    params = {"user": eur_user.id, "transport": transport, "first": ids[0], "second": ids[3]}
    if db.engine.dialect.name == "sqlite":
        statements[0] = statements[0].replace("date - 20", "date(date, '-20 days')")
    for sql in statements:
        db.session.execute(sa.text(sql), params)
        db.session.commit()
        assert_exact()
    db.session.execute(sa.text("DELETE FROM expenses WHERE user_id = :user"), params)
    db.session.commit()
    assert of_user(assert_exact(), eur_user.id) == []


def test_a_rolled_back_transaction_leaves_the_totals_untouched(eur_user):
    ids = some_expenses(eur_user)
    before = assert_exact()
    with pytest.raises(RuntimeError), transaction() as session:
        session.execute(sa.update(Expense).where(Expense.id.in_(ids)).values(date=dt.date(2020, 1, 1)))
        session.execute(sa.delete(Expense).where(Expense.id == ids[0]))
        raise RuntimeError("abandoned")
    assert assert_exact() == before


def test_the_bench_seed(ctx, make_user):
    seed_bench(users=2, per_user=25, heavy=40, today=dt.date(2026, 11, 26))
    assert len({row[0] for row in assert_exact()}) == 3
    # The path the bench uses for its heavy user: COPY chunks on PostgreSQL, several currencies,
    # the foreign ones waiting for a rate until `convert_waiting`.
    owner = make_user(currency="EUR")
    seed_user_expenses(user_id=owner.id, count=3000, currencies={"EUR": 60, "USD": 25, "ARS": 15})
    rows = of_user(assert_exact(), owner.id)
    assert sum(row[4] for row in rows) == 3000 and sum(row[6] for row in rows) > 0


def _revision_0011():
    path = pathlib.Path(__file__).parents[2] / "migrations" / "versions" / "0011_expense_month_totals.py"
    spec = importlib.util.spec_from_file_location("revision_0011", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_backfill_equals_the_triggers(eur_user, make_user):
    some_expenses(eur_user)
    some_expenses(db.session.get(User, make_user(currency="EUR").id))
    kept = assert_exact()
    revision = _revision_0011()
    if db.engine.dialect.name == "postgresql":
        backfill = revision.BACKFILL.format(
            month=revision.PG_MONTH, cents="coalesce(sum(base_amount * 100), 0)::bigint"
        )
    else:
        backfill = revision.BACKFILL.format(
            month=revision.SQLITE_MONTH.format(row="expenses"),
            cents="sum(" + revision.SQLITE_CENTS.format(row="expenses") + ")",
        )
    db.session.execute(sa.text("DELETE FROM expense_month_totals"))
    db.session.execute(sa.text(backfill))
    db.session.commit()
    assert assert_exact() == kept


def test_analytics_over_whole_and_partial_months_read_the_same_totals(eur_user):
    some_expenses(eur_user)
    for day in range(1, 29):
        add(eur_user, f"{day}.{day:02d}", day=dt.date(2024, 2, day), payment_method="cash")
    add(eur_user, "1.00", "ARS", dt.date(2024, 2, 10))
    periods = [("2024-01-01", "2024-04-30"), ("2024-02-10", "2024-03-15"), ("2024-02-29", "2024-04-01")]
    for date_from, date_to in periods:
        result = analytics.summary(user=eur_user, date_from=date_from, date_to=date_to)
        count, cents, waiting = db.session.execute(
            sa.text(
                "SELECT count(*), coalesce(sum(CAST(round(base_amount * 100) AS INTEGER)), 0), "
                "count(*) - count(base_amount) FROM expenses "
                "WHERE user_id = :user AND date BETWEEN :date_from AND :date_to"
            ),
            {"user": eur_user.id, "date_from": date_from, "date_to": date_to},
        ).one()
        assert (result.count, result.total, result.unconverted_count) == (count, Decimal(cents) / 100, waiting)


@pytest.mark.postgres
def test_concurrent_creates_on_the_same_keys_are_all_counted(app, eur_user):
    # PostgreSQL only: SQLite serialises writers. Eight sessions upsert the same few keys at once.
    food = factories.category_id(eur_user)
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def create_some(n: int) -> None:
        try:
            with app.app_context():
                owner = db.session.get(User, eur_user.id)
                start.wait()
                for i in range(10):
                    day = dt.date(2024, 1 + (n + i) % 2, 5)
                    expenses.create_expense(user=owner, amount="1.01", date=day, category_id=food)
                db.session.remove()
        except BaseException as error:  # reported below: an exception in a thread would be lost
            failures.append(error)

    threads = [threading.Thread(target=create_some, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(row[4] for row in of_user(assert_exact(), eur_user.id)) == 80
