"""`flask seed-bench` (bench/seeding.py): realistic, idempotent benchmark data (COPY on PostgreSQL,
executemany on SQLite), registered as a command only where the bench package exists.

Small numbers, so the suite stays quick; the same tests run on both databases.
"""

import datetime as dt
import os
import subprocess
import sys
import types
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.seeding import BENCH_PASSWORD, HEAVY_EMAIL, HISTORY_DAYS, TAGS, seed_bench
from expense_app.extensions import db
from expense_app.models import (
    DEFAULT_CATEGORIES,
    PAYMENT_METHODS,
    Category,
    Expense,
    ExpenseStats,
    Tag,
    User,
    expense_tags,
)
from expense_app.services import accounts
from expense_app.services.money import sum_amount_cents

ROOT = Path(__file__).resolve().parent.parent

TODAY = dt.date(2026, 11, 26)


def _counts_by_email() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(User.email, sa.func.count(Expense.id))
        .outerjoin(Expense, Expense.user_id == User.id)
        .group_by(User.email)
    ).all()
    return dict(rows)


def test_creates_users_with_categories_tags_and_their_expenses(ctx):
    report = seed_bench(users=2, per_user=30, heavy=50, today=TODAY)

    assert _counts_by_email() == {"bench-000@bench.local": 30, "bench-001@bench.local": 30, HEAVY_EMAIL: 50}
    assert report.users_created == 3
    assert report.expenses_inserted == 110
    user_ids = db.session.scalars(sa.select(User.id)).all()
    for user_id in user_ids:
        names = set(db.session.scalars(sa.select(Category.name).where(Category.user_id == user_id)))
        assert names == {name for name, _ in DEFAULT_CATEGORIES}
        assert set(db.session.scalars(sa.select(Tag.name).where(Tag.user_id == user_id))) == set(TAGS)


def test_expenses_look_real_and_belong_to_their_owner(ctx):
    seed_bench(users=1, per_user=200, heavy=0, today=TODAY)

    expenses = db.session.scalars(sa.select(Expense)).all()
    assert len(expenses) == 200
    owner_categories = {c.id for c in db.session.scalars(sa.select(Category))}
    assert {e.category_id for e in expenses} <= owner_categories
    assert len({e.category_id for e in expenses}) > 4
    assert all(e.amount > 0 and e.amount == e.amount.quantize(Decimal("0.01")) for e in expenses)
    assert any(e.amount != e.amount.to_integral_value() for e in expenses)  # cents, not whole dollars
    assert all(TODAY - dt.timedelta(days=HISTORY_DAYS) < e.date <= TODAY for e in expenses)
    assert (max(e.date for e in expenses) - min(e.date for e in expenses)).days > 2 * 365
    assert {e.payment_method for e in expenses} <= set(PAYMENT_METHODS)
    assert len({e.description for e in expenses}) > 20
    assert all(e.created_at.date() == e.date for e in expenses)
    tagged = db.session.scalar(sa.select(sa.func.count(sa.distinct(expense_tags.c.expense_id))))
    assert 20 < tagged < 120


def test_rerunning_inserts_nothing_and_a_larger_target_only_tops_up(ctx):
    seed_bench(users=2, per_user=20, heavy=30, today=TODAY)

    again = seed_bench(users=2, per_user=20, heavy=30, today=TODAY)
    assert (again.users_created, again.users_skipped, again.expenses_inserted) == (0, 3, 0)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 3
    assert db.session.scalar(sa.select(sa.func.count(Category.id))) == 3 * len(DEFAULT_CATEGORIES)

    more = seed_bench(users=2, per_user=25, heavy=30, today=TODAY)
    assert (more.users_topped_up, more.users_skipped, more.expenses_inserted) == (2, 1, 10)
    assert _counts_by_email() == {"bench-000@bench.local": 25, "bench-001@bench.local": 25, HEAVY_EMAIL: 30}


def test_bench_users_log_in_with_the_documented_password(ctx):
    seed_bench(users=1, per_user=1, heavy=1, today=TODAY)

    assert accounts.authenticate(email=HEAVY_EMAIL, password=BENCH_PASSWORD).email == HEAVY_EMAIL


