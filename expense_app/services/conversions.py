"""Conversions: an expense's amount in its owner's base currency, one rule for Python and SQL.

    base_amount = round_half_up(amount * fx_rate, minor digits of the base currency)

`fx_rate` (original -> base, RATE_PLACES places) comes from the ECB rate of the expense's own date
(`exchange_rates.rate_on`), or from the user (`manual`: a rate, or a base amount from which the
rate is derived). An expense with no rate is stored waiting (`WAITING`: all four fields null),
shown in its own currency and left out of every total until a rate arrives.

The same rule runs in three places, which must agree to the cent: `convert_amount` in Python (a
create or an update), and the `converted_amount`/`cross_rate`/`rate_product` SQL functions of
set-based updates (`convert_waiting` here; `base_currency.change_base_currency`). PostgreSQL's
numeric multiplication is exact and its round() is half away from zero (half up for these
positive amounts); its division is not exact, so the cross rate is an exact integer quotient
there. SQLite has only binary floats, so there the SQL functions are Python functions registered
on each connection that call `convert_amount`, `rate_product` and
`exchange_rates.cross_rate_value` themselves.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from expense_app.extensions import db
from expense_app.models import ExchangeRate, Expense, User
from expense_app.services.exchange_rates import MAX_RATE_AGE_DAYS, RATE_QUANTUM, cross_rate_value, rate_on
from expense_app.services.rules import (
    CENT,
    MAX_AMOUNT,
    RATE_PLACES,
    Errors,
    add_error,
    clean_money,
    clean_rate,
    currency_places,
)
from expense_app.services.unit_of_work import transaction

SAME, ECB, MANUAL = "same", "ecb", "manual"


@dataclass(frozen=True)
class Conversion:
    """The four stored fields of a conversion; all None while waiting for a rate."""

    base_amount: Decimal | None
    fx_rate: Decimal | None
    fx_date: dt.date | None
    fx_source: str | None

    def as_fields(self) -> dict:
        """The fields by column name, for `Expense(**...)` or an update."""
        return asdict(self)


WAITING = Conversion(None, None, None, None)


def convert_amount(amount: Decimal, rate: Decimal, base_currency: str) -> Decimal:
    """`amount * rate` rounded half up to the base currency's minor digits, as a 2-place Decimal."""
    places = Decimal(1).scaleb(-currency_places(base_currency))
    return (Decimal(amount) * Decimal(rate)).quantize(places, rounding=ROUND_HALF_UP).quantize(CENT)


