"""Detection proposes CSV settings from the text alone and asks only what it cannot know."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from expense_app.statements import csv_detect
from expense_app.statements.csv_settings import CsvSettings, apply_answer
from expense_app.statements.decoding import decode
from expense_app.statements.dispatch import read_statement
from expense_app.statements.model import UnreadableFile


def test_sparkasse_is_detected_without_a_question(sample):
    data, expected = sample("csv-de_sparkasse-camtcsv_latin1.csv")
    text, encoding = decode(data)

    settings, questions = csv_detect.detect(text)

    assert encoding in {"cp1252", "latin-1"}
    assert (settings.delimiter, settings.date_format, settings.decimal) == (";", "%d.%m.%y", ",")
    assert settings.columns["date"] == expected["columns"]["date"]
    assert settings.columns["amount"] == expected["columns"]["amount"]
    assert settings.columns["currency"] == "Waehrung"
    assert settings.columns["status"] == "Info"
    assert "Valutadatum" not in settings.columns.values()
    assert questions == []


def test_lloyds_uses_debit_and_credit_and_never_the_balance(sample):
    data, expected = sample("csv-uk_lloyds-debit_credit.csv")

    settings, questions = csv_detect.detect(decode(data)[0])

    assert settings.columns["debit"] == expected["columns"]["debit"]
    assert settings.columns["credit"] == expected["columns"]["credit"]
    assert "Balance" not in settings.columns.values()
    assert "amount" not in settings.columns
    assert settings.date_format == "%d/%m/%Y"
    assert questions == []


def test_paypal_fr_reads_french_headers_and_no_break_space_thousands(sample):
    data, _ = sample("csv-paypal_fr-multicurrency.csv")

    settings, questions = csv_detect.detect(decode(data)[0])

    assert settings.columns["amount"] == "Brut"
    assert settings.columns["currency"] == "Devise"
    assert settings.columns["external_id"] == "N° de transaction"
    assert "Solde" not in settings.columns.values()
    assert (settings.decimal, settings.thousands) == (",", "\u00a0")
    assert settings.date_format == "%m/%d/%Y"  # 1/17/2020 settles the order
    assert questions == []


def test_paypal_us_with_bom_finds_the_date_header(sample):
    data, _ = sample("csv-paypal-utf8_bom.csv")

    settings, _ = csv_detect.detect(decode(data)[0])

    assert settings.columns["date"] == "Date"
    assert settings.columns["amount"] == "Gross"
    # Gross is signed, so Balance Impact is not needed to tell debits from credits.
    assert "direction" not in settings.columns


def test_a_windows_1252_semicolon_file_with_german_numbers_is_detected():
    text = (
        "Buchungstag;Empfänger;Verwendungszweck;Betrag;Währung\n"
        "02.01.2026;Müller GmbH;Miete Januar;-1.234,56;EUR\n"
        "15.01.2026;Bäckerei Schäfer;Brötchen;-3,40;EUR\n"
        "28.01.2026;Arbeitgeber AG;Gehalt;2.500,00;EUR\n"
    )
    data = text.encode("cp1252")

    parsed = read_statement(data)

    assert parsed.questions == []
    assert parsed.settings["encoding"] == "cp1252"
    assert (parsed.settings["delimiter"], parsed.settings["date_format"]) == (";", "%d.%m.%Y")
    assert (parsed.settings["decimal"], parsed.settings["thousands"]) == (",", ".")
    assert [(r.date, r.amount, r.currency) for r in parsed.rows] == [
        (dt.date(2026, 1, 2), Decimal("-1234.56"), "EUR"),
        (dt.date(2026, 1, 15), Decimal("-3.40"), "EUR"),
        (dt.date(2026, 1, 28), Decimal("2500.00"), "EUR"),
    ]
    assert parsed.settings["columns"]["payee"] == "Empfänger"
    assert parsed.rows[0].description == "Müller GmbH — Miete Januar"


def test_ambiguous_dates_are_proposed_and_asked():
    text = "Date,Amount,Description\n01/02/2026,-1.00,a\n03/04/2026,-2.00,b\n"

    settings, questions = csv_detect.detect(text)

    assert settings.date_format == "%d/%m/%Y"
    assert [(q.setting, q.options) for q in questions] == [("date_format", ["%d/%m/%Y", "%m/%d/%Y"])]
    assert "1 February 2026" in questions[0].message
    assert "2 January 2026" in questions[0].message


def test_thousands_only_amounts_ask_which_mark_is_decimal():
    text = 'Date,Amount,Description\n2026-01-02,"1,234",a\n2026-01-03,"2,000",b\n'

    settings, questions = csv_detect.detect(text)

    assert [q.setting for q in questions] == ["decimal"]
    assert questions[0].options == [".", ","]
    assert (settings.decimal, settings.thousands) == (".", ",")
    answered = apply_answer(settings.as_dict(), "decimal", ",")
    assert (answered["decimal"], answered["thousands"]) == (",", ".")


def test_minus_three_thousand_with_a_dot_for_thousands():
    text = "Datum;Betrag\n01.02.2026;-3.000\n02.02.2026;-12,50\n"

    parsed = read_statement(text.encode())

    assert [r.amount for r in parsed.rows] == [Decimal("-3000"), Decimal("-12.50")]


def test_preamble_lines_above_the_header_are_skipped():
    text = (
        "Kontonummer;DE12 3456\n"
        "Zeitraum;01.01.2026 - 31.01.2026\n"
        "\n"
        "Buchungstag;Wertstellung;Verwendungszweck;Betrag\n"
        "02.01.2026;03.01.2026;Miete;-800,00\n"
        "05.01.2026;05.01.2026;Kino;-12,00\n"
    )

    settings, questions = csv_detect.detect(text)

    assert settings.skip_rows == 3
    assert settings.columns["date"] == "Buchungstag"
    parsed = read_statement(text.encode())
    assert [(r.line, r.amount) for r in parsed.rows] == [(5, Decimal("-800.00")), (6, Decimal("-12.00"))]
    assert questions == []


def test_tab_and_pipe_delimiters_and_headerless_files():
    tabbed = "Date\tAmount\tPayee\n2026-01-02\t-1.50\tCafé\n2026-01-03\t-2.50\tBar\n"
    piped = "2026-01-02|Café|-1.50\n2026-01-03|Bar|-2.50\n"

    tab_settings, _ = csv_detect.detect(tabbed)
    pipe_settings, pipe_questions = csv_detect.detect(piped)

    assert tab_settings.delimiter == "\t"
    assert tab_settings.columns["payee"] == "Payee"
    assert pipe_settings.delimiter == "|"
    assert pipe_settings.has_header is False
    assert pipe_settings.columns == {"date": "0"}
    assert [q.setting for q in pipe_questions] == ["columns.amount"]
    assert pipe_questions[0].options == ["0", "1", "2"]


def test_status_columns_mark_pending_rows():
    text = "Date,Amount,Name,Status\n2026-01-02,-1.50,a,Completed\n2026-01-03,-2.50,b,Pending\n"

    parsed = read_statement(text.encode())

    assert [r.pending for r in parsed.rows] == [False, True]


def test_unsigned_amount_with_a_direction_column():
    text = "Date,Amount,Debit/Credit,Name\n2026-01-02,1.50,D,a\n2026-01-03,2.50,C,b\n"

    parsed = read_statement(text.encode())

    assert parsed.settings["columns"]["direction"] == "Debit/Credit"
    assert [r.amount for r in parsed.rows] == [Decimal("-1.50"), Decimal("2.50")]


def test_text_without_columns_is_not_a_statement():
    with pytest.raises(UnreadableFile, match="no columns separated by"):
        csv_detect.detect("Dear customer,\nplease find attached.\nRegards\n")


def test_a_header_without_known_names_asks_for_the_columns():
    settings, questions = csv_detect.detect("Wann,Wieviel\n2026-01-02,-1.50\n")

    assert settings.columns == {"date": "Wann"}  # found by its values
    assert [q.setting for q in questions] == ["columns.amount"]
    assert questions[0].options == ["Wann", "Wieviel"]


def test_header_signature_ignores_case_and_the_trailing_comma(sample):
    data, _ = sample("csv-uk_lloyds-debit_credit.csv")
    settings = read_statement(data).settings
    shouted = data.replace(b"Transaction Date", b"TRANSACTION DATE").replace(b"Balance,\n", b"Balance\n", 1)

    signature = csv_detect.header_signature(data, settings)

    assert signature is not None and len(signature) == 64
    assert csv_detect.header_signature(shouted, settings) == signature
    other = data.replace(b"Debit Amount", b"Paid out")
    assert csv_detect.header_signature(other, settings) != signature
    assert csv_detect.header_signature(data, {**settings, "has_header": False}) is None
    assert csv_detect.header_signature(data, {"delimiter": "x"}) is None


def test_detected_settings_survive_a_dict_round_trip(sample):
    data, _ = sample("csv-paypal_fr-multicurrency.csv")

    settings = read_statement(data).settings

    assert CsvSettings.from_dict(settings).as_dict() == settings
