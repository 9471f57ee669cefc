"""The QIF reader: the quiffen sample yields what MANIFEST.json says (investment records left
out, splits kept whole), Mac Roman with CR line ends, European dates and amounts, the day/month
question and its answer, row errors, limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings

from expense_app.statements import qif
from expense_app.statements.model import UnreadableFile
from tests.statements import damaged, expected, figures, manifest, sample

US = "qif-quiffen-test_us_splits.qif"


def bank(*records: str) -> bytes:
    return ("!Type:Bank\n" + "".join(f"{record}\n^\n" for record in records)).encode()


def test_the_sample_yields_what_the_manifest_says():
    entry = manifest(US)
    parsed = qif.read(sample(US), max_rows=100_000)
    assert parsed.format == "qif"
    assert figures(parsed) == expected(entry)
    assert parsed.currency is None and all(row.currency is None for row in parsed.rows)
    investments = entry["extra"]["investment"]["transactions"]
    assert parsed.warnings == [f"{investments} investment record was left out."]
    assert parsed.questions == []
    assert parsed.settings == {"date_order": "mdy"}


def test_splits_categories_classes_transfers_and_check_numbers():
    rows = qif.read(sample(US), max_rows=100).rows
    opening, phone, _, target, walmart, amazon = rows
    # A [Account] is a transfer, not a category.
    assert opening.category is None and opening.notes == "Transfer: TestExport"
    assert opening.amount == 0
    # The record's total stays the amount; splits go into the notes; the class becomes a tag.
    assert phone.amount == Decimal("67.50")
    assert phone.category == "Bills:Cell Phone" and phone.tags == ("Test class",)
    assert phone.notes == (
        "Splits: Bills:Cell Phone/Test class -15.00 (sign up credit), Bills:Cell Phone/Test class 82.50 (new account)"
    )
    assert target.notes.startswith("two transactions, equal; Splits: Food:Groceries -5.00 (50%)")
    assert walmart.notes == "non split transaction; Check number: 123"
    assert walmart.description == "Walmart"
    # The first D line is the record's date; a D inside its splits is not.
    assert amazon.date == dt.date(2020, 2, 10)
    assert amazon.amount == Decimal("-100.00")
    assert [row.line for row in rows] == [29, 35, 46, 52, 64, 72]
    assert amazon.raw["T"] == "-100.00" and amazon.raw["P"] == "Amazon.com"


def test_mac_roman_with_cr_line_ends():
    parsed = qif.read(sample("own/qif-macroman-cr.qif"), max_rows=100)
    rows = parsed.rows
    assert [row.description for row in rows] == ["Café de Flore", "Loyer décembre", "Salaire"]
    assert rows[0].notes == "Crème brûlée et café"
    assert rows[1].notes == "Transfer: Épargne"
    assert parsed.account == "Compte chèques"
    # Two-digit years after an apostrophe are 2000s; Quicken pads the day with a space.
    assert [row.date for row in rows] == [
        dt.date(2025, 12, 3),
        dt.date(2025, 12, 14),
        dt.date(2025, 12, 24),
    ]
    assert [row.amount for row in rows] == [
        Decimal("-18.40"),
        Decimal("-1250.00"),
        Decimal("2000.00"),
    ]
    assert [row.line for row in rows] == [6, 12, 17]


def test_european_dates_and_amounts_are_detected():
    parsed = qif.read(sample("own/qif-european-dates.qif"), max_rows=100)
    assert parsed.settings == {"date_order": "dmy"}
    assert parsed.questions == []
    assert [(row.date, row.amount) for row in parsed.rows] == [
        (dt.date(2026, 11, 3), Decimal("-1234.56")),
        (dt.date(2026, 11, 14), Decimal("-45.90")),
        (dt.date(2026, 11, 28), Decimal("2500.00")),
        (dt.date(2026, 11, 30), Decimal("-3.20")),  # the !Type:Cash section
    ]
    assert parsed.rows[1].description == "Buchhandlung Hugendubel"


def test_ambiguous_dates_ask_and_the_answer_is_obeyed():
    data = bank("D01/02/2026\nT-5.00\nPA", "D03/04/2026\nT-6.00\nPB")
    parsed = qif.read(data, max_rows=100)
    (question,) = parsed.questions
    assert question.setting == "date_order" and question.options == ["mdy", "dmy"]
    assert [row.date for row in parsed.rows] == [dt.date(2026, 1, 2), dt.date(2026, 3, 4)]
    answered = qif.read(data, max_rows=100, settings={"date_order": "dmy"})
    assert answered.questions == [] and answered.settings == {"date_order": "dmy"}
    assert [row.date for row in answered.rows] == [dt.date(2026, 2, 1), dt.date(2026, 4, 3)]


def test_a_setting_overrides_detection():
    data = bank("D02/14/2026\nT-5.00\nPA")
    parsed = qif.read(data, max_rows=100, settings={"date_order": "dmy"})
    assert parsed.rows[0].error == "Unreadable date `02/14/2026`."


@pytest.mark.parametrize(
    ("text", "order", "date"),
    [
        ("2/14'2020", "mdy", dt.date(2020, 2, 14)),
        ("2/14' 2020", "mdy", dt.date(2020, 2, 14)),
        (" 2/ 4'20", "mdy", dt.date(2020, 2, 4)),
        ("2/14/20", "mdy", dt.date(2020, 2, 14)),
        ("12/31/99", "mdy", dt.date(1999, 12, 31)),
        ("14/2/2020", "dmy", dt.date(2020, 2, 14)),
        ("14.02.2020", "mdy", dt.date(2020, 2, 14)),  # dotted dates are day first anywhere
        ("2020-02-14", "dmy", dt.date(2020, 2, 14)),
        ("2/30/2020", "mdy", None),
        ("yesterday", "mdy", None),
    ],
)
def test_date_forms(text, order, date):
    assert qif.parse_date(text, order=order) == date


def test_bad_records_are_row_errors_and_the_others_are_read():
    data = bank("D2/30/2026\nT-1.00\nPA", "D2/3/2026\nT1O.00\nPB", "T-3.00\nPC", "D2/4/2026\nT-4.00")
    rows = qif.read(data, max_rows=100).rows
    assert [row.error for row in rows] == [
        "Unreadable date `2/30/2026`.",
        "Unreadable amount `1O.00`.",
        "The record has no date.",
        None,
    ]
    # Without a payee the memo (here none) is the description.
    assert rows[3].amount == Decimal("-4.00") and rows[3].description == ""


def test_a_record_cut_by_the_end_of_the_file_is_flagged():
    data = sample(US)
    cut = data[: data.index(b"T-25.00") + 5]  # inside Walmart's record: "T-25."
    rows = qif.read(cut, max_rows=100).rows
    assert len(rows) == 5
    assert rows[-1].error == ("The file ends inside this record (no closing ^ line); it may be incomplete.")


def test_more_records_than_max_rows_is_refused():
    with pytest.raises(UnreadableFile, match="more than 5 transactions"):
        qif.read(sample(US), max_rows=5)
    assert len(qif.read(sample(US), max_rows=6).rows) == 6


def test_garbage_and_other_formats_are_refused():
    for data in (b"", b"D2/14'2020\nT1\n^\n", sample("ofx102-ofxparse-bank_medium.ofx"), b"\xff\xfe"):
        with pytest.raises(UnreadableFile):
            qif.read(data, max_rows=100)


def test_looks_like():
    assert qif.looks_like(sample(US))  # after its `###` comment lines
    assert qif.looks_like(sample("own/qif-macroman-cr.qif"))
    assert qif.looks_like(b"\xef\xbb\xbf!Type:CCard\r\n")
    for other in ("ofx102-ofxparse-bank_medium.ofx", "mt940-jejik-abnamro.sta", "csv-paypal-utf8_bom.csv"):
        assert not qif.looks_like(sample(other))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(damaged(sample(US)) | damaged(sample("own/qif-macroman-cr.qif")))
def test_damaged_files_never_raise_anything_but_unreadable_file(data):
    try:
        parsed = qif.read(data, max_rows=100)
    except UnreadableFile:
        return
    for row in parsed.rows:
        assert row.error or (row.date is not None and row.amount is not None)


def test_whole_number_amounts_with_thousands_commas():
    rows = qif.read(bank("D1/15/2026\nT-1,250\nPRent", "D1/16/2026\nT-7\nPBus"), max_rows=100).rows
    assert [row.amount for row in rows] == [Decimal("-1250"), Decimal("-7")]


def test_account_lists_other_sections_and_lists_are_handled():
    data = (
        b"!Option:AutoSwitch\n!Account\nNChecking\nTBank\n^\nNVisa\nTCCard\n^\n!Clear:AutoSwitch\n"
        b"!Type:Cat\nNFood\nE\n^\n!Type:Memorized\nPNetflix\nT-9.99\n^\n"
        b"!Account\nNVisa\nTCCard\n^\n!Type:CCard\nD1/5/2026\nT-12.00\nPCinema\n^\n"
        b"!Account\nNLoan\nTOth L\n^\n!Type:Oth L\nD1/6/2026\nU-100.00\nPLoan payment\n^\n"
    )
    parsed = qif.read(data, max_rows=100)
    assert [(row.account, row.description, row.amount) for row in parsed.rows] == [
        ("Visa", "Cinema", Decimal("-12.00")),
        ("Loan", "Loan payment", Decimal("-100.00")),  # U when there is no T
    ]
    assert parsed.account is None and parsed.warnings == []