def rate_product(rate: Decimal, factor: Decimal) -> Decimal:
    """`rate * factor` rounded half up to RATE_PLACES places: a manual rate (original -> old base)
    carried to a new base by the cross rate old base -> new base."""
    return (Decimal(rate) * Decimal(factor)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def published_conversion(*, amount: Decimal, currency: str, base_currency: str, day: dt.date) -> Conversion:
    """The conversion at the ECB rate published on or before `day`; WAITING when there is none."""
    if currency == base_currency:
        return Conversion(amount, Decimal(1), day, SAME)
    rate = rate_on(currency, base_currency, day)
    if rate is None:
        return WAITING
    return Conversion(convert_amount(amount, rate.rate, base_currency), rate.rate, rate.date, ECB)


def manual_conversion(
    *,
    amount: Decimal,
    base_currency: str,
    day: dt.date,
    rate: Decimal | None = None,
    base_amount: Decimal | None = None,
) -> Conversion:
    """A conversion the user gave: a rate (the base amount follows from it) or a base amount.

    From a base amount the stored rate is base/amount to RATE_PLACES places, and the base amount
    is kept exactly as given: it is what the bank statement says.
    """
    if base_amount is not None:
        derived = (Decimal(base_amount) / Decimal(amount)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)
        return Conversion(Decimal(base_amount).quantize(CENT), max(derived, RATE_QUANTUM), day, MANUAL)
    return Conversion(convert_amount(amount, rate, base_currency), rate, day, MANUAL)


def locked_base_currency(user_id: int) -> str:
    """The user's base currency, read under a share lock inside the caller's unit of work.

    A base-currency change locks the user's row for update, so an expense written meanwhile
    either waits for it (and is converted to the new base) or makes it wait; never a row converted
    to a base currency that is no longer the user's. SQLite serialises writers anyway.
    """
    return db.session.scalar(sa.select(User.currency).where(User.id == user_id).with_for_update(read=True))


# --- the same rule in SQL --------------------------------------------------------------------------


class CrossRate(sa.sql.functions.FunctionElement):
    """SQL: units of the target per unit of the source, from both currencies' rates per EUR."""

    type = sa.Numeric(20, RATE_PLACES)
    inherit_cache = True
    name = "fx_cross_rate"


class ConvertedAmount(sa.sql.functions.FunctionElement):
    """SQL: `convert_amount(amount, rate, base currency)`; arguments: amount, rate, minor digits."""

    type = sa.Numeric(12, 2)
    inherit_cache = True
    name = "fx_converted_amount"


class DaysBefore(sa.sql.functions.FunctionElement):
    """SQL: the date `days` days before a date column (PostgreSQL: date - integer; SQLite: date())."""

    type = sa.Date()
    inherit_cache = True
    name = "days_before"


@compiles(DaysBefore, "postgresql")
def _days_before_postgresql(element, compiler, **kw):
    day, days = element.clauses
    return f"({compiler.process(day, **kw)} - {compiler.process(days, **kw)})"


@compiles(DaysBefore)
def _days_before_sqlite(element, compiler, **kw):
    day, days = element.clauses
    return f"date({compiler.process(day, **kw)}, '-' || {compiler.process(days, **kw)} || ' days')"


class RateProduct(sa.sql.functions.FunctionElement):
    """SQL: `rate_product(rate, factor)`, a rate carried into another currency (see `rate_product`)."""

    type = sa.Numeric(20, RATE_PLACES)
    inherit_cache = True
    name = "fx_rate_product"


# Twice the quantum's reciprocal (2 * 10**RATE_PLACES) and the quantum, inlined as exact numerics.
_TWICE_SCALE = sa.literal_column(str(2 * 10**RATE_PLACES))
_QUANTUM = sa.literal_column(f"{RATE_QUANTUM:f}")


@compiles(CrossRate, "postgresql")
def _cross_rate_postgresql(element, compiler, **kw):
    # Not round(target / source, 10): PostgreSQL's numeric division keeps only about 16
    # significant digits, so that rounds twice, and 180.468348 / 1.193369 (151.22593933644999...)
    # came out ...3365 where Python says ...3364. div() is an exact integer quotient, so
    # floor(target * 10^10 / source + 1/2) = div(2 * target * 10^10 + source, 2 * source) is
    # round half up of the exact quotient, as `cross_rate_value` computes it.
    source, target = element.clauses
    return compiler.process(sa.func.div(target * _TWICE_SCALE + source, source * 2) * _QUANTUM, **kw)


@compiles(RateProduct, "postgresql")
def _rate_product_postgresql(element, compiler, **kw):
    rate, factor = element.clauses
    return compiler.process(sa.func.round(rate * factor, RATE_PLACES), **kw)


@compiles(ConvertedAmount, "postgresql")
def _converted_amount_postgresql(element, compiler, **kw):
    amount, rate, places = element.clauses
    return compiler.process(sa.func.round(amount * rate, places), **kw)


@compiles(CrossRate)
def _cross_rate_sqlite(element, compiler, **kw):
    return f"fx_cross_rate({compiler.process(element.clauses, **kw)})"


@compiles(ConvertedAmount)
def _converted_amount_sqlite(element, compiler, **kw):
    return f"fx_converted_amount({compiler.process(element.clauses, **kw)})"


@compiles(RateProduct)
def _rate_product_sqlite(element, compiler, **kw):
    return f"fx_rate_product({compiler.process(element.clauses, **kw)})"


def _stored(value: float | int | str, quantum: Decimal) -> Decimal:
    # SQLite hands a Numeric column over as a binary float; its shortest repr is the decimal that
    # was stored (every value here has at most 15 significant digits).
    return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(quantum)


def _sqlite_cross_rate(source_per_eur, target_per_eur):
    if source_per_eur is None or target_per_eur is None:
        return None
    micro = Decimal("0.000001")
    return float(cross_rate_value(_stored(source_per_eur, micro), _stored(target_per_eur, micro)))


def _sqlite_converted_amount(amount, rate, places):
    if amount is None or rate is None:
        return None
    product = _stored(amount, CENT) * _stored(rate, RATE_QUANTUM)
    return float(product.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP).quantize(CENT))