def test_the_indexes_are_all_there_after_a_bulk_load(ctx):
    # On PostgreSQL a bulk load drops the secondary indexes and rebuilds them afterwards.
    seed_bench(users=1, per_user=50, heavy=0, today=TODAY)

    inspector = sa.inspect(db.engine)
    names = {index["name"] for index in inspector.get_indexes("expenses")}
    # The trigram search indexes exist on PostgreSQL only (SQLite has no such index).
    postgresql = db.engine.dialect.name == "postgresql"
    assert {index.name for index in Expense.__table__.indexes if postgresql or "_trgm" not in index.name} <= names
    assert {index.name for index in expense_tags.indexes} <= {i["name"] for i in inspector.get_indexes("expense_tags")}


def test_the_command_shows_what_it_did(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-bench", "--users", "1", "--per-user", "5", "--heavy", "0"])
    second = runner.invoke(args=["seed-bench", "--users", "1", "--per-user", "5", "--heavy", "0"])

    assert first.exit_code == 0, first.output
    assert "Inserted 5 expenses" in first.output
    assert "rows/s" in first.output
    assert second.exit_code == 0
    assert "1 already complete" in second.output
    assert "Nothing to insert" in second.output


def test_the_expense_stats_stay_exact_through_a_bulk_load_and_a_top_up(ctx):
    # The COPY path (PostgreSQL) and executemany (SQLite) both go through the expense_stats triggers.
    seed_bench(users=2, per_user=20, heavy=60, today=TODAY)
    seed_bench(users=2, per_user=35, heavy=60, today=TODAY)

    rows = db.session.execute(
        sa.select(Expense.user_id, sa.func.count(Expense.id), sum_amount_cents(Expense.base_amount)).group_by(
            Expense.user_id
        )
    )
    counted = {user_id: (count, int(cents)) for user_id, count, cents in rows}
    stored = {row.user_id: (row.expense_count, row.total_cents) for row in db.session.scalars(sa.select(ExpenseStats))}
    assert stored == counted
    assert sorted(count for count, _ in stored.values()) == [35, 35, 60]


def test_bench_users_are_registered_by_the_accounts_service(ctx, monkeypatch):
    registered = []
    register_user = accounts.register_user

    def spy(**fields):
        registered.append(fields["email"])
        return register_user(**fields)

    monkeypatch.setattr(accounts, "register_user", spy)
    seed_bench(users=1, per_user=1, heavy=1, today=TODAY)
    seed_bench(users=1, per_user=1, heavy=1, today=TODAY)

    assert registered == ["bench-000@bench.local", HEAVY_EMAIL]  # once each: the re-run finds them


def test_the_command_is_missing_when_the_bench_package_is_not_there(app_factory, monkeypatch):
    assert "seed-bench" in app_factory().cli.commands

    # As in the Docker image or a pip-installed app: `bench` cannot be imported.
    monkeypatch.setitem(sys.modules, "bench.seeding", None)
    assert "seed-bench" not in app_factory().cli.commands


def test_a_broken_bench_package_is_an_error_not_a_missing_command(app_factory, monkeypatch):
    # bench is there but cannot import what it needs: that must be loud, not a silently absent command.
    monkeypatch.setitem(sys.modules, "bench.seeding", types.ModuleType("bench.seeding"))
    with pytest.raises(ImportError, match="seed_bench_command"):
        app_factory()


def test_no_module_of_the_app_imports_bench():
    # Import every module of the package in a fresh interpreter: none may pull bench in (only the
    # guarded registration in create_app does).
    code = (
        "import importlib, pkgutil, sys, expense_app\n"
        "for module in pkgutil.walk_packages(expense_app.__path__, 'expense_app.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(len(sys.modules), sorted(name for name in sys.modules if name.split('.')[0] == 'bench'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    modules, bench_modules = result.stdout.split(" ", 1)
    assert int(modules) > 100  # the package really was imported
    assert bench_modules.strip() == "[]"


def test_it_runs_as_a_module(ctx, database_url):
    env = {**os.environ, "ENV": "testing", "TEST_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "bench.seeding", "--users", "1", "--per-user", "4", "--heavy", "0"]

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Inserted 4 expenses" in result.stdout
    assert _counts_by_email() == {"bench-000@bench.local": 4}
