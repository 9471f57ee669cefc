"""The input rules of `services.rules`, without HTTP: what each accepts, what it refuses, and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expense_app.services import rules

SETTINGS = settings(max_examples=60, derandomize=True, deadline=None)
# Superscript two, Arabic-Indic three, full-width one, mathematical bold five, Persian four, NKo five.
NON_ASCII_DIGITS = ["\u00b2", "\u0663", "\uff11", "\U0001d7d3", "\u06f4", "\u07c5"]


@pytest.mark.parametrize("digit", NON_ASCII_DIGITS)
def test_non_ascii_digits_are_no_number_anywhere(digit):
    assert digit.isdigit()  # what str.isdigit() (and mostly int()) would have accepted
    assert rules.parse_int(digit) is None
    assert rules.parse_id(digit) is None
    assert rules.parse_decimal(digit) is None
    assert rules.parse_decimal(f"1{digit}.00") is None
    assert rules.parse_date(f"2026-0{digit}-01") is None
    errors: rules.Errors = {}
    assert rules.clean_money(errors, "amount", digit) is None
    assert errors == {"amount": ["Must be a number such as 12.50."]}


@SETTINGS
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_ids_are_1_to_the_integer_column_limit(number):
    expected = number if 1 <= number <= rules.MAX_ID else None
    assert rules.parse_id(number) == expected
    assert rules.parse_id(str(number)) == expected
    assert rules.parse_id(f"  {number} ") == expected


@pytest.mark.parametrize("value", [True, False, 1.0, "1.0", "0x10", "1e3", "", " ", None, [], "9" * 5000])
def test_what_is_not_an_id(value):
    assert rules.parse_id(value) is None


def test_a_5000_digit_number_is_refused_before_int_sees_it():
    errors: rules.Errors = {}
    assert rules.clean_int(errors, "page", "9" * 5000, low=1, high=10) is None
    assert errors == {"page": ["Must be a whole number between 1 and 10."]}
    assert rules.parse_decimal("9" * 5000) is None
    assert rules.parse_decimal(10**5000) is None


@pytest.mark.parametrize(
    ("value", "kwargs", "expected", "message"),
    [
        ("12.5", {}, Decimal("12.50"), None),
        (7, {}, Decimal("7.00"), None),
        (Decimal("0.01"), {}, Decimal("0.01"), None),
        ("0", {}, None, "Must be greater than 0."),
        ("0", {"allow_zero": True}, Decimal("0.00"), None),
        ("-1", {"allow_zero": True}, None, "Must be 0 or more."),
        ("-1", {"allow_negative": True}, Decimal("-1.00"), None),
        ("10.005", {}, None, "Must have at most 2 decimal places."),
        ("100000000", {}, None, "Must be at most 99,999,999.99."),
        ("1e1000000", {"allow_negative": True}, None, "Must be at most 99,999,999.99."),
        ("NaN", {}, None, "Must be a number such as 12.50."),
        ("Infinity", {}, None, "Must be a number such as 12.50."),
        (1.5, {}, None, "Must be a number such as 12.50."),
        ("", {}, None, "This field is required."),
        ("", {"required": False}, None, None),
    ],
)
def test_money(value, kwargs, expected, message):
    errors: rules.Errors = {}
    assert rules.clean_money(errors, "amount", value, **kwargs) == expected
    assert errors == ({"amount": [message]} if message else {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26", dt.date(2026, 11, 26)),
        (" 2026-11-26 ", dt.date(2026, 11, 26)),
        (dt.datetime(2026, 11, 26, 23, 59), dt.date(2026, 11, 26)),
        ("20261126", None),  # ISO basic format: fromisoformat takes it, the rule asks for YYYY-MM-DD
        ("2026-W48-4", None),
        ("2026-02-30", None),
        ("0000-01-01", None),
        ("2026-11-26T10:00", None),
    ],
)
def test_dates(value, expected):
    assert rules.parse_date(value) == expected


def test_date_bounds_name_the_range():
    errors: rules.Errors = {}
    latest = rules.latest_expense_date(dt.date(2026, 2, 28))
    assert latest == dt.date(2027, 2, 28)
    assert rules.clean_date(errors, "date", "1899-12-31", latest=latest) is None
    assert errors == {"date": ["Must be between 1900-01-01 and 2027-02-28."]}
    assert rules.add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_text_refuses_control_characters(char):
    errors: rules.Errors = {}
    rules.clean_text(errors, "description", f"a{char}b", max_length=50)
    assert errors == {"description": ["Must not contain control characters."]}
    errors = {}
    rules.clean_text(errors, "notes", f"a{char}b", max_length=50, multiline=True)
    assert errors == {"notes": ["Must not contain control characters."]}


def test_multiline_text_keeps_newlines_and_tabs_and_everything_is_trimmed():
    errors: rules.Errors = {}
    assert rules.clean_text(errors, "notes", "  line one\n\tline two\r\n ", max_length=50, multiline=True) == (
        "line one\n\tline two"
    )
    assert rules.clean_text(errors, "description", "a\nb", max_length=50) == "a\nb"
    assert errors == {"description": ["Must not contain control characters."]}


def test_text_shape_and_length():
    errors: rules.Errors = {}
    rules.clean_text(errors, "name", "   ", max_length=5, required=True)
    rules.clean_text(errors, "icon", "x" * 6, max_length=5)
    rules.clean_text(errors, "q", 42, max_length=5)
    assert errors == {
        "name": ["This field is required."],
        "icon": ["Use at most 5 characters (you typed 6)."],
        "q": ["Must be text."],
    }


def test_currency_and_choice():
    errors: rules.Errors = {}
    assert rules.clean_currency(errors, "currency", " eur ") == "EUR"
    rules.clean_currency(errors, "currency", "XXY")
    rules.clean_currency(errors, "currency", None)
    assert rules.clean_choice(errors, "payment_method", "cash", ("cash", "other")) == "cash"
    assert rules.clean_choice(errors, "payment_method", ["cash"], ("cash", "other")) is None
    assert errors == {
        "currency": ["Must be an ISO 4217 currency code such as USD or EUR."] * 2,
        "payment_method": ["Must be one of: cash, other."],
    }


def test_ids_list_refuses_the_whole_list_once():
    errors: rules.Errors = {}
    assert rules.clean_ids(errors, "category_id", ["1", " ", 2]) == [1, 2]
    assert rules.clean_ids(errors, "category_id", ["1", "²", "x"]) == []
    assert errors == {"category_id": ["Must be ids."]}
