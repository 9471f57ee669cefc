"""Reading CSV statements: the shared samples give what their manifest says, row by row errors."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expense_app.statements import csv_reader
from expense_app.statements.csv_settings import ROLES, CsvSettings, apply_answer
from expense_app.statements.dispatch import read_statement
from expense_app.statements.model import UnreadableFile

CSV_SAMPLES = (
    "csv-de_sparkasse-camtcsv_latin1.csv",
    "csv-uk_lloyds-debit_credit.csv",
    "csv-paypal_fr-multicurrency.csv",
    "csv-paypal-utf8_bom.csv",
)


def _totals(rows):
    """Manifest-shaped figures of read rows: counts and exact sums of absolute values."""
    debits = [r.amount for r in rows if r.amount < 0]
    credits = [r.amount for r in rows if r.amount > 0]
    return {
        "transactions": len(rows),
        "debits": len(debits),
        "credits": len(credits),
        "zero_amount": sum(1 for r in rows if r.amount == 0),
        "debit_sum": -sum(debits, Decimal(0)),
        "credit_sum": sum(credits, Decimal(0)),
    }


@pytest.mark.parametrize("name", CSV_SAMPLES)
def test_every_csv_sample_reads_as_its_manifest_says(sample, name):
    data, expected = sample(name)

    parsed = read_statement(data, filename=name)

    assert parsed.format == "csv"
    assert [r.error for r in parsed.rows if r.error] == []
    totals = _totals(parsed.rows)
    for key in ("transactions", "debits", "credits", "zero_amount"):
        assert totals[key] == expected[key], key
    assert sum(1 for r in parsed.rows if r.pending) == expected["pending"]
    if expected["debit_sum"] is not None:
        assert totals["debit_sum"] == Decimal(expected["debit_sum"])
        assert totals["credit_sum"] == Decimal(expected["credit_sum"])
    read_dates = [r.date for r in parsed.rows]
    assert min(read_dates) == dt.date.fromisoformat(expected["date_min"])
    assert max(read_dates) == dt.date.fromisoformat(expected["date_max"])
    ids = [r.external_id for r in parsed.rows if r.external_id]
    assert len(ids) == expected["ids_present"]
    assert len(set(ids)) == len(ids)


def test_multi_currency_sums_are_exact_per_currency(sample):
    data, expected = sample("csv-paypal_fr-multicurrency.csv")

    rows = read_statement(data).rows

    by_currency = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    assert set(by_currency) == set(expected["by_currency"])
    for currency, figures in expected["by_currency"].items():
        totals = _totals(by_currency[currency])
        assert totals["transactions"] == figures["transactions"]
        assert totals["debits"] == figures["debits"]
        assert totals["debit_sum"] == Decimal(figures["debit_sum"]), currency
        assert totals["credit_sum"] == Decimal(figures["credit_sum"]), currency


def test_single_currency_file_without_a_currency_column_uses_the_default(sample):
    data, _ = sample("csv-uk_lloyds-debit_credit.csv")
    detected = read_statement(data).settings

    parsed = read_statement(data, settings={**detected, "default_currency": "GBP"})

    assert {r.currency for r in parsed.rows} == {"GBP"}
    assert parsed.currency == "GBP"


def test_raw_is_every_cell_as_text_keyed_by_header_and_lines_count_from_the_file(sample):
    data, _ = sample("csv-uk_lloyds-debit_credit.csv")

    first = read_statement(data).rows[0]

    assert first.line == 2
    assert first.raw["Sort Code"] == "'99-88-74"  # the file's own text, apostrophe kept
    assert first.raw["Transaction Description"] == "ACME STORE CD 1417    14JAN24"
    assert first.raw["Credit Amount"] == ""
    assert first.amount == Decimal("-8.99")


def test_sparkasse_rows_keep_umlauts_and_join_payee_and_purpose(sample):
    data, _ = sample("csv-de_sparkasse-camtcsv_latin1.csv")

    rows = read_statement(data).rows

    pending = [r for r in rows if r.pending]
    assert [(r.amount, r.date) for r in pending] == [(Decimal("-22.59"), dt.date(2018, 4, 3))]
    books = next(r for r in rows if "Bücher" in r.description)
    assert books.description == "Wigald Boning — Bücher"
    assert books.raw["Verwendungszweck"] == "Bücher "
    assert any("Müller" in r.description for r in rows)


def _settings(**overrides) -> CsvSettings:
    base = {
        "delimiter": ",",
        "date_format": "%d/%m/%Y",
        "columns": {"date": "Date", "amount": "Amount", "description": "Text"},
    }
    return CsvSettings.from_dict({**base, **overrides})


def test_unreadable_cells_are_errors_in_words_on_their_row_only():
    text = 'Date,Amount,Text\n31/02/2026,-1.00,a\n01/02/2026,"12,3,4",b\n02/02/2026,-3.50,c\n'

    rows = csv_reader.read(text, _settings(thousands=","), max_rows=10).rows

    assert [r.error for r in rows] == [
        "Unreadable date `31/02/2026` (expected DD/MM/YYYY).",
        "Unreadable amount `12,3,4`.",
        None,
    ]
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[2].amount == Decimal("-3.50")


def test_formula_looking_cells_stay_text_exactly():
    text = 'Date,Amount,Text\n01/02/2026,-1.00,"=HYPERLINK(""http://x"")"\n01/02/2026,-2.00,+SUM(A1)\n01/02/2026,-3.00,@cmd\n'

    rows = csv_reader.read(text, _settings(), max_rows=10).rows

    assert [r.description for r in rows] == ['=HYPERLINK("http://x")', "+SUM(A1)", "@cmd"]
    assert rows[0].raw["Text"] == '=HYPERLINK("http://x")'


def test_debit_and_credit_columns_both_empty_is_an_error():
    settings = CsvSettings.from_dict(
        {"date_format": "%Y-%m-%d", "columns": {"date": "d", "debit": "out", "credit": "in"}}
    )
    text = "d,out,in\n2026-01-02,4.00,\n2026-01-03,,5\n2026-01-04,,\n2026-01-05,1.00,2.00\n"

    rows = csv_reader.read(text, settings).rows

    assert [r.amount for r in rows[:2]] == [Decimal("-4.00"), Decimal("5")]
    assert rows[2].error == "Both the debit and the credit amount are empty."
    assert rows[3].error == "The row has both a debit and a credit amount."


def test_direction_column_signs_unsigned_amounts():
    settings = CsvSettings.from_dict(
        {"date_format": "%Y-%m-%d", "columns": {"date": "d", "amount": "a", "direction": "impact"}}
    )
    text = "d,a,impact\n2026-01-02,4.00,Debit\n2026-01-03,5.00,Credit\n2026-01-04,-6.00,Debit\n"

    rows = csv_reader.read(text, settings).rows

    assert [r.amount for r in rows] == [Decimal("-4.00"), Decimal("5.00"), Decimal("-6.00")]


def test_ragged_rows_are_errors_and_blank_lines_are_ignored():
    text = (
        "Date,Amount,Text\n01/02/2026,-1.00,a\n01/02/2026,-1.00\n01/02/2026,-1.00,a,extra\n01/02/2026,-1.00,b,,\n\n\n"
    )

    rows = csv_reader.read(text, _settings(), max_rows=10).rows

    assert [r.error for r in rows] == [
        None,
        "This row has 2 cells where the header has 3.",
        "This row has 4 cells where the header has 3.",
        None,
    ]


def test_more_rows_than_the_limit_is_refused_with_the_limit_in_words():
    text = "Date,Amount,Text\n" + "01/02/2026,-1.00,a\n" * 4

    assert len(csv_reader.read(text, _settings(), max_rows=4).rows) == 4
    with pytest.raises(UnreadableFile, match="more than 3 transactions; split it"):
        csv_reader.read(text, _settings(), max_rows=3)


def test_a_column_the_settings_name_but_the_file_lacks_is_refused():
    with pytest.raises(UnreadableFile, match="`Amount` chosen for the amount is not in this file"):
        csv_reader.read("Date,Betrag,Text\n01/02/2026,-1,a\n", _settings())


def test_an_incomplete_mapping_marks_every_row_with_what_is_missing():
    settings = CsvSettings.from_dict({"columns": {"description": "Text"}})

    rows = csv_reader.read("Date,Amount,Text\n01/02/2026,-1,a\n", settings).rows

    assert rows[0].error == (
        "Choose the column that holds the date. "
        "Choose the column that holds the amount (or the debit and credit columns)."
    )
    assert rows[0].raw == {"Date": "01/02/2026", "Amount": "-1", "Text": "a"}


def test_a_file_without_header_is_read_by_column_index():
    settings = CsvSettings.from_dict(
        {
            "delimiter": ";",
            "has_header": False,
            "date_format": "%d.%m.%Y",
            "decimal": ",",
            "thousands": ".",
            "columns": {"date": "0", "amount": "2", "description": "1"},
        }
    )

    rows = csv_reader.read("01.02.2026;Miete;-1.234,56\n02.02.2026;Lohn;2.000,00\n", settings).rows

    assert [(r.date, r.amount, r.description) for r in rows] == [
        (dt.date(2026, 2, 1), Decimal("-1234.56"), "Miete"),
        (dt.date(2026, 2, 2), Decimal("2000.00"), "Lohn"),
    ]
    assert rows[0].raw == {"0": "01.02.2026", "1": "Miete", "2": "-1.234,56"}


def test_skipped_preamble_lines_still_count_for_line_numbers():
    text = "Konto;123\nZeitraum;Januar\n\nDatum;Betrag\n01.02.2026;-1,00\n"
    settings = CsvSettings.from_dict(
        {
            "delimiter": ";",
            "skip_rows": 3,
            "date_format": "%d.%m.%Y",
            "decimal": ",",
            "columns": {"date": "Datum", "amount": "Betrag"},
        }
    )

    rows = csv_reader.read(text, settings).rows

    assert [(r.line, r.amount) for r in rows] == [(5, Decimal("-1.00"))]


def test_positive_is_expense_negates_amounts():
    rows = csv_reader.read("Date,Amount,Text\n01/02/2026,12.50,a\n", _settings(amount_sign="positive_is_expense")).rows

    assert rows[0].amount == Decimal("-12.50")


def test_tags_and_category_come_from_their_columns():
    settings = CsvSettings.from_dict(
        {"columns": {"date": "d", "amount": "a", "category": "c", "tags": "t", "external_id": "id"}}
    )

    row = csv_reader.read('d,a,c,t,id\n2026-01-02,-1,Food," x, y ,",\n', settings).rows[0]

    assert (row.category, row.tags, row.external_id) == ("Food", ("x", "y"), None)


def test_zero_amounts_have_no_sign_and_currency_signs_become_codes():
    settings = CsvSettings.from_dict(
        {"decimal": ",", "thousands": ".", "columns": {"date": "d", "amount": "a", "currency": "c"}}
    )

    rows = csv_reader.read('d,a,c\n2026-01-02,"-0,00",€\n2026-01-03,"-1,00",£\n2026-01-04,1,$\n', settings).rows

    assert str(rows[0].amount) == "0.00"
    assert [r.currency for r in rows[:2]] == ["EUR", "GBP"]
    assert rows[2].error == "Unreadable currency `$`."


def test_a_zero_debit_with_an_empty_credit_is_a_zero_row():
    settings = CsvSettings.from_dict({"columns": {"date": "d", "debit": "out", "credit": "in"}})

    row = csv_reader.read("d,out,in\n2026-01-02,0.00,\n", settings).rows[0]

    assert (str(row.amount), row.error) == ("0.00", None)


def test_a_header_repeated_on_every_page_is_not_a_row():
    text = "Date,Amount,Text\n01/02/2026,-1.00,a\nDate,Amount,Text\n02/02/2026,-2.00,b\n"

    parsed = csv_reader.read(text, _settings())

    assert [(r.line, r.amount) for r in parsed.rows] == [(2, Decimal("-1.00")), (4, Decimal("-2.00"))]
    assert parsed.warnings == ["1 repeated header lines were left out."]


@pytest.mark.parametrize("name", CSV_SAMPLES)
def test_reading_again_with_the_returned_settings_gives_the_same_rows(sample, name):
    # The batch stores the settings and re-reads the file with them; dedupe fingerprints `raw`.
    data, _ = sample(name)
    first = read_statement(data)

    again = read_statement(data, settings=first.settings)

    assert again.rows == first.rows
    assert again.settings == first.settings


# CsvSettings: the one check of settings from outside (presets, forms, the API).


def test_settings_defaults_round_trip():
    assert CsvSettings.from_dict(CsvSettings().as_dict()) == CsvSettings()


def test_default_currency_is_upper_cased_and_checked():
    assert CsvSettings.from_dict({"default_currency": " eur "}).default_currency == "EUR"
    assert CsvSettings.from_dict({"default_currency": ""}).default_currency is None
    with pytest.raises(ValueError, match="three-letter code"):
        CsvSettings.from_dict({"default_currency": "EURO"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be an object"),
        ({"columns": {"date": "Date", "amount": "A", "debit": "D"}}, "not both"),
        ({"columns": {"direction": "D"}}, "needs an amount column"),
        ({"columns": {"date": ""}}, "must be a column name"),
        ({"quotechar": ","}, "quote character"),
        ({"has_header": "yes"}, "true or false"),
        ({"amount_sign": "sometimes"}, "amount_sign"),
        ({"debit_values": "debit"}, "list of texts"),
        ({"preset": "quicken"}, "Unknown built-in preset"),
        ({"date_format": "%Y-%m-%d" * 10}, "strptime pattern"),
    ],
)
def test_bad_values_are_refused_with_a_message(data, message):
    with pytest.raises(ValueError, match=message):
        CsvSettings.from_dict(data)


def test_missing_says_what_the_mapping_lacks():
    assert CsvSettings.from_dict({"columns": {"date": "d", "debit": "o", "credit": "i"}}).missing() == []
    assert CsvSettings().missing() == [
        "Choose the column that holds the date.",
        "Choose the column that holds the amount (or the debit and credit columns).",
    ]


def test_apply_answer_keeps_the_separators_apart_and_maps_columns():
    base = CsvSettings(decimal=".", thousands=",").as_dict()

    assert apply_answer(base, "decimal", ",")["thousands"] == "."
    assert apply_answer(base, "columns.amount", "Wieviel")["columns"] == {"amount": "Wieviel"}
    assert apply_answer(base, "date_format", "%m/%d/%Y")["date_format"] == "%m/%d/%Y"
    with pytest.raises(ValueError):
        apply_answer(base, "date_format", "nonsense")


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=12),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.sampled_from([*ROLES, "x"]), st.one_of(st.text(max_size=5), st.integers()), max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from([*CsvSettings.__dataclass_fields__, "other"]), _values, max_size=6))
def test_any_dict_gives_settings_or_a_value_error(data):
    try:
        parsed = CsvSettings.from_dict(data)
    except ValueError as error:
        assert str(error)
    else:
        assert CsvSettings.from_dict(parsed.as_dict()) == parsed


def test_balance_lines_inside_the_table_are_left_out():
    text = "Date,Amount,Text\nOpening balance,100.00,x\n01/02/2026,-1.00,a\nSaldo:,99.00,y\n"

    parsed = csv_reader.read(text, _settings())

    assert [(r.line, r.amount) for r in parsed.rows] == [(3, Decimal("-1.00"))]
    assert parsed.warnings == ["2 opening or closing balance lines were left out."]
