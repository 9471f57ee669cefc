"""How long the budget status of the furthest allowed month takes for an account with 200 budgets
dating from 1900-01 (issue 11: the month-by-month carry-over walk took 11-12 s for 2999-12).

Run from the repository root: `python -m bench.budget_status` (a throw-away SQLite file; about
ten seconds, most of it creating the budgets and expenses through the services).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from expense_app import create_app
from expense_app.services import accounts, budgets, categories, expenses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, default=200)
    parser.add_argument("--expenses", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'budgets.db'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "LOG_LEVEL": "WARNING"})
        with app.app_context():
            upgrade()
            user = accounts.register_user(email="bench@example.com", password="correct horse battery")  # noqa: S106 (throw-away account)
            ids = [categories.create_category(user=user, name=f"Bench {n}").id for n in range(options.budgets - 1)]
            budgets.create_budget(
                user=user, category_id=None, amount="1000.00", rollover="full", effective_from="1900-01"
            )
            for category_id in ids:
                budgets.create_budget(
                    user=user, category_id=category_id, amount="10.00", rollover="surplus", effective_from="1900-01"
                )
            for n in range(options.expenses):
                expenses.create_expense(
                    user=user,
                    amount="3.50",
                    date=dt.date(2020 + n % 6, 1 + n % 12, 1 + n % 28),
                    category_id=ids[n % len(ids)],
                )
            month = budgets.format_month(budgets.latest_month(budgets.current_month()))
            timings = []
            for _ in range(options.repeat):
                started = time.perf_counter()
                status = budgets.budget_status(user=user, month=month)
                timings.append((time.perf_counter() - started) * 1000)
    print(
        f"budget_status(month={month}), {len(status.lines)} budgets from 1900-01, {options.expenses} expenses: "
        f"median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms over {options.repeat} calls"
    )


if __name__ == "__main__":
    main()
