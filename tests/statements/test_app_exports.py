"""Other apps' exports (and ours) are recognised by their header and read without a mapping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from expense_app.services.exports import HEADER, _row
from expense_app.statements import app_exports
from expense_app.statements.csv_settings import CsvSettings
from expense_app.statements.dispatch import read_statement
from expense_app.statements.model import UnreadableFile


def _expense(**fields):
    values = {
        "date": dt.date(2026, 1, 2),
        "description": "Coffee",
        "category": SimpleNamespace(name="Food"),
        "payment_method": "cash",
        "amount": Decimal("3.50"),
        "currency": "EUR",
        "base_amount": Decimal("3.50"),
        "tags": [],
        "notes": "",
    }
    values.update(fields)
    values["tags"] = [SimpleNamespace(name=name) for name in values["tags"]]
    return SimpleNamespace(**values)


def _our_export(expenses) -> bytes:
    """The CSV this app's export writes (services/exports.py: header, `_row`, CRLF, all quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    writer.writerows(_row(expense, "EUR") for expense in expenses)
    return buffer.getvalue().encode("utf-8")


def test_our_own_export_reads_back_identical_fields():
    expenses = [
        _expense(),
        _expense(
            date=dt.date(2025, 12, 31),
            description='=HYPERLINK("http://evil")  two  spaces',
            category=SimpleNamespace(name="+Travel"),
            payment_method="credit_card",
            amount=Decimal("1234.56"),
            currency="USD",
            base_amount=None,
            tags=["-minus", "trip, 2025", "plain"],
            notes="@note\nsecond line ",
        ),
        _expense(description="'quoted by me", tags=["x"], notes="-3"),
    ]

    parsed = read_statement(_our_export(expenses))

    assert parsed.builtin_preset == "expense_manager"
    assert parsed.questions == []
    got = [
        (r.date, -r.amount, r.currency, r.description, r.category, r.payment_method, list(r.tags), r.notes)
        for r in parsed.rows
    ]
    want = [
        (
            e.date,
            e.amount,
            e.currency,
            e.description,
            e.category.name,
            e.payment_method,
            [t.name for t in e.tags],
            e.notes,
        )
        for e in expenses
    ]
    # A tag holding ", " cannot survive a ", "-joined cell; everything else must.
    want[1] = (*want[1][:6], ["-minus", "trip", "2025", "plain"], want[1][7])
    assert got == want
    assert all(r.error is None for r in parsed.rows)


def test_ihatemoney_csv_export_bills_are_expenses():
    text = (
        "date,what,amount,currency,payer_name,payer_weight,owers\n"
        "2017-01-01,refund,13.33,XXX,tata,1.0,fred\n"
        '2016-12-31,red wine,200.0,EUR,fred,1.0,"zorglub, tata"\n'
    )

    parsed = read_statement(text.encode(), settings=None)

    assert parsed.builtin_preset == "ihatemoney"
    assert [(r.date, r.amount, r.currency, r.description, r.notes) for r in parsed.rows] == [
        (dt.date(2017, 1, 1), Decimal("-13.33"), None, "refund", "Paid by tata for fred"),
        (dt.date(2016, 12, 31), Decimal("-200.0"), "EUR", "red wine", "Paid by fred for zorglub, tata"),
    ]


def test_ihatemoney_before_currencies_still_reads():
    text = "date,what,amount,payer_name,payer_weight,owers\n2016-12-31,fromage à raclette,10.0,zorglub,2.0,fred\n"

    parsed = read_statement(text.encode())

    assert parsed.builtin_preset == "ihatemoney"
    assert [(r.amount, r.currency, r.description) for r in parsed.rows] == [
        (Decimal("-10.0"), None, "fromage à raclette")
    ]


def test_ihatemoney_json_export():
    bills = [
        {
            "date": "2017-01-01",
            "what": "refund",
            "amount": 13.33,
            "currency": "XXX",
            "payer_name": "tata",
            "payer_weight": 1.0,
            "owers": ["fred"],
        },
        {
            "date": "2016-12-31",
            "what": "fromage \xe0 raclette",
            "amount": 10.0,
            "currency": "CAD",
            "payer_name": "zorglub",
            "payer_weight": 2.0,
            "owers": ["zorglub", "fred"],
        },
        {"date": "2016-13-01", "what": "bad", "amount": "x"},
    ]

    parsed = read_statement(json.dumps(bills).encode())

    assert (parsed.format, parsed.builtin_preset) == ("json", "ihatemoney")
    assert [(r.line, r.date, r.amount, r.currency) for r in parsed.rows[:2]] == [
        (1, dt.date(2017, 1, 1), Decimal("-13.33"), None),
        (2, dt.date(2016, 12, 31), Decimal("-10.0"), "CAD"),
    ]
    assert parsed.rows[1].raw["owers"] == "zorglub, fred"
    assert parsed.rows[2].error == "Unreadable date `2016-13-01` (expected YYYY-MM-DD). Unreadable amount `x`."


@pytest.mark.parametrize("document", ["{}", '[{"a": 1}]', '{"bills": []}', "[1, 2]"])
def test_other_json_is_refused(document):
    with pytest.raises(UnreadableFile, match="not an ihatemoney export"):
        read_statement(document.encode())


