"""How long a dry run of 50 categorisation rules over 100,000 expenses takes (issue 14, item 6).

Run from the repository root:

    python -m bench.categorization_run                      # a throw-away SQLite file
    python -m bench.categorization_run --database-url postgresql://root@127.0.0.1:5432/categorization_bench

The PostgreSQL database is created when missing and its schema rebuilt (the bench's name guard
applies: the name must contain `bench` and not `test`). One user gets `--expenses` expenses over
three years in four currencies through the bench's bulk seeding (COPY on PostgreSQL, executemany
elsewhere), then two rule sets of `--rules` rules are timed with `categorization.dry_run` over the
whole range:
- `sql`: every rule has a condition SQL can judge (description contains, amount, payment method,
  currency), so the OR of them prefilters the rows read;
- `mixed`: one rule in five is a regex (and one `any` rule mixes a regex in), so every row of the
  range is read in keyset batches and judged in Python.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from bench.database import check_database_url, ensure_database
from bench.seeding import HISTORY_DAYS, seed_user_expenses
from config import normalize_database_url
from expense_app import create_app
from expense_app.extensions import db
from expense_app.models import Category
from expense_app.services import accounts, categorization
from expense_app.services.tags import resolve_tags
from expense_app.services.unit_of_work import transaction

WORDS = ("coffee", "groceries", "taxi", "fuel", "rent", "internet", "pharmacy", "cinema", "books", "pizza")


def rule_documents(count: int, category_ids: list[int], *, regex: bool) -> list[dict]:
    """`count` rules cycling through the condition kinds; with `regex`, every fifth is a regex."""
    documents = []
    for number in range(count):
        word = WORDS[number % len(WORDS)]
        kind = number % 5
        if regex and kind == 4:
            conditions = [{"field": "description", "operator": "regex", "value": rf"\b{word}\w*\s+\w+"}]
        elif kind == 0:
            conditions = [{"field": "description", "operator": "contains", "value": word}]
        elif kind == 1:
            conditions = [
                {"field": "description", "operator": "starts_with", "value": word[:3]},
                {"field": "amount", "operator": "between", "value": str(number), "value2": str(number + 40)},
            ]
        elif kind == 2:
            conditions = [
                {"field": "payment_method", "operator": "equals", "value": "cash"},
                {"field": "amount", "operator": ">", "value": str(100 + number)},
            ]
        elif kind == 3:
            conditions = [
                {"field": "currency", "operator": "equals", "value": "JPY"},
                {"field": "notes", "operator": "contains", "value": "receipt"},
            ]
        else:
            conditions = [{"field": "notes", "operator": "ends_with", "value": "advance"}]
        documents.append(
            {
                "name": f"Rule {number}",
                "match": "all",
                "conditions": conditions,
                "actions": [
                    {"type": "set_category", "category_id": category_ids[number % len(category_ids)]},
                    {"type": "add_tags", "tags": [word]},
                ],
            }
        )
    if regex:
        documents[-1]["match"] = "any"
        documents[-1]["conditions"] = [
            {"field": "description", "operator": "contains", "value": "zzz"},
            {"field": "description", "operator": "regex", "value": r"^(?:weekly|monthly)\b"},
        ]
    return documents


def timed_dry_run(user, start: dt.date, end: dt.date, repeat: int) -> tuple[list[float], object]:
    timings, preview = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        preview = categorization.dry_run(user=user, date_from=start, date_to=end, per_page=50)
        timings.append(time.perf_counter() - started)
    return timings, preview


def run(url: str, *, expenses: int, rules: int, repeat: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(url), "TESTING": True, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        user = accounts.register_user(email="rules@bench.local", password="correct horse battery")  # noqa: S106
        with transaction():
            resolve_tags(user=user, names=["home", "work", "trip", "gift"])
        started = time.perf_counter()
        seed_user_expenses(user_id=user.id, count=expenses, currencies={"USD": 70, "EUR": 15, "GBP": 10, "JPY": 5})
        seeded = time.perf_counter() - started
        category_ids = list(db.session.scalars(sa.select(Category.id).where(Category.user_id == user.id)))
        today = dt.date.today()
        start, end = today - dt.timedelta(days=HISTORY_DAYS + 1), today
        print(f"{db.engine.dialect.name}: seeded {expenses:,} expenses in {seeded:.1f} s")
        for name, regex in (("sql", False), ("mixed", True)):
            for rule in categorization.list_rules(user=user):
                categorization.delete_rule(user=user, rule_id=rule.id)
            for document in rule_documents(rules, category_ids, regex=regex):
                categorization.create_rule(user=user, **document)
            timings, preview = timed_dry_run(user, start, end, repeat)
            print(
                f"  {name:5} {rules} rules: scanned {preview.scanned:,}, would change {preview.total_changes:,}; "
                f"median {statistics.median(timings):.2f} s, max {max(timings):.2f} s over {repeat} dry runs"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a throw-away SQLite file)")
    parser.add_argument("--expenses", type=int, default=100_000)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    if options.database_url:
        check_database_url(options.database_url)
        ensure_database(options.database_url)
        run(options.database_url, expenses=options.expenses, rules=options.rules, repeat=options.repeat)
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'rules.db'}"
        run(url, expenses=options.expenses, rules=options.rules, repeat=options.repeat)


if __name__ == "__main__":
    main()
