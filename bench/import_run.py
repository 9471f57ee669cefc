"""How long a 10,000-row bank CSV takes to preview and to commit against 100,000 expenses (issue 15).

Run from the repository root:

    python -m bench.import_run                      # a throw-away SQLite file
    python -m bench.import_run --database-url postgresql://root@127.0.0.1:5432/import_bench

The PostgreSQL database is created when missing and its schema rebuilt (the bench's name guard
applies: the name must contain `bench` and not `test`). One user gets `--expenses` expenses over
three years (the bench's bulk seeding), 20 categorisation rules, and then a German bank CSV of
`--rows` rows (`;`, Windows-1252, `1.234,56`, `DD.MM.YYYY`) is timed through the service:

- `preview`: `imports.create_batch` (decode, detect, parse, stage every row, certain and possible
  duplicates against the existing expenses, rules and learned suggestions);
- `first page`: `imports.list_rows` of the preview's first 50 rows;
- `commit`: `imports.commit_batch` (one transaction, set-based inserts);
- `re-import`: the same file again (every row a duplicate) previewed;
- `undo`: `imports.undo_batch` of the committed batch.

The file mixes what real statements hold: ~85 % debits with merchant-like payees, ~10 % money in,
and ~2 % rows copied from existing expenses (same day, amount and payee) that must come out as
possible duplicates. Peak memory (RSS growth of this process) is printed with the timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from bench.categorization_run import rule_documents
from bench.database import check_database_url, ensure_database
from bench.seeding import seed_user_expenses
from config import normalize_database_url
from expense_app import create_app
from expense_app.extensions import db
from expense_app.models import Category, Expense
from expense_app.services import accounts, categorization, imports

PAYEES = (
    "REWE Markt GmbH",
    "EDEKA Center",
    "Deutsche Bahn",
    "Shell Station 4711",
    "Amazon EU S.a.r.l.",
    "Stadtwerke München",
    "Apotheke am Markt",
    "Kino Cinemaxx",
    "Thalia Bücher",
    "Pizzeria Da Mario",
    "Café Müller",
    "Vodafone GmbH",
)


def _german(amount: Decimal) -> str:
    """`-1234.56` as `-1.234,56`."""
    text = f"{amount:,.2f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def bank_csv(rows: int, copies: list[tuple[dt.date, Decimal, str]], *, seed: int = 15) -> bytes:
    """A Sparkasse-like statement of `rows` rows, newest last, ending today; `copies` are existing
    expenses written into it as debits (possible duplicates)."""
    rng = random.Random(seed)  # noqa: S311 (sample data)
    today = dt.date.today()
    lines = ['"Buchungstag";"Valutadatum";"Beguenstigter/Zahlungspflichtiger";"Verwendungszweck";"Betrag";"Waehrung"']
    copy_every = max(rows // max(len(copies), 1), 1)
    for index in range(rows):
        day = today - dt.timedelta(days=(rows - index) * 1000 // rows)
        payee = rng.choice(PAYEES)
        purpose = f"Kartenzahlung {index:06d} Ref {rng.randrange(10**8):08d}"
        roll = rng.random()
        if copies and index % copy_every == 0 and index // copy_every < len(copies):
            day, amount, payee = copies[index // copy_every]
            amount = -amount
            purpose = "Kartenzahlung"
        elif roll < 0.10:
            amount = Decimal(rng.randrange(50_000, 350_000)) / 100  # salary, refunds: money in
            payee = "Arbeitgeber AG" if roll < 0.05 else payee
        else:
            amount = -(Decimal(int(100 + 20_000 * rng.random() ** 3)) / 100)
        lines.append(f'"{day:%d.%m.%Y}";"{day:%d.%m.%Y}";"{payee}";"{purpose}";"{_german(amount)}";"EUR"')
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, call, results: list[tuple[str, float]]):
    started = time.perf_counter()
    value = call()
    results.append((label, time.perf_counter() - started))
    return value


def run(url: str, *, expenses: int, rows: int, rules: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(url), "TESTING": True, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        user = accounts.register_user(email="import@bench.local", password="correct horse battery", currency="EUR")  # noqa: S106
        started = time.perf_counter()
        seed_user_expenses(user_id=user.id, count=expenses)
        seeded = time.perf_counter() - started
        categories = dict(
            db.session.execute(sa.select(Category.name, Category.id).where(Category.user_id == user.id)).all()
        )
        category_ids = list(categories.values())
        # What nothing else matched goes to one category, as a person would choose on the preview.
        default_category_id = categories.get("Other", category_ids[0])
        for document in rule_documents(rules, category_ids, regex=True):
            categorization.create_rule(user=user, **document)
        sample = db.session.execute(
            sa.select(Expense.date, Expense.amount, Expense.description)
            .where(Expense.user_id == user.id, Expense.currency == "EUR")
            .order_by(Expense.id)
            .limit(rows // 50)
        ).all()
        data = bank_csv(rows, [tuple(row) for row in sample])
        db.session.remove()
        print(
            f"{db.engine.dialect.name}: seeded {expenses:,} expenses in {seeded:.1f} s; "
            f"file {len(data) / 1024:.0f} KiB, {rows:,} rows; {rules} rules"
        )
        results: list[tuple[str, float]] = []
        rss_before = _rss_mib()
        batch = _timed(
            "preview",
            lambda: imports.create_batch(
                user=user, data=data, filename="bench.csv", default_category_id=default_category_id
            ),
            results,
        )
        db.session.remove()
        _timed("first page", lambda: imports.list_rows(user=user, batch_id=batch.id, per_page=50), results)
        db.session.remove()
        committed = _timed("commit", lambda: imports.commit_batch(user=user, batch_id=batch.id), results)
        db.session.remove()
        again = _timed("re-import", lambda: imports.create_batch(user=user, data=data, filename="bench.csv"), results)
        db.session.remove()
        _timed("undo", lambda: imports.undo_batch(user=user, batch_id=batch.id, edited="delete"), results)
        rss_after = _rss_mib()
        print(f"  preview counts {batch.counts}; committed {committed.created_count:,}; re-import {again.counts}")
        for label, seconds in results:
            print(f"  {label:10} {seconds:6.2f} s")
        print(f"  peak RSS {rss_after:.0f} MiB (grew {rss_after - rss_before:.0f} MiB during the import steps)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a throw-away SQLite file)")
    parser.add_argument("--expenses", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=20)
    options = parser.parse_args()
    if options.database_url:
        check_database_url(options.database_url)
        ensure_database(options.database_url)
        run(options.database_url, expenses=options.expenses, rows=options.rows, rules=options.rules)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(
            f"sqlite:///{Path(folder) / 'import.db'}", expenses=options.expenses, rows=options.rows, rules=options.rules
        )


if __name__ == "__main__":
    main()
