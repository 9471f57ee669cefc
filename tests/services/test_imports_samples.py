"""Every real sample of tests/import_samples/MANIFEST.json, imported and imported again.

What the manifest says each file holds is what the import must give: its debits become expenses
(their count and exact sum per currency), its credits are counted as money in and never imported,
zero amounts are refused, and a second import of the same file creates nothing.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense
from expense_app.services import imports
from tests import factories
from tests.services.import_files import SAMPLES as SAMPLES_DIR
from tests.services.import_files import manifest, sample

SAMPLES = manifest()


def expected_sums(entry: dict, base_currency: str) -> dict[str, Decimal]:
    if entry.get("by_currency"):
        return {code: Decimal(part["debit_sum"]) for code, part in entry["by_currency"].items()}
    return {entry["currency"] or base_currency: Decimal(entry["debit_sum"])}


def stored_sums(user) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in db.session.execute(
        sa.select(Expense.currency, Expense.amount).where(Expense.user_id == user.id)
    ):
        sums[currency] += amount
    return dict(sums)


@pytest.mark.parametrize("entry", SAMPLES, ids=[entry["file"] for entry in SAMPLES])
def test_a_sample_imports_its_debits_once(ctx, make_user, entry):
    # A file that names no currency (QIF, some bank CSVs) is in the user's base currency.
    single = entry["currency"] and not entry["currency"].startswith("MULTI")
    user = make_user(currency=entry["currency"] if single else "USD")
    data = sample(entry["file"])
    food = factories.category_id(user)
    batch = imports.create_batch(user=user, data=data, filename=entry["file"], default_category_id=food)
    assert batch.row_count == entry["transactions"]
    assert batch.counts["money_in"] == entry["credits"]
    assert batch.counts["error"] == entry["zero_amount"]
    assert batch.counts["new"] == entry["debits"]
    assert batch.debit_sums == expected_sums(entry, user.currency)
    committed = imports.commit_batch(user=user, batch_id=batch.id)
    assert committed.created_count == entry["debits"]
    assert stored_sums(user) == expected_sums(entry, user.currency)
    dates = db.session.execute(sa.select(sa.func.min(Expense.date), sa.func.max(Expense.date))).one()
    assert entry["date_min"] <= dates[0].isoformat() <= dates[1].isoformat() <= entry["date_max"]

    again = imports.create_batch(user=user, data=data, filename=entry["file"], default_category_id=food)
    assert again.counts["duplicate"] == entry["debits"] and again.counts["new"] == 0
    assert again.counts["possible_duplicate"] == 0 and again.included_count == 0
    assert imports.commit_batch(user=user, batch_id=again.id).created_count == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Expense.user_id == user.id)) == entry["debits"]


OWN = sorted(path.name for path in (SAMPLES_DIR / "own").iterdir() if path.is_file() and not path.name.endswith(".md"))


@pytest.mark.parametrize("name", OWN)
def test_our_own_fixtures_import_once_or_are_refused_whole(ctx, user, name):
    data = (SAMPLES_DIR / "own" / name).read_bytes()
    before = factories.all_rows()
    if name.startswith("evil"):
        with pytest.raises(ValidationFailed) as caught:
            imports.create_batch(user=user, data=data, filename=name)
        assert list(caught.value.errors) == ["file"]
        assert factories.all_rows() == before
        return
    food = factories.category_id(user)
    batch = imports.create_batch(user=user, data=data, filename=name, default_category_id=food)
    created = imports.commit_batch(user=user, batch_id=batch.id).created_count
    assert created == batch.included_count > 0
    again = imports.create_batch(user=user, data=data, filename=name, default_category_id=food)
    assert again.counts["new"] == again.counts["possible_duplicate"] == 0
    assert again.counts["duplicate"] == created