def test_firefly_export_reads_withdrawals_and_leaves_out_opening_balances():
    header = (
        "user_id,group_id,journal_id,created_at,updated_at,group_title,type,currency_code,amount,"
        "foreign_currency_code,foreign_amount,primary_currency_code,pc_amount,pc_foreign_amount,description,"
        "date,source_name,source_iban,source_type,destination_name,destination_iban,destination_type,"
        "reconciled,category,budget,bill,tags,notes,external_id"
    )
    rows = [
        "1,10,101,2026-01-02T10:00:00+01:00,2026-01-02T10:00:00+01:00,,Withdrawal,EUR,-12.34,,,EUR,-12.34,,"
        "Groceries,2026-01-02T00:00:00+01:00,Checking,,Asset account,Albert Heijn,,Expense account,false,Food,"
        ',,"weekly,shop",bought milk,',
        "1,11,102,2026-01-03T10:00:00+01:00,2026-01-03T10:00:00+01:00,,Deposit,EUR,2500.00,,,EUR,2500.00,,"
        "Salary,2026-01-03T00:00:00+01:00,Employer,,Revenue account,Checking,,Asset account,false,,,,,,",
        "1,12,103,2026-01-01T10:00:00+01:00,2026-01-01T10:00:00+01:00,,Opening balance,EUR,-100.00,,,EUR,"
        "-100.00,,Opening,2026-01-01T00:00:00+01:00,Checking,,Asset account,Initial,,Initial balance account,"
        "false,,,,,,",
    ]

    parsed = read_statement(("\n".join([header, *rows]) + "\n").encode())

    assert parsed.builtin_preset == "firefly"
    assert [(r.date, r.amount, r.currency, r.external_id) for r in parsed.rows] == [
        (dt.date(2026, 1, 2), Decimal("-12.34"), "EUR", "101"),
        (dt.date(2026, 1, 3), Decimal("2500.00"), "EUR", "102"),
    ]
    groceries = parsed.rows[0]
    assert (groceries.description, groceries.category, groceries.tags, groceries.notes) == (
        "Albert Heijn",
        "Food",
        ("weekly", "shop"),
        "Groceries\nbought milk",
    )
    assert parsed.warnings == ["1 Firefly III opening balance or reconciliation records were left out."]


def test_actual_export_reads_split_parts_not_their_parent():
    text = (
        "Account,Date,Payee,Notes,Category,Amount,Split_Amount,Cleared\n"
        "Checking,2026-01-05,Supermarket,(SPLIT INTO 2) ,,0,-50,Cleared\n"
        "Checking,2026-01-05,Supermarket,(SPLIT 1 OF 2) food,Food,-30,0,Cleared\n"
        "Checking,2026-01-05,Supermarket,(SPLIT 2 OF 2) ,Household,-20,0,Cleared\n"
        "Checking,2026-01-06,'=cmd,,Fun,-2.5,0,Not cleared\n"
        "Checking,2026-01-07,Employer,,Income,1000,0,Reconciled\n"
    )

    parsed = read_statement(text.encode())

    assert parsed.builtin_preset == "actual"
    assert [(r.amount, r.description, r.category, r.notes) for r in parsed.rows] == [
        (Decimal("-30"), "Supermarket", "Food", "food"),
        (Decimal("-20"), "Supermarket", "Household", ""),
        (Decimal("-2.5"), "=cmd", "Fun", ""),
        (Decimal("1000"), "Employer", "Income", ""),
    ]
    assert parsed.warnings == ["1 split transactions were read as their parts."]


def test_older_actual_export_header_is_recognised():
    header = ["Account", "Date", "Payee", "Notes", "Category", "Amount", "Cleared", "Reconciled"]

    assert app_exports.detect_builtin(header) == "actual"


def test_headers_that_are_no_app_export_are_not_claimed():
    assert app_exports.detect_builtin(["Date", "Amount", "Description"]) is None
    # This app's header with a column missing is not this app's export.
    assert app_exports.detect_builtin(["date", "description", "amount", "currency"]) is None


def test_every_builtin_preset_has_valid_settings_and_recognises_its_own_header():
    for key, preset in app_exports.BUILTIN_PRESETS.items():
        settings = CsvSettings.from_dict(preset["settings"])
        assert settings.preset == key
        assert preset["name"]
        assert app_exports.detect_builtin(list(preset["header"])) == key


def test_unneutralise_only_removes_the_guard():
    assert app_exports.unneutralise("'=1+1") == "=1+1"
    assert app_exports.unneutralise("'-5") == "-5"
    assert app_exports.unneutralise("'99-88-74") == "'99-88-74"
    assert app_exports.unneutralise("plain") == "plain"


def test_our_export_saved_again_by_a_german_spreadsheet_still_reads():
    text = (
        "date;description;category;payment_method;amount;currency;base_amount;base_currency;tags;notes\r\n"
        "02.01.2026;Bäcker;Food;cash;3,50;EUR;3,50;EUR;;\r\n"
        "03.01.2026;Miete;Home;bank_transfer;1.200,00;EUR;1.200,00;EUR;fix, monthly;Januar\r\n"
    )

    parsed = read_statement(text.encode("cp1252"))

    assert parsed.builtin_preset == "expense_manager"
    assert parsed.questions == []
    assert [(r.date, r.amount, r.description, r.tags) for r in parsed.rows] == [
        (dt.date(2026, 1, 2), Decimal("-3.50"), "Bäcker", ()),
        (dt.date(2026, 1, 3), Decimal("-1200.00"), "Miete", ("fix", "monthly")),
    ]


@pytest.mark.parametrize("text", ["=1+1", "'=1+1", "'quoted", "''", "-5 off", "plain", "'", "@home"])
def test_the_formula_guard_round_trips_every_text(text):
    from expense_app.statements.spreadsheet_safety import neutralise, unneutralise

    assert unneutralise(neutralise(text)) == text
