"""`flask rates load [FILE]`: stores the ECB rates and converts the expenses that were waiting for
them, leaving unpublished currencies waiting and `expense_stats` exact (issue 12, items 2 and 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import ExchangeRate, Expense, ExpenseStats
from expense_app.services.exchange_rates import cross_rate_value
from expense_app.services.money import sum_amount_cents
from tests import factories

FRIDAY, SATURDAY = dt.date(2024, 3, 15), dt.date(2024, 3, 16)
RATES_CSV = "Date,USD,GBP,\n2024-03-15,1.0892,0.8541,\n2024-03-14,1.0925,0.8542,\n"


@pytest.fixture
def waiting_expenses(app, make_user):
    """An EUR user's expenses recorded before any rate was loaded: (user id, {name: expense id})."""
    user = make_user(currency="EUR")
    with app.app_context():
        ids = {
            "usd": factories.create_expense(user, amount="100.00", currency="USD", date=FRIDAY),
            "gbp": factories.create_expense(user, amount="50.00", currency="GBP", date=SATURDAY),
            "ars": factories.create_expense(user, amount="1000.00", currency="ARS", date=FRIDAY),
            "eur": factories.create_expense(user, amount="10.00", currency="EUR", date=FRIDAY),
            "old": factories.create_expense(user, amount="5.00", currency="USD", date=dt.date(2024, 3, 1)),
        }
    return user.id, ids


def conversion(expense_id: int) -> tuple:
    row = db.session.get(Expense, expense_id)
    return row.base_amount, row.fx_rate, row.fx_date, row.fx_source


def stats(user_id: int) -> tuple[int, int, int]:
    """(stored) == (counted) for the user: count, total cents, unconverted."""
    row = db.session.get(ExpenseStats, user_id)
    counted = db.session.execute(
        sa.select(
            sa.func.count(), sum_amount_cents(Expense.base_amount), sa.func.count().filter(Expense.fx_source.is_(None))
        ).where(Expense.user_id == user_id)
    ).one()
    stored = (row.expense_count, row.total_cents, row.unconverted_count)
    assert stored == (counted[0], int(counted[1]), counted[2])
    return stored


def test_loading_a_file_converts_what_was_waiting_and_only_that(app, tmp_path, waiting_expenses):
    user_id, ids = waiting_expenses
    with app.app_context():
        assert stats(user_id) == (5, 1000, 4)
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(RATES_CSV)

    result = app.test_cli_runner().invoke(args=["rates", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "Loaded 6 rates of 2 days (2024-03-14 to 2024-03-15), 6 new, 0 changed" in result.output
    assert "converted 2 waiting expenses" in result.output

    with app.app_context():
        usd_eur = cross_rate_value(Decimal("1.0892"), Decimal(1))
        gbp_eur = cross_rate_value(Decimal("0.8541"), Decimal(1))
        assert conversion(ids["usd"]) == (Decimal("91.81"), usd_eur, FRIDAY, "ecb")
        assert conversion(ids["gbp"]) == (Decimal("58.54"), gbp_eur, FRIDAY, "ecb")  # Saturday: Friday's rate
        assert conversion(ids["ars"]) == (None, None, None, None)  # the ECB does not publish ARS
        assert conversion(ids["old"]) == (None, None, None, None)  # before the file's first day
        assert conversion(ids["eur"]) == (Decimal("10.00"), Decimal(1), FRIDAY, "same")
        assert stats(user_id) == (5, 1000 + 9181 + 5854, 2)

    again = app.test_cli_runner().invoke(args=["rates", "load", str(path)])
    assert again.exit_code == 0, again.output
    assert "0 new, 0 changed; converted 0 waiting expenses" in again.output


def test_the_bundled_history_converts_everything_published(app, waiting_expenses):
    user_id, ids = waiting_expenses
    result = app.test_cli_runner().invoke(args=["rates", "load"])
    assert result.exit_code == 0, result.output
    assert "(1999-01-04 to " in result.output
    assert "converted 3 waiting expenses" in result.output
    with app.app_context():
        assert conversion(ids["old"])[2:] == (dt.date(2024, 3, 1), "ecb")
        assert conversion(ids["ars"]) == (None, None, None, None)
        assert stats(user_id)[2] == 1


def test_a_malformed_file_fails_with_its_reason_and_stores_nothing(app, tmp_path, waiting_expenses):
    user_id, _ = waiting_expenses
    path = tmp_path / "rates.csv"
    path.write_text(RATES_CSV + "2024-03-13,1.09,zero,\n")
    result = app.test_cli_runner().invoke(args=["rates", "load", str(path)])
    assert result.exit_code == 1
    assert "Error: Line 4: GBP rate 'zero' is not a number." in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)) == 0
        assert stats(user_id)[2] == 4


def test_a_missing_file_is_refused(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["rates", "load", str(tmp_path / "nowhere.zip")])
    assert result.exit_code == 1
    assert f"No such file: {tmp_path / 'nowhere.zip'}" in result.output
