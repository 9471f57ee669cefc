"""Conversions: the rounding rule, the same rule in SQL on both databases, and the expense service's
manual rates, base amounts and minor units (issue 12, items 1, 3 and 7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.services import expenses
from expense_app.services.conversions import (
    ConvertedAmount,
    CrossRate,
    RateProduct,
    convert_amount,
    rate_product,
)
from expense_app.services.exchange_rates import cross_rate_value
from expense_app.services.rules import RATE_PLACES
from tests import factories
from tests.rates import MARCH_2024, store_rates

FRIDAY = dt.date(2024, 3, 15)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# --- the rule --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "base", "expected"),
    [
        ("1.00", "1.005", "EUR", "1.01"),  # a tie rounds up, not to even
        ("1.00", "1.015", "EUR", "1.02"),
        ("10.00", "0.00125", "EUR", "0.01"),  # 0.0125
        ("10.00", "0.00135", "EUR", "0.01"),  # 0.0135
        ("2.50", "0.5", "EUR", "1.25"),
        ("0.01", "0.4999999999", "EUR", "0.00"),
        ("100.00", "162.03", "JPY", "16203.00"),
        ("0.50", "1", "JPY", "1.00"),  # JPY has no minor digits: 0.5 yen rounds up to 1
        ("1.00", "162.5", "JPY", "163.00"),
        ("1.00", "162.4999999999", "JPY", "162.00"),
        ("99999999.99", "1.0000000001", "USD", "100000000.00"),
    ],
)
def test_convert_amount_rounds_half_up_to_the_base_currencys_digits(amount, rate, base, expected):
    result = convert_amount(Decimal(amount), Decimal(rate), base)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2  # stored as Numeric(12, 2) whatever the currency


def test_rate_product_and_cross_rate_round_half_up_to_ten_places():
    assert rate_product(Decimal("1.05"), Decimal("1.0892")) == Decimal("1.1436600000")
    assert rate_product(Decimal("0.0000000001"), Decimal("0.5")) == Decimal("0.0000000001")  # tie: up
    assert cross_rate_value(Decimal("3"), Decimal("2")) == Decimal("0.6666666667")
    assert cross_rate_value(Decimal("1.193369"), Decimal("180.468348")) == Decimal("151.2259393364")


# --- the same rule in SQL: PostgreSQL's own arithmetic, SQLite's Python functions --------------------

AMOUNTS = st.integers(min_value=1, max_value=9_999_999_999).map(lambda cents: Decimal(cents).scaleb(-2))
# SQLite holds a Numeric column as a binary float: a rate is stored exactly up to 15 significant
# digits, so rates go up to 99,999 with their 10 places (the largest ECB rate per EUR today is IDR's
# ~20,000); ECB rates per EUR have at most 6 places and go up to TRL's 1,912,400.
RATES = st.integers(min_value=1, max_value=99_999 * 10**RATE_PLACES).map(lambda n: Decimal(n).scaleb(-RATE_PLACES))
ECB_RATES = st.integers(min_value=1, max_value=1_912_400 * 10**6).map(lambda n: Decimal(n).scaleb(-6))


def _sql(expression) -> Decimal:
    # Raw, without the Numeric type's rounding on the way out: PostgreSQL gives a Decimal, SQLite's
    # functions a float, whose shortest repr is the decimal SQLite stores and compares.
    value = db.session.scalar(sa.select(sa.type_coerce(expression, sa.types.NullType)))
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _amount(value: Decimal):
    return sa.literal(value, sa.Numeric(12, 2))


def _rate(value: Decimal, places: int = RATE_PLACES):
    return sa.literal(value, sa.Numeric(20, places))


@SETTINGS
@given(amount=AMOUNTS, rate=RATES, places=st.sampled_from([0, 2]))
@example(amount=Decimal("1.00"), rate=Decimal("1.005"), places=2)
@example(amount=Decimal("0.50"), rate=Decimal("1"), places=0)
@example(amount=Decimal("12345678.91"), rate=Decimal("0.0000000001"), places=2)
def test_sql_converted_amount_equals_python(ctx, amount, rate, places):
    base = "JPY" if places == 0 else "EUR"
    assert _sql(ConvertedAmount(_amount(amount), _rate(rate), places)) == convert_amount(amount, rate, base)


@SETTINGS
@given(source=ECB_RATES, target=ECB_RATES)
# Found on PostgreSQL: round(target / source, 10) rounded twice there (...3365 instead of ...3364).
@example(source=Decimal("1.193369"), target=Decimal("180.468348"))
@example(source=Decimal("1.643833"), target=Decimal("91.297125"))
@example(source=Decimal("3"), target=Decimal("2"))
@example(source=Decimal("0.000001"), target=Decimal("1912400"))
def test_sql_cross_rate_equals_python(ctx, source, target):
    expected = cross_rate_value(source, target)
    if db.engine.dialect.name == "sqlite" and len(expected.normalize().as_tuple().digits) > 15:
        # SQLite holds a REAL: a cross rate of more than 15 significant digits (only between
        # long-gone currencies, such as TRL/MTL) is stored as the nearest double.
        expected = Decimal(repr(float(expected)))
    assert _sql(CrossRate(_rate(source, 6), _rate(target, 6))) == expected


@SETTINGS
@given(rate=RATES, factor=RATES.filter(lambda value: value < 1000))
def test_sql_rate_product_equals_python(ctx, rate, factor):
    assert _sql(RateProduct(_rate(rate), _rate(factor))) == rate_product(rate, factor)


# --- the expense service: manual rates and base amounts, minor units --------------------------------


@pytest.fixture
def eur_user(ctx, make_user):
    store_rates(MARCH_2024)
    return db.session.get(User, make_user(currency="EUR").id)


def conversion(expense_id: int) -> tuple:
    db.session.expire_all()
    row = db.session.get(Expense, expense_id)
    return row.base_amount, row.fx_rate, row.fx_date, row.fx_source


def add(user, amount="100.00", currency="USD", **fields) -> int:
    return factories.create_expense(user, amount=amount, currency=currency, date=FRIDAY, **fields)


def test_a_manual_rate_wins_over_the_published_one(eur_user):
    expense = add(eur_user, fx_rate="0.9")
    assert conversion(expense) == (Decimal("90.00"), Decimal("0.9"), FRIDAY, "manual")


def test_a_manual_base_amount_is_kept_as_given_and_its_rate_derived(eur_user):
    expense = add(eur_user, amount="3.00", base_amount="2.00")
    assert conversion(expense) == (Decimal("2.00"), Decimal("0.6666666667"), FRIDAY, "manual")


def test_a_rate_and_a_base_amount_together_are_refused(eur_user):
    with pytest.raises(ValidationFailed) as raised:
        add(eur_user, fx_rate="0.9", base_amount="90.00")
    assert raised.value.errors == {
        "fx_rate": ["Give either an exchange rate or an amount in your base currency, not both."]
    }


@pytest.mark.parametrize("field", ["fx_rate", "base_amount"])
def test_a_manual_conversion_of_an_expense_in_the_base_currency_is_refused(eur_user, field):
    with pytest.raises(ValidationFailed) as raised:
        add(eur_user, currency="EUR", **{field: "0.9"})
    assert raised.value.errors == {field: ["This expense is in your base currency (EUR); it needs no exchange rate."]}


def test_an_update_keeps_a_manual_rate_while_the_currency_stays(eur_user):
    expense = add(eur_user, fx_rate="0.9")
    expenses.update_expense(user=eur_user, expense_id=expense, amount="200.00")
    assert conversion(expense) == (Decimal("180.00"), Decimal("0.9"), FRIDAY, "manual")
    expenses.update_expense(user=eur_user, expense_id=expense, date="2024-03-14")
    assert conversion(expense) == (Decimal("180.00"), Decimal("0.9"), dt.date(2024, 3, 14), "manual")
    expenses.update_expense(user=eur_user, expense_id=expense, currency="GBP")  # a new currency: published
    rate = cross_rate_value(Decimal("0.8542"), Decimal(1))
    assert conversion(expense) == (convert_amount(Decimal(200), rate, "EUR"), rate, dt.date(2024, 3, 14), "ecb")


def test_an_update_with_no_rate_returns_to_the_published_one(eur_user):
    expense = add(eur_user, fx_rate="0.9")
    expenses.update_expense(user=eur_user, expense_id=expense, fx_rate=None)
    rate = cross_rate_value(Decimal("1.0892"), Decimal(1))
    assert rate == Decimal("0.9181050312")
    assert conversion(expense) == (Decimal("91.81"), rate, FRIDAY, "ecb")


def test_an_unpublished_currency_waits_and_the_base_currency_is_same(eur_user):
    waiting = add(eur_user, amount="1000.00", currency="ARS")
    same = add(eur_user, amount="10.00", currency="EUR")
    assert conversion(waiting) == (None, None, None, None)
    assert conversion(same) == (Decimal("10.00"), Decimal(1), FRIDAY, "same")


@pytest.mark.parametrize(
    ("amount", "currency", "field", "message"),
    [
        ("100.5", "JPY", "amount", "JPY: Must be a whole number (this currency has no decimal places)."),
        (
            "100",
            "BHD",
            "currency",
            "BHD amounts have 3 decimal places; this app holds at most 2, so BHD is not supported.",
        ),
        ("1.234", "USD", "amount", "Must have at most 2 decimal places."),
    ],
)
def test_amounts_have_at_most_their_currencys_minor_digits(eur_user, amount, currency, field, message):
    with pytest.raises(ValidationFailed) as raised:
        add(eur_user, amount=amount, currency=currency)
    assert raised.value.errors[field] == [message]


def test_a_whole_yen_amount_is_converted(eur_user):
    expense = add(eur_user, amount="16203", currency="JPY")
    assert conversion(expense)[0] == Decimal("100.00")  # 16203 / 162.03
