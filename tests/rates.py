"""Exchange rates for tests: `store_rates` writes hand-picked ECB rows, as `flask rates load` would.

    store_rates({("USD", date(2024, 3, 15)): "1.0892", ("GBP", date(2024, 3, 15)): "0.8541"})

stores those rates per EUR and, for every day named, the euro's own row of 1 (the loader writes
one on every publication day, and cross rates join two rows of the same day). Needs an app context.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from expense_app.models import ExchangeRate
from expense_app.services.unit_of_work import transaction

# The ECB's reference rates of a few days of March/April 2024 (from the bundled history), enough
# for a weekday, a weekend and the Easter holidays (Good Friday 29 March, Easter Monday 1 April).
MARCH_2024 = {
    ("USD", dt.date(2024, 3, 14)): "1.0925",
    ("GBP", dt.date(2024, 3, 14)): "0.8542",
    ("JPY", dt.date(2024, 3, 14)): "161.7",
    ("USD", dt.date(2024, 3, 15)): "1.0892",
    ("GBP", dt.date(2024, 3, 15)): "0.8541",
    ("JPY", dt.date(2024, 3, 15)): "162.03",
    ("USD", dt.date(2024, 3, 28)): "1.0811",
    ("GBP", dt.date(2024, 3, 28)): "0.8551",
    ("JPY", dt.date(2024, 3, 28)): "163.45",
    ("USD", dt.date(2024, 4, 2)): "1.0749",
    ("GBP", dt.date(2024, 4, 2)): "0.8551",
    ("JPY", dt.date(2024, 4, 2)): "163.01",
}


def store_rates(rates: dict[tuple[str, dt.date], Decimal | str]) -> None:
    """Store `rates` ({(currency, day): units per EUR}) plus EUR = 1 on each of their days, in one transaction.

    A rate already stored for the same currency and day is replaced.
    """
    rows = {(currency, day): Decimal(rate) for (currency, day), rate in rates.items()}
    for _, day in list(rows):
        rows[("EUR", day)] = Decimal(1)
    with transaction() as session:
        for currency, day in rows:
            session.execute(sa.delete(ExchangeRate).where(ExchangeRate.currency == currency, ExchangeRate.date == day))
        session.execute(sa.insert(ExchangeRate), [{"currency": c, "date": d, "rate": r} for (c, d), r in rows.items()])
