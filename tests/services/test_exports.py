"""CSV export without HTTP: format, filters, formula neutralisation and batched streaming."""

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense
from expense_app.models.base import utcnow
from expense_app.services import exports
from expense_app.services.unit_of_work import transaction
from tests.services.conftest import category_id_of

HEADER = "date,description,category,payment_method,amount,currency,base_amount,base_currency,tags,notes"
QUOTED_HEADER = ",".join(f'"{name}"' for name in HEADER.split(","))


def export_text(user, **kwargs) -> str:
    return "".join(exports.export_expenses_csv(user=user, **kwargs).chunks)


def export_rows(user, **kwargs) -> list[list[str]]:
    return list(csv.reader(io.StringIO(export_text(user, **kwargs), newline="")))


def test_header_and_rfc4180_rows(ctx, user, add_expense):
    add_expense(
        amount="1234.5",
        date=dt.date(2026, 3, 1),
        description='Say "cheese", please',
        tags=["b", "a"],
        notes="line one\nline two",
        payment_method="credit_card",
    )
    text = export_text(user)
    assert text.startswith(QUOTED_HEADER + "\r\n")
    assert text.endswith("\r\n")
    assert '"Say ""cheese"", please"' in text
    rows = export_rows(user)
    assert rows[0] == HEADER.split(",")
    assert rows[1] == [
        "2026-03-01",
        'Say "cheese", please',
        "Food",
        "credit_card",
        "1234.50",
        "USD",
        "1234.50",
        "USD",
        "a, b",
        "line one\nline two",
    ]


def test_every_field_is_quoted_so_a_semicolon_cannot_split_a_cell(ctx, user, add_expense):
    # In a locale whose list separator is ";", an unquoted x;=1+1 opens as "x" and a formula "=1+1".
    add_expense(amount="3", date=dt.date(2026, 3, 2), description="x;=1+1", notes="a;@SUM(A1)", tags=["t;=2"])
    line = export_text(user).split("\r\n")[1]
    assert line == '"2026-03-02","x;=1+1","Food","other","3.00","USD","3.00","USD","t;=2","a;@SUM(A1)"'


def test_export_is_named_by_the_utc_date(ctx, user):
    export = exports.export_expenses_csv(user=user)
    assert export.filename == f"expenses-{utcnow():%Y-%m-%d}.csv"
    assert export.mimetype == "text/csv"
    assert export.headers == {"Content-Disposition": f'attachment; filename="{export.filename}"'}


def test_filters_are_checked_when_the_export_is_made_not_when_it_is_read(ctx, user):
    # A generator function would only check them at the first chunk, after a 200 went out.
    for filters in ({"date_from": "banana"}, {"q": "x" * 101}, {"min_amount": "lots"}):
        with pytest.raises(ValidationFailed):
            exports.export_expenses_csv(user=user, filters=filters)


def test_unicode_survives(ctx, user, add_expense):
    add_expense(description="Café crème ☕", tags=["été"])
    row = export_rows(user)[1]
    assert (row[1], row[8]) == ("Café crème ☕", "été")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_neutralised(ctx, user, add_expense, start):
    expense_id = add_expense(tags=[f"{start}tag"], description="x")
    # Services trim text, so write the raw cells directly: the export must not rely on trimming.
    with transaction() as session:
        session.execute(
            sa.update(Expense).where(Expense.id == expense_id).values(description=f"{start}1+1", notes=f"{start}cmd")
        )
    row = export_rows(user)[1]
    assert row[1] == f"'{start}1+1"
    assert row[9] == f"'{start}cmd"
    # A tag is trimmed when stored, so only the visible prefixes survive into it.
    expected_tag = f"'{start}tag" if start.strip() else "tag"
    assert row[8] == expected_tag


def test_hyperlink_opens_as_text(ctx, user, add_expense):
    add_expense(description='=HYPERLINK("http://x")', amount="5")
    rows = export_rows(user)
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
    assert rows[1][4] == "5.00"


def test_neutralise_leaves_ordinary_text_alone():
    assert exports.neutralise("Lunch - team") == "Lunch - team"
    assert exports.neutralise("") == ""
    assert exports.neutralise("-5 off") == "'-5 off"
    # A cell starting with the guard itself is guarded too, so the import can tell them apart.
    assert exports.neutralise("'quoted") == "''quoted"


def test_same_filters_and_order_as_the_list(ctx, user, other_user, add_expense):
    add_expense(amount="1.00", date=dt.date(2026, 1, 1), description="old")
    add_expense(amount="2.00", date=dt.date(2026, 2, 1), description="new", tags=["x"])
    add_expense(
        amount="3.00", date=dt.date(2026, 2, 1), description="newer", category_id=category_id_of(user, "Health")
    )
    add_expense(owner=other_user, amount="9.00", description="not mine")
    assert [row[1] for row in export_rows(user)[1:]] == ["newer", "new", "old"]
    assert [row[1] for row in export_rows(user, sort="amount")[1:]] == ["old", "new", "newer"]
    assert [row[1] for row in export_rows(user, filters={"tags": ["x"]})[1:]] == ["new"]
    assert export_rows(user, filters={"category_ids": [category_id_of(other_user)]}) == [HEADER.split(",")]


def test_bad_filter_raises_before_any_output(ctx, user):
    with pytest.raises(ValidationFailed) as excinfo:
        exports.export_expenses_csv(user=user, filters={"min_amount": "lots"})
    assert "min_amount" in excinfo.value.errors
    with pytest.raises(ValidationFailed):
        exports.export_expenses_csv(user=user, sort="random")


def test_rows_are_streamed_in_batches_of_bounded_size(ctx, user, add_expense, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_SIZE", 10)
    for i in range(45):
        add_expense(amount=f"{i + 1}.00", tags=[f"t{i % 4}"])
    db.session.expire_all()
    db.session.expunge_all()

    chunks, loaded = [], []
    for chunk in exports.export_expenses_csv(user=user).chunks:
        chunks.append(chunk)
        loaded.append(sum(isinstance(obj, Expense) for obj in db.session.identity_map.values()))
    # Header, then one chunk per batch of 10; never more than a batch of expenses held at once.
    assert len(chunks) == 1 + 5
    assert max(loaded) <= 10
    assert sum(chunk.count("\r\n") for chunk in chunks) == 46
