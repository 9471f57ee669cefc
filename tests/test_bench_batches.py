"""The currency-mix bench user and the batch jobs of `make bench` (bench/batches.py): seeded
idempotently, and every job leaves the data as it found it. Small numbers; both databases.
"""

import sqlalchemy as sa

from bench.base_currency import CURRENCIES, stats_exact
from bench.batches import RULES, ensure_mix_user, run_base_change, run_batches, run_dry_run, run_import
from bench.scenarios import MIX_EMAIL
from bench.seeding import BENCH_PASSWORD, HEAVY_EMAIL, seed_bench
from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.models.imports import ImportBatch, ImportRow
from expense_app.services import accounts


def _mix_user() -> User:
    return db.session.scalar(sa.select(User).where(User.email == MIX_EMAIL))


def _snapshot(user_id: int) -> list[tuple]:
    return db.session.execute(
        sa.select(Expense.id, Expense.amount, Expense.currency, Expense.base_amount, Expense.fx_source)
        .where(Expense.user_id == user_id)
        .order_by(Expense.id)
    ).all()


def test_the_mix_user_is_seeded_once_in_a_currency_mix_with_its_rules(ctx):
    first = ensure_mix_user(300)
    again = ensure_mix_user(300)
    more = ensure_mix_user(350)

    assert (first["created"], first["inserted"], first["rules"]) == (True, 300, RULES)
    assert (again["created"], again["inserted"], again["rules"]) == (False, 0, RULES)
    assert (more["expenses_before"], more["inserted"]) == (300, 50)
    user = _mix_user()
    assert user.currency == "EUR"
    assert accounts.authenticate(email=MIX_EMAIL, password=BENCH_PASSWORD) is not None
    currencies = set(db.session.scalars(sa.select(Expense.currency).where(Expense.user_id == user.id).distinct()))
    assert {"EUR", "USD", "GBP"} <= currencies <= set(CURRENCIES)
    # No rates loaded: the foreign ones wait for a rate, the EUR ones are already in the base currency.
    waiting = db.session.scalar(
        sa.select(sa.func.count()).where(Expense.user_id == user.id, Expense.fx_source.is_(None))
    )
    assert 0 < waiting < 350
    assert stats_exact(user.id)


def test_the_batch_jobs_leave_the_mix_user_as_found_and_never_touch_the_heavy_user(ctx):
    seed_bench(users=0, per_user=0, heavy=40)
    ensure_mix_user(400)
    user_id = _mix_user().id
    heavy_id = db.session.scalar(sa.select(User.id).where(User.email == HEAVY_EMAIL))
    before, heavy_before = _snapshot(user_id), _snapshot(heavy_id)

    imported = run_import(200)
    dry = run_dry_run()
    rebased = run_base_change()

    assert imported["created"] > 0 and imported["expenses_before"] == imported["expenses_after"] == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportRow)) == 0
    assert dry["scanned"] == 400 and dry["rules"] == RULES
    assert rebased["expenses"] == 400 and rebased["stats_exact_USD"] and rebased["stats_exact_EUR"]
    db.session.expire_all()
    assert _mix_user().currency == "EUR"
    assert _snapshot(user_id) == before
    assert _snapshot(heavy_id) == heavy_before


def test_run_batches_reports_medians_and_a_missing_user(app):
    assert run_batches(app, repeat=1)["import"] == {"available": False, "reason": f"{MIX_EMAIL} is not seeded"}
    with app.app_context():
        ensure_mix_user(150)
    results = run_batches(app, repeat=2, import_rows=100)

    assert {name: entry["available"] for name, entry in results.items()} == {
        "import": True,
        "dry_run": True,
        "base_change": True,
    }
    assert len(results["import"]["runs"]) == 2
    assert set(results["import"]["median_s"]) == {"preview_s", "commit_s", "undo_s"}
    assert set(results["base_change"]["median_s"]) == {"to_USD_s", "to_EUR_s"}
