"""The input rules: the one place where a value from outside becomes a typed, checked value.

Every service (and both faces, where they parse a path, query or form value) uses these, so a rule
cannot drift between copies. Each `clean_*` function records its messages in an `Errors` dict
under the field's name and returns the clean value (None when it broke a rule); a use case collects
every field's errors, then calls `raise_if`, so a client learns about all bad fields at once.

The rules:
- **Digits are ASCII only**, everywhere: `str.isdigit()`, `int()` and `Decimal()` accept `²`, `٣`
  or a mathematical bold five (U+1D7D3), which would be stored as numbers the user never typed
  (or crash where `int()` refuses).
- **Ids** are whole numbers 1 .. 2**31 - 1, the range of the id columns (PostgreSQL `integer`);
  anything else names no row and never reaches the database (PostgreSQL would refuse it with an
  error and SQLite cannot bind a number beyond 64 bits).
- **Money** is `Decimal`, never float: at most `CENT` places (more is an error, never rounded) and
  at most `MAX_AMOUNT` (the `Numeric(12, 2)` columns).
- **Dates** are ISO 8601 calendar dates (`2026-11-26`) from `MIN_DATE`; expense dates at most one
  year ahead (`latest_expense_date`).
- **Text** is trimmed, bounded, and holds no control characters (a NUL byte is refused by
  PostgreSQL and would be stored silently by SQLite); multi-line text may hold newlines and tabs.
- **Currencies** are ISO 4217 codes; **enumerations** are one of a fixed tuple.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from expense_app.errors import ValidationFailed
from expense_app.models.base import utcnow

Errors = dict[str, list[str]]

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999.99")
MIN_DATE = dt.date(1900, 1, 1)
MAX_ID = 2**31 - 1
# Longer than any value a rule accepts: a 5,000-digit number is refused before any parsing.
MAX_NUMBER_LENGTH = 40
REQUIRED = "This field is required."

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# Newlines and tabs are the only control characters a multi-line text (notes) may hold.
_MULTILINE_ALLOWED = frozenset("\n\r\t")


def add_error(errors: Errors, field: str, message: str) -> None:
    """Record `message` under `field`."""
    errors.setdefault(field, []).append(message)


def raise_if(errors: Errors) -> None:
    """Raise ValidationFailed when any error was recorded."""
    if errors:
        raise ValidationFailed(errors)


def is_blank(value) -> bool:
    """True for None and for a string of only whitespace: the field was left empty."""
    return value is None or (isinstance(value, str) and not value.strip())


def _missing(errors: Errors, field: str, value, *, required: bool) -> bool:
    """True when `value` is blank (recording `REQUIRED` if it had to be given): nothing to parse."""
    if not is_blank(value):
        return False
    if required:
        add_error(errors, field, REQUIRED)
    return True


# --- numbers ---------------------------------------------------------------------------------------


def parse_int(value) -> int | None:
    """`value` (int, or a string of ASCII digits with an optional sign) as an int; else None.

    Booleans, floats, non-ASCII digits and strings longer than `MAX_NUMBER_LENGTH` are not ints.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= MAX_NUMBER_LENGTH and _INTEGER.fullmatch(text):
            return int(text)
    return None


