"""Staging an import: size and kind checks, statuses, dedupe keys, proposals, edits, isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import ImportBatch, ImportRow
from expense_app.services import categorization, imports
from tests import factories
from tests.services.import_files import sample, statement


def rows_of(user, batch_id, status=None):
    return imports.list_rows(user=user, batch_id=batch_id, status=status, per_page=200).items


def stored_counts() -> tuple[int, int]:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)), db.session.scalar(
        sa.select(sa.func.count()).select_from(ImportRow)
    )


COFFEE = statement(
    [
        ("2026-03-12", "-3.50", "Coffee Corner"),
        ("2026-03-13", "-42.10", "Supermarket"),
        ("2026-03-14", "1200.00", "Salary"),
        ("2026-03-15", "0.00", "Card check"),
        ("2026-03-16", "-3.50", "Coffee Corner"),
    ]
)


def test_statuses_amounts_and_counts(ctx, user):
    batch = imports.create_batch(user=user, data=COFFEE, filename="march.csv", source="Checking")
    assert batch.status == "staged" and batch.format == "csv" and batch.row_count == 5
    assert batch.counts == {"new": 3, "duplicate": 0, "possible_duplicate": 0, "money_in": 1, "error": 1}
    assert batch.included_count == 3
    assert batch.debit_sums == {"USD": Decimal("49.10")}
    rows = rows_of(user, batch.id)
    assert [row.status for row in rows] == ["new", "new", "money_in", "error", "new"]
    assert rows[2].message == "Money in \u2014 not imported" and not rows[2].include
    assert rows[2].amount == Decimal("1200.00")  # stored positive
    assert rows[3].message == "The amount is 0.00: nothing was spent."
    assert rows[0].amount == Decimal("3.50") and rows[0].currency == "USD"
    assert "USD, your base currency" in " ".join(batch.warnings)
    assert rows[0].raw == {"Date": "2026-03-12", "Amount": "-3.50", "Description": "Coffee Corner"}


def test_dedupe_keys_are_computed_once_with_occurrences(ctx, user):
    data = statement([("2026-03-12", "-3.50", "Coffee"), ("2026-03-12", "-3.50", "Coffee")])
    batch = imports.create_batch(user=user, data=data, source="Checking")
    stored = db.session.execute(
        sa.select(ImportRow.source, ImportRow.fingerprint, ImportRow.occurrence)
        .where(ImportRow.batch_id == batch.id)
        .order_by(ImportRow.position)
    ).all()
    assert [row.source for row in stored] == ["Checking", "Checking"]
    assert stored[0].fingerprint == stored[1].fingerprint and len(stored[0].fingerprint) == 64
    assert [row.occurrence for row in stored] == [1, 2]


def test_source_defaults_to_the_account_else_the_csv_header(ctx, user):
    ofx = imports.create_batch(user=user, data=sample("ofx102-ofxparse-bank_medium.ofx"))
    assert ofx.source.startswith("ofx:") and "12345678" in ofx.source
    assert {row.status for row in rows_of(user, ofx.id)} == {"new"}
    plain = imports.create_batch(user=user, data=COFFEE)
    assert plain.source.startswith("csv:") and len(plain.source) == len("csv:") + 16
    given = imports.create_batch(user=user, data=COFFEE, source="  My card  ")
    assert given.source == "My card"
    assert set(db.session.scalars(sa.select(ImportRow.source).where(ImportRow.batch_id == given.id))) == {"My card"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "This file is empty"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100, ""),
        (b"\x00\x01\x02binary\xff\xfe" * 10, ""),
    ],
)
def test_bad_files_are_refused_and_store_nothing(ctx, user, data, message):
    with pytest.raises(ValidationFailed) as caught:
        imports.create_batch(user=user, data=data, filename="x.csv")
    assert list(caught.value.errors) == ["file"]
    assert message in caught.value.errors["file"][0]
    assert stored_counts() == (0, 0)


def test_an_oversized_file_is_refused_before_reading(app, ctx, user):
    app.config["IMPORT_MAX_BYTES"] = 10 * 1024 * 1024
    data = b"Date,Amount,Description\n" + b"2026-03-12,-1.00,x\n" * (11 * 1024 * 1024 // 19)
    with pytest.raises(ValidationFailed) as caught:
        imports.create_batch(user=user, data=data)
    assert caught.value.errors == {"file": ["This file is 11 MB; the largest file you can import is 10 MB."]}
    assert stored_counts() == (0, 0)


def test_rows_out_of_range_or_unsupported_are_errors(ctx, user):
    data = statement(
        [
            ("1899-12-31", "-1.00", "Too old", "USD"),
            ((dt.date.today() + dt.timedelta(days=800)).isoformat(), "-1.00", "Too late", "USD"),
            ("2026-03-12", "-1.00", "Dinar", "KWD"),
            ("2026-03-12", "-1.00", "Nowhere", "XYZ"),
            ("2026-03-12", "-100000000.00", "Huge", "USD"),
            ("2026-03-12", "-1.50", "Yen cents", "JPY"),
            ("2026-03-12", "-1.00", "Fine", "EUR"),
        ],
        columns=("Date", "Amount", "Description", "Currency"),
    )
    batch = imports.create_batch(user=user, data=data, source="x")
    rows = rows_of(user, batch.id)
    assert [row.status for row in rows] == ["error"] * 6 + ["new"]
    assert "KWD" in rows[2].message and "not supported" in rows[2].message
    assert "largest" in rows[4].message
    assert rows[6].currency == "EUR"
    assert batch.counts["error"] == 6


def test_a_reimport_is_all_duplicates(ctx, user):
    first = imports.create_batch(
        user=user, data=COFFEE, source="Checking", default_category_id=factories.category_id(user)
    )
    imports.commit_batch(user=user, batch_id=first.id)
    again = imports.create_batch(user=user, data=COFFEE, source="Checking")
    assert again.counts["duplicate"] == 3 and again.counts["new"] == 0 and again.included_count == 0
    duplicate = rows_of(user, again.id, "duplicate")[0]
    assert duplicate.duplicate_of is not None and duplicate.duplicate_of.description == "Coffee Corner"
    assert duplicate.message.startswith(
        "Already imported: the expense of 12 Mar 2026 \u201cCoffee Corner\u201d 3.50 USD"
    )


def test_the_same_external_id_twice_in_one_file(ctx, user):
    data = statement(
        [("2026-03-12", "-3.50", "Coffee", "A1"), ("2026-03-13", "-4.00", "Tea", "A1")],
        columns=("Date", "Amount", "Description", "Transaction ID"),
    )
    rows = rows_of(user, imports.create_batch(user=user, data=data, source="s").id)
    assert [row.status for row in rows] == ["new", "duplicate"]
    assert rows[1].message == "The same bank id as line 2 of this file."


def test_a_possible_duplicate_names_the_expense_it_resembles(ctx, user):
    expense_id = factories.create_expense(user, amount="3.50", date="2026-03-12", description="COFFEE CORNER 1234")
    data = statement([("2026-03-14", "-3.50", "Coffee Corner Berlin"), ("2026-03-20", "-3.50", "Coffee Corner")])
    rows = rows_of(user, imports.create_batch(user=user, data=data, source="s").id)
    assert [row.status for row in rows] == ["possible_duplicate", "new"]  # the second is 8 days away
    assert not rows[0].include
    assert rows[0].duplicate_of.id == expense_id
    assert rows[0].message == "Looks like the expense of 12 Mar 2026 \u201cCOFFEE CORNER 1234\u201d 3.50 USD"


def test_a_different_merchant_is_not_a_possible_duplicate(ctx, user):
    factories.create_expense(user, amount="3.50", date="2026-03-12", description="Bakery")
    rows = rows_of(
        user, imports.create_batch(user=user, data=statement([("2026-03-12", "-3.50", "Petrol station")])).id
    )
    assert rows[0].status == "new"


def test_proposals_file_rule_history_default(ctx, user):
    food, transport = factories.category_id(user, "Food"), factories.category_id(user, "Transport")
    savings = factories.create_category(user, name="Savings")
    categorization.create_rule(
        user=user,
        name="Trains",
        conditions=[{"field": "description", "operator": "contains", "value": "rail"}],
        actions=[{"type": "set_category", "category_id": transport}, {"type": "add_tags", "tags": ["travel"]}],
    )
    categorization.create_rule(
        user=user,
        name="Transfers",
        conditions=[{"field": "description", "operator": "contains", "value": "transfer"}],
        actions=[{"type": "skip"}],
    )
    for day in (1, 2, 3):
        factories.create_expense(
            user, amount="9.00", date=f"2026-01-0{day}", description="Pizza Place", category="Food"
        )
    data = statement(
        [
            ("2026-03-12", "-5.00", "Anything", "savings", "a,B"),
            ("2026-03-12", "-6.00", "Big Rail Co", "", ""),
            ("2026-03-12", "-7.00", "PIZZA PLACE 22", "", ""),
            ("2026-03-12", "-8.00", "Unknown shop", "", ""),
            ("2026-03-12", "-9.00", "Transfer to savings", "", ""),
            ("2026-03-12", "-10.00", "Gadgets", "Brand new", ""),
        ],
        columns=("Date", "Amount", "Description", "Category", "Tags"),
    )
    default = factories.category_id(user, "Shopping") if _has(user, "Shopping") else food
    batch = imports.create_batch(user=user, data=data, source="s", default_category_id=default)
    rows = rows_of(user, batch.id)
    assert (rows[0].category_id, rows[0].category_source, rows[0].tags) == (savings, "file", ["a", "b"])
    assert (rows[1].category_id, rows[1].category_source, rows[1].tags) == (transport, "rule", ["travel"])
    assert (rows[2].category_id, rows[2].category_source) == (food, "history")
    assert (rows[3].category_id, rows[3].category_source) == (default, "default")
    assert not rows[4].include and rows[4].message == "Skipped by rule \u201cTransfers\u201d"
    assert rows[5].new_category_name == "Brand new" and rows[5].category_id is None
    assert batch.included_count == 5


def _has(user, name) -> bool:
    try:
        factories.category_id(user, name)
    except AssertionError:
        return False
    return True


def test_update_rows_include_category_tags(ctx, user):
    batch = imports.create_batch(user=user, data=COFFEE, source="s")
    rows = rows_of(user, batch.id)
    food = factories.category_id(user)
    assert imports.update_rows(user=user, batch_id=batch.id, row_ids=[rows[0].id], include=False) == 1
    assert imports.update_rows(user=user, batch_id=batch.id, status="new", category_id=food, tags=["x"]) == 3
    assert imports.update_rows(user=user, batch_id=batch.id, row_ids=[rows[1].id], add_tags=["y", "x"]) == 1
    after = rows_of(user, batch.id)
    assert not after[0].include and after[0].category_id == food and after[0].category_source == "user"
    assert after[1].tags == ["x", "y"]
    assert imports.get_batch(user=user, batch_id=batch.id).included_count == 2
    with pytest.raises(ValidationFailed) as caught:
        imports.update_rows(user=user, batch_id=batch.id, row_ids=[rows[2].id], include=True)  # money in
    assert list(caught.value.errors) == ["include"]
    with pytest.raises(ValidationFailed):
        imports.update_rows(user=user, batch_id=batch.id, status="error", include=True)


def test_another_users_batch_rows_and_categories_are_not_found(ctx, user, other_user):
    batch = imports.create_batch(user=user, data=COFFEE, source="s")
    row_id = rows_of(user, batch.id)[0].id
    for call in (
        lambda: imports.get_batch(user=other_user, batch_id=batch.id),
        lambda: imports.list_rows(user=other_user, batch_id=batch.id),
        lambda: imports.update_rows(user=other_user, batch_id=batch.id, row_ids=[row_id], include=False),
        lambda: imports.commit_batch(user=other_user, batch_id=batch.id),
        lambda: imports.undo_batch(user=other_user, batch_id=batch.id),
        lambda: imports.edited_expenses(user=other_user, batch_id=batch.id),
        lambda: imports.update_batch(user=other_user, batch_id=batch.id, source="x"),
        lambda: imports.read_preview(user=other_user, batch_id=batch.id, settings={}),
    ):
        with pytest.raises(NotFound):
            call()
    other_batch = imports.create_batch(user=other_user, data=COFFEE, source="s")
    with pytest.raises(NotFound):  # a row of another batch
        imports.update_rows(
            user=user, batch_id=batch.id, row_ids=[rows_of(other_user, other_batch.id)[0].id], include=False
        )
    with pytest.raises(ValidationFailed) as caught:
        imports.update_rows(
            user=user, batch_id=batch.id, row_ids=[row_id], category_id=factories.category_id(other_user)
        )
    assert list(caught.value.errors) == ["category_id"]
    assert imports.list_batches(user=other_user).total == 1


def test_update_batch_restages_with_a_new_source_and_default(ctx, user):
    batch = imports.create_batch(user=user, data=COFFEE, source="one")
    food = factories.category_id(user)
    changed = imports.update_batch(user=user, batch_id=batch.id, default_category_id=food)
    assert changed.default_category_id == food
    assert {row.category_id for row in rows_of(user, batch.id, "new")} == {food}
    moved = imports.update_batch(user=user, batch_id=batch.id, source="two")
    assert moved.source == "two" and moved.row_count == 5
    assert {row.category_source for row in rows_of(user, batch.id, "new")} == {"default"}


def test_read_preview_stores_nothing(ctx, user):
    batch = imports.create_batch(user=user, data=COFFEE, source="s")
    before = stored_counts()
    preview = imports.read_preview(user=user, batch_id=batch.id, settings=batch.settings)
    assert preview.columns == ["Date", "Amount", "Description"]
    assert [row["status"] for row in preview.rows] == ["new", "new", "money_in", "error", "new"]
    assert stored_counts() == before


def test_staging_ten_thousand_rows_is_set_based(ctx, user):
    from tests.services.conftest import count_statements

    data = statement(
        [
            (f"2026-0{1 + n % 9}-{1 + n % 28:02d}", f"-{1 + n % 500}.{n % 100:02d}", f"Shop {n % 300}")
            for n in range(10_000)
        ]
    )
    for n in range(50):
        factories.create_expense(user, amount=f"{1 + n}.00", date="2026-02-02", description=f"Shop {n}")
    with count_statements(db.engine) as statements:
        batch = imports.create_batch(user=user, data=data, source="bulk")
    assert batch.row_count == 10_000
    assert sum(batch.counts.values()) == 10_000
    assert len(statements) < 200


def test_new_settings_reread_the_stored_file(ctx, user):
    data = statement([("03/04/2026", "-3.50", "Coffee")])
    batch = imports.create_batch(user=user, data=data, source="s")
    read = dict(batch.settings)
    other = "%m/%d/%Y" if read["date_format"] == "%d/%m/%Y" else "%d/%m/%Y"
    first_date = rows_of(user, batch.id)[0].date
    preview = imports.read_preview(user=user, batch_id=batch.id, settings={**read, "date_format": other})
    assert preview.rows[0]["date"] != first_date and rows_of(user, batch.id)[0].date == first_date
    changed = imports.update_batch(user=user, batch_id=batch.id, settings={**read, "date_format": other})
    assert changed.settings["date_format"] == other
    assert rows_of(user, batch.id)[0].date == preview.rows[0]["date"]
    with pytest.raises(ValidationFailed) as caught:
        imports.update_batch(user=user, batch_id=batch.id, settings={**read, "delimiter": "#"})
    assert list(caught.value.errors) == ["settings"]


def test_a_qif_file_takes_its_day_month_order(ctx, user):
    batch = imports.create_batch(user=user, data=sample("qif-quiffen-test_us_splits.qif"), source="q")
    before = {row.line: row.date for row in rows_of(user, batch.id)}
    order = batch.settings["date_order"]
    flipped = "dmy" if order == "mdy" else "mdy"
    imports.update_batch(user=user, batch_id=batch.id, settings={"date_order": flipped})
    after = {row.line: row.date for row in rows_of(user, batch.id)}
    assert after != before
    with pytest.raises(ValidationFailed):
        imports.update_batch(user=user, batch_id=batch.id, settings={"delimiter": ";"})


def test_a_committed_batch_cannot_be_edited(ctx, user):
    batch = imports.create_batch(user=user, data=COFFEE, source="s", default_category_id=factories.category_id(user))
    imports.commit_batch(user=user, batch_id=batch.id)
    with pytest.raises(ValidationFailed):
        imports.update_rows(user=user, batch_id=batch.id, status="new", include=False)
    with pytest.raises(ValidationFailed):
        imports.update_batch(user=user, batch_id=batch.id, source="x")


def test_an_empty_description_on_either_side_can_be_a_possible_duplicate(ctx, user):
    factories.create_expense(user, amount="7.00", date="2026-03-12", description="")
    factories.create_expense(user, amount="8.00", date="2026-03-12", description="Florist")
    data = statement([("2026-03-13", "-7.00", "Anything at all"), ("2026-03-11", "-8.00", "")])
    rows = rows_of(user, imports.create_batch(user=user, data=data, source="s").id)
    assert [row.status for row in rows] == ["possible_duplicate", "possible_duplicate"]
    assert rows[1].duplicate_of.description == "Florist"


def test_row_edits_refuse_bad_selections(ctx, user):
    batch = imports.create_batch(user=user, data=COFFEE, source="s")
    for selection, field in (
        ({}, "row_ids"),
        ({"row_ids": "1"}, "row_ids"),
        ({"row_ids": list(range(1, 1002))}, "row_ids"),
        ({"status": "nonsense"}, "status"),
        ({"status": "new", "tags": ["x" * 51]}, "tags"),
        ({"status": "new", "include": "yes"}, "include"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            imports.update_rows(user=user, batch_id=batch.id, **selection)
        assert field in caught.value.errors
    assert imports.update_rows(user=user, batch_id=batch.id, row_ids=[], include=False) == 0


def test_batches_are_listed_newest_first_with_their_names(ctx, user):
    food = factories.category_id(user)
    first = imports.create_batch(user=user, data=COFFEE, filename="a.csv", source="a", default_category_id=food)
    second = imports.create_batch(user=user, data=COFFEE, filename="b.csv", source="b")
    page = imports.list_batches(user=user, per_page=1)
    assert (page.total, [item.id for item in page.items]) == (2, [second.id])
    assert [item.id for item in imports.list_batches(user=user, page=2, per_page=1).items] == [first.id]
    shown = imports.get_batch(user=user, batch_id=first.id)
    assert (shown.filename, shown.default_category_name, shown.preset_name) == ("a.csv", "Food", None)
    with pytest.raises(ValidationFailed):
        imports.list_batches(user=user, per_page=0)
    with pytest.raises(NotFound):
        imports.get_batch(user=user, batch_id="nonsense")
