"""`ExchangeRate`: the European Central Bank's reference rate of one currency on one day.

A row says "on `date`, one euro bought `rate` units of `currency`", exactly as the ECB publishes it
(at most 6 decimal places; the largest rate ever published, TRL's 1,912,400, fits too). Only days
the ECB published a rate have rows: weekends, TARGET holidays and currencies it stopped (or has not
started) publishing have none. Cross rates between two other currencies go through the euro.
The table is shared reference data, owned by no user.
"""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base


class ExchangeRate(Base):
    __tablename__ = "exchange_rates"
    __table_args__ = (sa.CheckConstraint("rate > 0", name="rate_positive"),)

    # (currency, date) is the primary key and the index "the last rate on or before a day" seeks.
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    date: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(sa.Numeric(18, 6))

    def __repr__(self) -> str:
        return f"<ExchangeRate {self.date} EUR/{self.currency} {self.rate}>"