def is_storable_id(value) -> bool:
    """True when `value` is an int that can name a row (1 .. MAX_ID)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def parse_id(value) -> int | None:
    """`value` as a row id (see `is_storable_id`), else None. Accepts an int or ASCII digits."""
    number = parse_int(value)
    return number if is_storable_id(number) else None


def clean_id(
    errors: Errors, field: str, value, *, required: bool = True, message: str = "Must be an id."
) -> int | None:
    """Return the id; record `message` when it is not one (or `REQUIRED` when missing and required)."""
    if _missing(errors, field, value, required=required):
        return None
    number = parse_id(value)
    if number is None:
        add_error(errors, field, message)
    return number


def clean_ids(errors: Errors, field: str, values, *, message: str = "Must be ids.") -> list[int]:
    """Return every value as an id (blank values dropped); record `message` once if any is not one."""
    ids = []
    for value in values or ():
        if is_blank(value):
            continue
        number = parse_id(value)
        if number is None:
            add_error(errors, field, message)
            return []
        ids.append(number)
    return ids


def clean_int(errors: Errors, field: str, value, *, low: int, high: int, required: bool = True) -> int | None:
    """Return the whole number when it is within low..high; record an error otherwise."""
    if _missing(errors, field, value, required=required):
        return None
    number = parse_int(value)
    if number is None:
        add_error(errors, field, f"Must be a whole number between {low} and {high}.")
    elif not low <= number <= high:
        add_error(errors, field, f"Must be between {low} and {high}.")
    else:
        return number
    return None


# --- money -----------------------------------------------------------------------------------------


def parse_decimal(value) -> Decimal | None:
    """`value` (Decimal, int, or a string of ASCII digits) as a finite Decimal; else None.

    Floats are refused (they are not exact), as are NaN, infinities and non-ASCII digits.
    """
    if isinstance(value, bool | float):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        if abs(value) > 10**MAX_NUMBER_LENGTH:
            return None
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_LENGTH or not _DECIMAL.fullmatch(text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def clean_money(
    errors: Errors,
    field: str,
    value,
    *,
    required: bool = True,
    allow_zero: bool = False,
    allow_negative: bool = False,
    example: str = "12.50",
    places: int = 2,
) -> Decimal | None:
    """Return the amount with 2 places; record an error (and return None) when it breaks a rule.

    `places` is the most decimal places the amount may have: its currency's minor digits
    (`currency_places`: JPY 0, EUR 2); the value returned has 2 places whatever it is.

    By default an amount must be greater than 0 (an expense); `allow_zero` admits 0 (a budget),
    `allow_negative` any sign (a filter bound). `example` goes into the message for a value that
    is not a number. A blank value is `REQUIRED` when `required`, else None without an error.
    """
    if _missing(errors, field, value, required=required):
        return None
    number = parse_decimal(value)
    if number is None:
        add_error(errors, field, f"Must be a number such as {example}.")
    elif not allow_negative and allow_zero and number < 0:
        add_error(errors, field, "Must be 0 or more.")
    elif not allow_negative and not allow_zero and number <= 0:
        add_error(errors, field, "Must be greater than 0.")
    elif number.copy_abs() > MAX_AMOUNT:  # copy_abs: abs() rounds, and overflows at 1e1000000
        add_error(errors, field, "Must be at most 99,999,999.99.")
    elif number != number.quantize(Decimal(1).scaleb(-places)):
        add_error(errors, field, _places_message(places))
    else:
        return number.quantize(CENT)
    return None


def _places_message(places: int) -> str:
    if places == 0:
        return "Must be a whole number (this currency has no decimal places)."
    return f"Must have at most {places} decimal place{'s' if places > 1 else ''}."


# The most decimal places an exchange rate may have, and the largest one (TRL's 1,912,400 per EUR
# was the largest the ECB ever published).
RATE_PLACES = 10
MAX_RATE = Decimal("9999999999")


def clean_rate(errors: Errors, field: str, value, *, required: bool = False) -> Decimal | None:
    """An exchange rate: greater than 0, at most MAX_RATE, at most RATE_PLACES decimal places."""
    if _missing(errors, field, value, required=required):
        return None
    number = parse_decimal(value)
    if number is None:
        add_error(errors, field, "Must be a number such as 1.0865.")
    elif number <= 0:
        add_error(errors, field, "Must be greater than 0.")
    elif number > MAX_RATE:
        add_error(errors, field, "Must be at most 9,999,999,999.")
    elif number != number.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        add_error(errors, field, f"Must have at most {RATE_PLACES} decimal places.")
    else:
        return number
    return None


# --- dates -----------------------------------------------------------------------------------------


def today_utc() -> dt.date:
    """Today's date in UTC (the models' clock), the calendar every date rule is judged by."""
    return utcnow().date()


def add_years(day: dt.date, years: int) -> dt.date:
    """`day` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_expense_date(today: dt.date | None = None) -> dt.date:
    """The latest allowed expense date: one year from today (UTC)."""
    return add_years(today or today_utc(), 1)


