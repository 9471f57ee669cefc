"""How long changing the base currency takes for 100,000 expenses (issue 12), and `flask rates load`.

Run from the repository root: `python -m bench.base_currency` (SQLite in a throw-away file and
PostgreSQL in `expense_bench_rates`, created if missing and emptied first; `--databases sqlite`
for SQLite alone). Each database:

1. builds the schema (`flask db upgrade`) and registers one EUR user;
2. seeds `--expenses` expenses over five years (bench.seeding.seed_user_expenses): EUR 55 %,
   USD 18 %, GBP 10 %, CHF 8 %, JPY 8 %, ARS 1 % (a currency the ECB does not publish);
3. loads the bundled ECB history (what `flask rates load` runs: `load_rates`, then
   `convert_waiting`), timed, then loads it again (the repeat load: nothing to write);
4. marks 1 % of the converted expenses `manual`, so carrying manual rates is measured too;
5. times `change_base_currency` EUR -> USD and USD -> EUR, `--repeat` times each way, and checks
   after each change that `expense_stats` still equals the sums over the rows.

About a minute per database on a 2-core machine, most of it seeding.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from bench.database import check_database_url, ensure_database
from bench.seeding import seed_user_expenses
from config import normalize_database_url
from expense_app import create_app
from expense_app.extensions import db
from expense_app.models import Expense, ExpenseStats, User
from expense_app.services import accounts, conversions, exchange_rates
from expense_app.services.base_currency import change_base_currency
from expense_app.services.money import sum_amount_cents
from expense_app.services.unit_of_work import transaction

DEFAULT_POSTGRES_URL = os.environ.get(
    "BENCH_RATES_DATABASE_URL", "postgresql://root@127.0.0.1:5432/expense_bench_rates"
)
CURRENCIES = {"EUR": 55, "USD": 18, "GBP": 10, "CHF": 8, "JPY": 8, "ARS": 1}
# The bundled history ends on 2026-10-30: every seeded date (five years back) has a rate.
TODAY = dt.date(2026, 10, 30)
HISTORY_DAYS = 5 * 365


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def stats_exact(user_id: int) -> bool:
    db.session.expire_all()
    count, cents, waiting = db.session.execute(
        sa.select(
            sa.func.count(), sum_amount_cents(Expense.base_amount), sa.func.count().filter(Expense.fx_source.is_(None))
        ).where(Expense.user_id == user_id)
    ).one()
    row = db.session.get(ExpenseStats, user_id)
    return (row.expense_count, row.total_cents, row.unconverted_count) == (count, int(cents), waiting)


def run(url: str, *, expenses: int, repeat: int) -> dict:
    """Seed, load the rates and time the base-currency changes on the database at `url`; the figures."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "LOG_LEVEL": "WARNING"})
    figures: dict = {"database": "", "expenses": expenses}
    with app.app_context():
        dialect = db.engine.dialect.name
        figures["database"] = (
            f"{dialect} {db.session.scalar(sa.text('SELECT sqlite_version()' if dialect == 'sqlite' else 'SHOW server_version'))}"
        )
        if dialect == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        user = accounts.register_user(
            email="rates@bench.local",
            password="bench-password-2026",  # noqa: S106 (a throw-away bench account)
            currency="EUR",
        )
        user_id = user.id
        figures["seed_s"], _ = timed(
            lambda: seed_user_expenses(
                user_id=user_id, count=expenses, currencies=CURRENCIES, history_days=HISTORY_DAYS, today=TODAY
            )
        )
        figures["first_load_s"], report = timed(exchange_rates.load_rates)
        figures["rates"], figures["days"] = report.rates, report.days
        figures["convert_waiting_s"], figures["converted_waiting"] = timed(conversions.convert_waiting)
        figures["repeat_load_s"], again = timed(lambda: (exchange_rates.load_rates(), conversions.convert_waiting()))
        assert again[0].added == again[0].changed == again[1] == 0, again
        with transaction() as session:
            figures["manual"] = session.execute(
                sa.update(Expense)
                .where(Expense.user_id == user_id, Expense.fx_source == conversions.ECB, Expense.id % 100 == 0)
                .values(fx_source=conversions.MANUAL)
            ).rowcount
        if dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM (ANALYZE) expenses")
                connection.exec_driver_sql("VACUUM (ANALYZE) exchange_rates")
        assert stats_exact(user_id)
        timings: dict[str, list[float]] = {"EUR->USD": [], "USD->EUR": []}
        for _ in range(repeat):
            for direction in timings:
                target = direction[-3:]
                owner = db.session.get(User, user_id)
                seconds, rebase = timed(
                    lambda owner=owner, target=target: change_base_currency(user=owner, currency=target)
                )
                timings[direction].append(seconds)
                assert rebase.expenses == expenses and stats_exact(user_id), rebase
                figures[f"report {direction}"] = rebase
        for direction, values in timings.items():
            figures[f"{direction} median_s"] = statistics.median(values)
            figures[f"{direction} all_s"] = [round(value, 2) for value in values]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both (comma-separated)")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL, help="the PostgreSQL bench database")
    parser.add_argument("--expenses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    for name in options.databases.split(","):
        if name == "postgresql":
            check_database_url(options.database_url)
            ensure_database(options.database_url)
            figures = run(
                normalize_database_url(options.database_url), expenses=options.expenses, repeat=options.repeat
            )
        else:
            with tempfile.TemporaryDirectory() as folder:
                figures = run(
                    f"sqlite:///{Path(folder) / 'rates.db'}", expenses=options.expenses, repeat=options.repeat
                )
        for key, value in figures.items():
            print(f"  {key}: {value:.2f}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