def _sqlite_rate_product(rate, factor):
    if rate is None or factor is None:
        return None
    return float(rate_product(_stored(rate, RATE_QUANTUM), _stored(factor, RATE_QUANTUM)))


def register_sqlite_functions(connection: sqlite3.Connection) -> None:
    """Give a SQLite connection the conversion functions (PostgreSQL computes them natively).

    They compute in Decimal and return the nearest float, which is what SQLite stores for a bound
    Decimal in a NUMERIC column anyway, and what it compares as a number (a text result would
    compare greater than every number: `'11.33' <= 99999999.99` is false in SQLite). Every value
    here has at most 15 significant digits, so the float's shortest repr is the decimal itself.
    Deterministic, so SQLite may use them in indexes and constraints.
    """
    connection.create_function("fx_cross_rate", 2, _sqlite_cross_rate, deterministic=True)
    connection.create_function("fx_converted_amount", 3, _sqlite_converted_amount, deterministic=True)
    connection.create_function("fx_rate_product", 2, _sqlite_rate_product, deterministic=True)


# --- set-based conversion --------------------------------------------------------------------------


def rate_lookup(pairs: sa.Subquery) -> sa.Select:
    """For each (source, target, day) row of `pairs`: the ECB rate day and cross rate to use.

    `pairs` has columns `source`, `target` and `day`; the result has those plus `fx_date` and
    `fx_rate`, and only the rows for which a rate exists (the last day on or before `day`, at most
    MAX_RATE_AGE_DAYS earlier, on which both currencies were published; EUR has a row of 1 on every
    publication day): the same rule as `exchange_rates.rate_on`.
    """
    source_rate = sa.orm.aliased(ExchangeRate)
    target_rate = sa.orm.aliased(ExchangeRate)
    probe_source = sa.orm.aliased(ExchangeRate)
    probe_target = sa.orm.aliased(ExchangeRate)
    # The latest day first, stopping at the first one both currencies have: a backward walk of the
    # (currency, date) key from `day`, a step or two. Not max(date): PostgreSQL does not turn a
    # max() over a join into that walk and read the currency's whole history for every pair
    # (8.5 ms each: 23 s for the 2,700 pairs of 2,000 expenses over five years).
    last_day = (
        sa.select(probe_source.date)
        .join(probe_target, sa.and_(probe_target.date == probe_source.date, probe_target.currency == pairs.c.target))
        # Both bounds, so that both legs' index walks start at `day`; no older than
        # MAX_RATE_AGE_DAYS.
        .where(
            probe_source.currency == pairs.c.source,
            probe_source.date <= pairs.c.day,
            probe_target.date <= pairs.c.day,
            probe_source.date >= DaysBefore(pairs.c.day, sa.literal(MAX_RATE_AGE_DAYS, sa.Integer)),
        )
        .order_by(probe_source.date.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(
            pairs.c.source,
            pairs.c.target,
            pairs.c.day,
            source_rate.date.label("fx_date"),
            CrossRate(source_rate.rate, target_rate.rate).label("fx_rate"),
        )
        .join(source_rate, sa.and_(source_rate.currency == pairs.c.source, source_rate.date == last_day))
        .join(target_rate, sa.and_(target_rate.currency == pairs.c.target, target_rate.date == source_rate.date))
    )


def convert_waiting() -> int:
    """Convert every expense waiting for a rate that the loaded rates now cover; return how many.

    Set-based: one statement finds a rate for each distinct (currency, base currency, date) of the
    waiting expenses, one UPDATE applies them. Expenses still without a rate stay waiting, and so
    does one whose base amount would exceed MAX_AMOUNT.
    """
    with transaction() as session:
        waiting = (
            sa.select(Expense.currency.label("source"), User.currency.label("target"), Expense.date.label("day"))
            .join(User, User.id == Expense.user_id)
            .where(Expense.fx_source.is_(None))
            .distinct()
            .subquery()
        )
        found = rate_lookup(waiting).subquery()
        # No CASE without a WHEN (invalid SQL): a file may hold no currency with fewer digits.
        whens = [(User.currency == code, digits) for code, digits in _zero_place_currencies()]
        places = sa.case(*whens, else_=2) if whens else 2
        result = session.execute(
            sa.update(Expense)
            .where(
                Expense.fx_source.is_(None),
                Expense.user_id == User.id,
                found.c.source == Expense.currency,
                found.c.target == User.currency,
                found.c.day == Expense.date,
                # Beyond the column's range stays waiting (see `clean_conversion`).
                ConvertedAmount(Expense.amount, found.c.fx_rate, places) <= MAX_AMOUNT,
            )
            .values(
                base_amount=ConvertedAmount(Expense.amount, found.c.fx_rate, places),
                fx_rate=found.c.fx_rate,
                fx_date=found.c.fx_date,
                fx_source=ECB,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount


def _zero_place_currencies() -> list[tuple[str, int]]:
    """(code, digits) of the ECB-published currencies with fewer than 2 minor digits (JPY, ISK, ...)."""
    codes = db.session.scalars(sa.select(ExchangeRate.currency).distinct())
    return [(code, currency_places(code)) for code in codes if currency_places(code) < 2]


# --- choosing an expense's conversion --------------------------------------------------------------


def clean_conversion(
    errors: Errors,
    *,
    base_currency: str,
    amount: Decimal | None,
    currency: str | None,
    day: dt.date | None,
    rate=None,
    base_amount=None,
    keep_manual_rate: Decimal | None = None,
) -> Conversion | None:
    """The conversion an expense of `amount` `currency` on `day` gets; None when a field is invalid.

    A manual `rate` (fields `fx_rate`) or `base_amount` wins over the published rate; only one of
    them may be given, and neither for an expense in the base currency. `keep_manual_rate` is an
    update's stored manual rate, kept while the currency stays the same. Otherwise the ECB rate
    on or before `day` is used, or the expense waits for one.
    """
    rate = clean_rate(errors, "fx_rate", rate)
    base_amount = clean_money(
        errors, "base_amount", base_amount, required=False, allow_zero=True, places=currency_places(base_currency)
    )
    manual = rate is not None or base_amount is not None
    if rate is not None and base_amount is not None:
        add_error(errors, "fx_rate", "Give either an exchange rate or an amount in your base currency, not both.")
    elif manual and currency == base_currency:
        add_error(
            errors,
            "fx_rate" if rate is not None else "base_amount",
            f"This expense is in your base currency ({base_currency}); it needs no exchange rate.",
        )
    if errors or amount is None or currency is None or day is None:
        return None
    if manual:
        conversion = manual_conversion(
            amount=amount, base_currency=base_currency, day=day, rate=rate, base_amount=base_amount
        )
    elif keep_manual_rate is not None and currency != base_currency:
        conversion = manual_conversion(amount=amount, base_currency=base_currency, day=day, rate=keep_manual_rate)
    else:
        conversion = published_conversion(amount=amount, currency=currency, base_currency=base_currency, day=day)
    if conversion.base_amount is not None and conversion.base_amount > MAX_AMOUNT:
        # The base amount is stored as Numeric(12, 2) like every amount: refused, never cut.
        add_error(
            errors,
            "fx_rate" if rate is not None else "amount",
            f"In your base currency this is {conversion.base_amount:,} {base_currency}, more than the "
            f"largest amount this app holds ({MAX_AMOUNT:,}).",
        )
        return None
    return conversion
