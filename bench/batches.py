"""The currency-mix bench user and the batch jobs timed on it: a 10,000-row CSV import (preview,
commit, undo), a dry run of 50 categorisation rules, and a base-currency change and back.

`bench-mix@bench.local` (bench.scenarios.MIX_EMAIL) is a EUR user whose expenses are drawn in the
currencies of bench.base_currency (EUR 55 %, USD, GBP, CHF, JPY, a few ARS), converted by the ECB
rates the data step loads (`flask rates load`); the last weeks, past the bundled rates, wait for
a rate as a real user's would. Its dashboard and analytics are load scenarios; the batch jobs run
in-process on it after the load steps, each through the app's own service, and leave it as they
found it: the import is undone and its batch deleted, the dry run writes nothing, the base
currency goes EUR -> USD -> EUR. The heavy user, whose list the other scenarios measure, is
never touched.

The jobs reuse the standalone benches' code (bench.import_run's bank file, bench.categorization_run's
rule sets, bench.base_currency's currency mix and stats check); those stay runnable alone.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

import sqlalchemy as sa

from bench.base_currency import CURRENCIES, stats_exact
from bench.categorization_run import rule_documents
from bench.import_run import bank_csv
from bench.report import log
from bench.scenarios import MIX_EMAIL
from bench.seeding import BENCH_PASSWORD, HISTORY_DAYS, TAGS, seed_user_expenses
from expense_app.extensions import db
from expense_app.models import Category, Expense, User
from expense_app.models.imports import ImportBatch
from expense_app.services import accounts, categorization, imports
from expense_app.services.base_currency import change_base_currency
from expense_app.services.tags import resolve_tags
from expense_app.services.unit_of_work import transaction

MIX_CURRENCY = "EUR"
IMPORT_ROWS = 10_000
RULES = 50
# bench.categorization_run's `mixed` set: one rule in five a regex, so every row is read and judged.
RULES_REGEX = True


def ensure_mix_user(count: int) -> dict:
    """Register the mix user if missing, give it the bench tags and the rules, top its expenses up to
    `count`; return what was done. A re-run with the same `count` adds nothing."""
    user = db.session.scalar(sa.select(User).where(User.email == MIX_EMAIL))
    created = user is None
    if created:
        user = accounts.register_user(
            email=MIX_EMAIL, password=BENCH_PASSWORD, full_name="Bench Mix", currency=MIX_CURRENCY
        )
    with transaction():
        resolve_tags(user=user, names=list(TAGS))
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Expense).where(Expense.user_id == user.id)) or 0
    db.session.commit()
    inserted = max(count - have, 0)
    if inserted:
        # A seed other than the ordinary users' 7, so a top-up never repeats rows already drawn.
        seed_user_expenses(user_id=user.id, count=inserted, currencies=CURRENCIES, seed=17 + have)
    rules = len(categorization.list_rules(user=user))
    if not rules:
        category_ids = list(db.session.scalars(sa.select(Category.id).where(Category.user_id == user.id)))
        for document in rule_documents(RULES, category_ids, regex=RULES_REGEX):
            categorization.create_rule(user=user, **document)
        rules = RULES
    return {"created": created, "expenses_before": have, "inserted": inserted, "rules": rules}


def _mix_user() -> User:
    db.session.remove()
    return db.session.scalar(sa.select(User).where(User.email == MIX_EMAIL))


def _count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Expense).where(Expense.user_id == user_id))


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def run_import(rows: int = IMPORT_ROWS) -> dict:
    """Preview, commit and undo a `rows`-row bank CSV for the mix user; delete the batch after."""
    user = _mix_user()
    user_id = user.id
    categories = dict(
        db.session.execute(sa.select(Category.name, Category.id).where(Category.user_id == user_id)).all()
    )
    sample = db.session.execute(
        sa.select(Expense.date, Expense.amount, Expense.description)
        .where(Expense.user_id == user_id, Expense.currency == MIX_CURRENCY)
        .order_by(Expense.id)
        .limit(rows // 50)
    ).all()
    data = bank_csv(rows, [tuple(row) for row in sample])
    db.session.remove()
    figures: dict = {"rows": rows, "expenses_before": _count(user_id)}
    figures["preview_s"], batch = _timed(
        lambda: imports.create_batch(
            user=user,
            data=data,
            filename="bench.csv",
            default_category_id=categories.get("Other", next(iter(categories.values()))),
        )
    )
    try:
        db.session.remove()
        figures["counts"] = batch.counts
        figures["commit_s"], committed = _timed(lambda: imports.commit_batch(user=user, batch_id=batch.id))
        figures["created"] = committed.created_count
        db.session.remove()
        figures["undo_s"], _ = _timed(lambda: imports.undo_batch(user=user, batch_id=batch.id, edited="delete"))
    finally:
        db.session.remove()
        with transaction() as session:  # the batch and its staged rows (cascade): nothing left behind
            session.execute(sa.delete(ImportBatch).where(ImportBatch.id == batch.id))
    figures["expenses_after"] = _count(user_id)
    db.session.remove()
    return figures


def run_dry_run() -> dict:
    """`categorization.dry_run` of the mix user's rules over its whole history."""
    user = _mix_user()
    today = dt.date.today()
    seconds, preview = _timed(
        lambda: categorization.dry_run(
            user=user, date_from=today - dt.timedelta(days=HISTORY_DAYS + 1), date_to=today, per_page=50
        )
    )
    rules = len(categorization.list_rules(user=user))
    return {"dry_run_s": seconds, "rules": rules, "scanned": preview.scanned, "would_change": preview.total_changes}


def run_base_change() -> dict:
    """EUR -> USD and back for the mix user, each checked against `expense_stats`."""
    figures: dict = {}
    for target in ("USD", MIX_CURRENCY):
        user = _mix_user()
        user_id = user.id
        seconds, rebase = _timed(lambda user=user, target=target: change_base_currency(user=user, currency=target))
        figures[f"to_{target}_s"] = seconds
        figures["expenses"] = rebase.expenses
        figures[f"stats_exact_{target}"] = stats_exact(user_id)
    return figures


def run_batches(app, *, repeat: int, import_rows: int = IMPORT_ROWS) -> dict:
    """Each batch job `repeat` times on the mix user; the timings, their medians and the last details."""
    jobs = {"import": lambda: run_import(import_rows), "dry_run": run_dry_run, "base_change": run_base_change}
    results: dict = {}
    with app.app_context():
        if db.session.scalar(sa.select(User.id).where(User.email == MIX_EMAIL)) is None:
            return {name: {"available": False, "reason": f"{MIX_EMAIL} is not seeded"} for name in jobs}
        for name, job in jobs.items():
            runs = []
            for _ in range(repeat):
                try:
                    runs.append(job())
                except Exception as error:  # one job's failure must not lose the others
                    db.session.rollback()
                    results[name] = {"available": False, "reason": f"{type(error).__name__}: {error}"}
                    break
            else:
                timings = {key for run in runs for key, value in run.items() if key.endswith("_s")}
                results[name] = {
                    "available": True,
                    "runs": runs,
                    "median_s": {key: statistics.median(run[key] for run in runs) for key in sorted(timings)},
                }
                log(f"  {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in results[name]["median_s"].items()))
        db.session.remove()
        vacuum_expenses()
    return results


def vacuum_expenses() -> None:
    """VACUUM (ANALYZE) what the jobs rewrote, so the next run's index-only scans find the
    visibility map as the seed left it (the base-currency change rewrites 100,000 rows twice)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("expenses", "expense_tags", "import_rows", "import_batches"):
                connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
