"""Amounts are read strictly with known separators, and the separators are detected from values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from expense_app.statements.numbers import AmountError, detect_format, parse_amount


@pytest.mark.parametrize(
    ("cell", "decimal", "thousands", "value"),
    [
        ("1.234,56", ",", ".", "1234.56"),
        ("1,234.56", ".", ",", "1234.56"),
        ("1234,56", ",", ".", "1234.56"),
        ("2\u00a0026,41", ",", "\u00a0", "2026.41"),
        ("2 026,41", ",", "\u00a0", "2026.41"),
        ("1'234.50", ".", "'", "1234.50"),
        ("-3.000", ",", ".", "-3000"),
        ("-3.000", ".", "", "-3.000"),
        ("-3.000", ".", ",", "-3.000"),
        ("+12.00", ".", "", "12.00"),
        ("(12.00)", ".", "", "-12.00"),
        ("12,00-", ",", ".", "-12.00"),
        ("€ -5,10", ",", ".", "-5.10"),
        ("-7.49 USD", ".", "", "-7.49"),
        ("\u22124.20", ".", "", "-4.20"),
        ("2000", ".", "", "2000"),
        ("0,00", ",", ".", "0.00"),
    ],
)
def test_parse_amount(cell, decimal, thousands, value):
    assert parse_amount(cell, decimal=decimal, thousands=thousands) == Decimal(value)


@pytest.mark.parametrize(
    ("cell", "decimal", "thousands"),
    [
        ("12,3,4", ".", ","),
        ("12,3,4", ",", "."),
        ("1.2.3", ".", ","),
        ("1,2345", ".", ","),
        ("1.234,56", ".", ","),
        ("12a", ".", ""),
        ("1e5", ".", ""),
        ("--1", ".", ""),
        ("NaN", ".", ""),
        ("\u0661\u0662", ".", ""),  # Arabic-Indic digits: ASCII digits only
    ],
)
def test_unreadable_amounts_are_errors_never_guesses(cell, decimal, thousands):
    with pytest.raises(AmountError, match="Unreadable amount"):
        parse_amount(cell, decimal=decimal, thousands=thousands)


def test_empty_amount():
    with pytest.raises(AmountError, match="empty"):
        parse_amount("  ", decimal=".", thousands="")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1.234,56", "-3,00"], (",", ".")),
        (["1,234.56", "3.00"], (".", ",")),
        (["-59,30", "2\u00a0026,41"], (",", "\u00a0")),
        (["1'234.50", "3.10"], (".", "'")),
        (["-7.49"], (".", ",")),
        (["8.99", "", "2000", "500"], (".", ",")),
        (["1060,22", "-22,59"], (",", ".")),
        (["1.234.567", "12"], (",", ".")),
    ],
)
def test_detect_format_without_a_question(values, expected):
    decimal, thousands, question = detect_format(values)

    assert (decimal, thousands) == expected
    assert question is None


def test_values_like_1_234_only_ask():
    decimal, thousands, question = detect_format(["1,234", "2,000", "-5,500"])

    assert (decimal, thousands) == (".", ",")
    assert question.setting == "decimal"
    assert question.options == [".", ","]
    assert "1,234" in question.message


def test_detected_format_reads_every_value_it_was_given():
    values = ["1.234,56", "-3,00", "12,5", "-1.000.000,00"]
    decimal, thousands, _ = detect_format(values)

    assert [parse_amount(v, decimal=decimal, thousands=thousands) for v in values] == [
        Decimal("1234.56"),
        Decimal("-3.00"),
        Decimal("12.5"),
        Decimal("-1000000.00"),
    ]
