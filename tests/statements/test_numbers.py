"""Amounts are read strictly with known separators, and the separators are detected from values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        ("12.50 DR", ".", ",", "-12.50"),
        ("1,012.50CR", ".", ",", "1012.50"),
        ("7,00 Dr.", ",", ".", "-7.00"),
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
        ("-12.50 DR", ".", ""),
        ("DR", ".", ""),
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


_STYLES = [(".", ""), (".", ","), (",", ""), (",", "."), (",", "\u00a0"), (".", "'")]


def _write(value: Decimal, decimal: str, thousands: str) -> str:
    """`value` as a bank in this style writes it: `-1.234,56`."""
    sign = "-" if value < 0 else ""
    whole, fraction = f"{abs(value):.2f}".split(".")
    if thousands:
        whole = f"{int(whole):,}".replace(",", thousands)
    return f"{sign}{whole}{decimal}{fraction}"


_amounts = st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_STYLES), _amounts)
def test_an_amount_written_in_a_style_reads_back_in_that_style(style, value):
    decimal, thousands = style

    assert parse_amount(_write(value, decimal, thousands), decimal=decimal, thousands=thousands) == value


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_STYLES), st.lists(_amounts, min_size=1, max_size=8))
def test_detection_never_misreads_a_column_it_does_not_ask_about(style, values):
    cells = [_write(v, *style) for v in values]

    decimal, thousands, question = detect_format(cells)

    if question is None:
        assert [parse_amount(c, decimal=decimal, thousands=thousands) for c in cells] == values