def parse_date(value) -> dt.date | None:
    """`value` (a date, a datetime, or an ISO `YYYY-MM-DD` string of ASCII digits) as a date; else None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DATE.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return None
    return None


def clean_date(
    errors: Errors,
    field: str,
    value,
    *,
    required: bool = True,
    earliest: dt.date | None = MIN_DATE,
    latest: dt.date | None = None,
) -> dt.date | None:
    """Return the date; record an error when it is malformed or outside earliest..latest.

    A blank value is `REQUIRED` when `required`, else None without an error. `latest=None`
    means no upper bound; pass `latest_expense_date()` for dates of expenses.
    """
    if _missing(errors, field, value, required=required):
        return None
    day = parse_date(value)
    if day is None:
        add_error(errors, field, "Must be a date such as 2026-11-26.")
        return None
    low = earliest or dt.date.min
    high = latest or dt.date.max
    if not low <= day <= high:
        if latest is None:
            add_error(errors, field, f"Must be on or after {low.isoformat()}.")
        else:
            add_error(errors, field, f"Must be between {low.isoformat()} and {high.isoformat()}.")
        return None
    return day


# --- text, currencies, enumerations ---------------------------------------------------------------


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """True when `text` holds a control character (category Cc), bar newlines and tabs if `multiline`."""
    return any(unicodedata.category(char) == "Cc" and not (multiline and char in _MULTILINE_ALLOWED) for char in text)


def clean_text(
    errors: Errors,
    field: str,
    value,
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Return `value` trimmed; record an error when it is not text, blank but required, too long,
    or holds control characters (only newlines and tabs, and only when `multiline`)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        add_error(errors, field, "Must be text.")
        return ""
    text = value.strip()
    if required and not text:
        add_error(errors, field, REQUIRED)
    elif len(text) > max_length:
        # Say how far over it is: the browser does not cut the text (no maxlength), this message does the telling.
        add_error(errors, field, f"Use at most {max_length} characters (you typed {len(text)}).")
    elif has_control_characters(text, multiline=multiline):
        add_error(errors, field, "Must not contain control characters.")
    return text


@cache
def iso_currencies() -> frozenset[str]:
    """The ISO 4217 codes Babel knows (about 300)."""
    return frozenset(list_currencies())


# Amounts are stored as Numeric(12, 2): a currency with more minor digits (BHD, KWD, OMR, JOD,
# TND, IQD, LYD have 3) cannot be held exactly, so it is refused rather than rounded.
MAX_CURRENCY_PLACES = 2


def currency_places(code: str) -> int:
    """The number of minor-unit digits of an ISO 4217 currency (JPY 0, EUR 2, BHD 3), from Babel."""
    return get_currency_precision(code)


def check_minor_units(errors: Errors, field: str, amount: Decimal | None, currency: str | None) -> None:
    """Record an error on `field` when `amount` has more decimal places than `currency` has minor
    digits (10.50 JPY); nothing when either is missing or the currency is unknown."""
    if amount is None or currency not in iso_currencies():
        return
    places = min(currency_places(currency), MAX_CURRENCY_PLACES)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        add_error(errors, field, f"{currency}: " + _places_message(places))


def clean_currency(errors: Errors, field: str, value) -> str:
    """Return the upper-cased ISO 4217 code; record an error when it is unknown or has 3 minor digits."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in iso_currencies():
        add_error(errors, field, "Must be an ISO 4217 currency code such as USD or EUR.")
    elif currency_places(code) > MAX_CURRENCY_PLACES:
        add_error(
            errors,
            field,
            f"{code} amounts have {currency_places(code)} decimal places; this app holds at most "
            f"{MAX_CURRENCY_PLACES}, so {code} is not supported.",
        )
    return code


def clean_choice(errors: Errors, field: str, value, choices: Collection[str]):
    """Return `value` when it is one of `choices`; record an error naming them otherwise."""
    if not isinstance(value, str) or value not in choices:
        add_error(errors, field, "Must be one of: " + ", ".join(choices) + ".")
        return None
    return value
