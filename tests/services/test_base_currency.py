"""Changing the base currency (issue 12, item 5): every expense re-converted in one UPDATE, manual
rates carried over or the change refused, budgets kept or converted, the stats exact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import BudgetVersion, Expense, ExpenseStats, User
from expense_app.services import budgets, expenses
from expense_app.services.base_currency import change_base_currency
from expense_app.services.conversions import convert_amount, rate_product
from expense_app.services.exchange_rates import cross_rate_value
from expense_app.services.money import sum_amount_cents
from tests import factories
from tests.rates import MARCH_2024, store_rates
from tests.services.conftest import count_statements

FRIDAY, SATURDAY, THURSDAY = dt.date(2024, 3, 15), dt.date(2024, 3, 16), dt.date(2024, 3, 28)
BEFORE_HISTORY = dt.date(1998, 12, 31)


@pytest.fixture
def eur_user(ctx, make_user):
    store_rates(MARCH_2024)
    return db.session.get(User, make_user(currency="EUR").id)


def stored(expense_id: int) -> tuple:
    db.session.expire_all()
    row = db.session.get(Expense, expense_id)
    return row.base_amount, row.fx_rate, row.fx_date, row.fx_source


def stats_are_exact(user_id: int) -> bool:
    db.session.expire_all()
    count, cents, waiting = db.session.execute(
        sa.select(
            sa.func.count(),
            sum_amount_cents(Expense.base_amount),
            sa.func.count().filter(Expense.base_amount.is_(None)),
        ).where(Expense.user_id == user_id)
    ).one()
    row = db.session.get(ExpenseStats, user_id)
    return (row.expense_count, row.total_cents, row.unconverted_count) == (count, int(cents), waiting)


def add(user, amount, currency, day, **fields) -> int:
    return factories.create_expense(user, amount=amount, currency=currency, date=day, **fields)


def test_every_kind_of_expense_is_reconverted(eur_user):
    in_eur = add(eur_user, "100.00", "EUR", FRIDAY)
    in_usd = add(eur_user, "100.00", "USD", FRIDAY)
    in_gbp = add(eur_user, "50.00", "GBP", SATURDAY)
    in_jpy = add(eur_user, "1000", "JPY", THURSDAY)
    unpublished = add(eur_user, "1000.00", "ARS", FRIDAY)
    early = add(eur_user, "20.00", "USD", BEFORE_HISTORY)
    manual = add(eur_user, "80.00", "CHF", FRIDAY, fx_rate="1.05")
    assert stored(early)[3] is None  # no EUR rate before 1999: waiting

    report = change_base_currency(user=eur_user, currency="USD")

    usd_per_eur = Decimal("1.0892")
    assert stored(in_eur) == (Decimal("108.92"), usd_per_eur, FRIDAY, "ecb")
    assert stored(in_usd) == (Decimal("100.00"), Decimal(1), FRIDAY, "same")
    gbp_usd = cross_rate_value(Decimal("0.8541"), usd_per_eur)  # Saturday takes Friday's rates
    assert stored(in_gbp) == (convert_amount(Decimal(50), gbp_usd, "USD"), gbp_usd, FRIDAY, "ecb")
    jpy_usd = cross_rate_value(Decimal("163.45"), Decimal("1.0811"))
    assert stored(in_jpy) == (convert_amount(Decimal(1000), jpy_usd, "USD"), jpy_usd, THURSDAY, "ecb")
    assert stored(unpublished) == (None, None, None, None)
    assert stored(early) == (Decimal("20.00"), Decimal(1), BEFORE_HISTORY, "same")  # waiting no more
    carried = rate_product(Decimal("1.05"), usd_per_eur)
    assert carried == Decimal("1.1436600000")
    assert stored(manual) == (Decimal("91.49"), carried, FRIDAY, "manual")  # 80 x 1.14366 = 91.4928
    assert (report.old_currency, report.new_currency) == ("EUR", "USD")
    assert (report.converted, report.same, report.manual, report.waiting) == (3, 2, 1, 1)
    assert report.expenses == 7
    db.session.expire_all()
    assert db.session.get(User, eur_user.id).currency == "USD"
    assert eur_user.currency == "USD"
    assert stats_are_exact(eur_user.id)


def test_there_and_back_again_restores_the_published_conversions(eur_user):
    amounts = {"USD": "12.34", "GBP": "0.05", "JPY": "1234"}
    ids = [add(eur_user, amount, code, day) for code, amount in amounts.items() for day in (FRIDAY, SATURDAY)]
    before = [stored(expense_id) for expense_id in ids]
    change_base_currency(user=eur_user, currency="GBP")
    change_base_currency(user=eur_user, currency="EUR")
    assert [stored(expense_id) for expense_id in ids] == before
    assert stats_are_exact(eur_user.id)


def test_a_zero_digit_base_currency_rounds_half_up_to_whole_units(eur_user):
    # 0.50 EUR x 162.03 = 81.015 -> 81; 1.00 x 162.03 = 162.03 -> 162; 0.01 x 162.03 = 1.6203 -> 2
    ids = [add(eur_user, amount, "EUR", FRIDAY) for amount in ("0.50", "1.00", "0.01")]
    change_base_currency(user=eur_user, currency="JPY")
    assert [stored(expense_id)[0] for expense_id in ids] == [Decimal("81.00"), Decimal("162.00"), Decimal("2.00")]
    assert stats_are_exact(eur_user.id)


def test_all_expenses_change_in_one_update_statement(app, eur_user):
    for day in (FRIDAY, SATURDAY, THURSDAY):
        for code in ("EUR", "USD", "GBP", "ARS"):
            add(eur_user, "10.00", code, day)
    add(eur_user, "10.00", "CHF", FRIDAY, base_amount="9.50")
    with count_statements(db.engine) as statements:
        change_base_currency(user=eur_user, currency="GBP")
    updates = [sql for sql in statements if sql.lstrip().upper().startswith("UPDATE EXPENSES")]
    assert len(updates) == 1, statements


def test_manual_rates_that_cannot_be_carried_refuse_the_whole_change(eur_user):
    published = add(eur_user, "10.00", "USD", FRIDAY)
    manual = add(eur_user, "10.00", "USD", BEFORE_HISTORY, fx_rate="0.9")
    add(eur_user, "10.00", "CHF", dt.date(1998, 6, 1), base_amount="12.00")
    before = [stored(published), stored(manual)]
    with pytest.raises(ValidationFailed) as raised:
        change_base_currency(user=eur_user, currency="GBP")
    message = raised.value.errors["currency"][0]
    assert message.startswith("2 expenses have manual exchange rates to EUR that cannot be carried over to GBP")
    assert "1998-06-01" in message
    db.session.expire_all()
    assert db.session.get(User, eur_user.id).currency == "EUR"
    assert [stored(published), stored(manual)] == before


def test_a_manual_expense_in_the_new_base_currency_needs_no_rate(eur_user):
    manual = add(eur_user, "10.00", "USD", BEFORE_HISTORY, fx_rate="0.9")
    report = change_base_currency(user=eur_user, currency="USD")
    assert stored(manual) == (Decimal("10.00"), Decimal(1), BEFORE_HISTORY, "same")
    assert (report.same, report.manual) == (1, 0)


def test_budgets_keep_their_numbers_or_are_converted_at_todays_rate(eur_user):
    factories.create_budget(eur_user, amount="500.00")
    factories.create_budget(eur_user, amount="0.00", overall=True)
    report = change_base_currency(user=eur_user, currency="USD", budgets="keep")
    assert report.budgets_converted == 0
    assert amounts_of_budgets(eur_user) == [Decimal("0.00"), Decimal("500.00")]

    # Today is a Sunday: Thursday's rate (Good Friday had none). USD -> GBP = 0.8551 / 1.0811.
    report = change_base_currency(user=eur_user, currency="GBP", budgets="convert", today=dt.date(2024, 3, 31))
    assert report.budgets_converted == 2
    rate = cross_rate_value(Decimal("1.0811"), Decimal("0.8551"))
    assert amounts_of_budgets(eur_user) == [Decimal("0.00"), convert_amount(Decimal(500), rate, "GBP")]
    assert convert_amount(Decimal(500), rate, "GBP") == Decimal("395.48")


def amounts_of_budgets(user) -> list[Decimal]:
    db.session.expire_all()
    owned = budgets.list_budgets(user=user)
    ids = [budget.id for budget in owned]
    return sorted(db.session.scalars(sa.select(BudgetVersion.amount).where(BudgetVersion.budget_id.in_(ids))))


def test_budgets_cannot_be_converted_without_a_rate(eur_user):
    factories.create_budget(eur_user, amount="500.00")
    add(eur_user, "10.00", "EUR", FRIDAY)
    with pytest.raises(ValidationFailed) as raised:
        change_base_currency(user=eur_user, currency="USD", budgets="convert", today=BEFORE_HISTORY)
    assert raised.value.errors == {
        "budgets": ["There is no exchange rate from EUR to USD to convert your budgets at; keep their amounts instead."]
    }
    db.session.expire_all()
    assert db.session.get(User, eur_user.id).currency == "EUR"
    assert amounts_of_budgets(eur_user) == [Decimal("500.00")]


@pytest.mark.parametrize(
    ("currency", "budget_choice", "field", "text"),
    [
        ("XYZ", "keep", "currency", "ISO 4217"),
        ("BHD", "keep", "currency", "3 decimal places"),
        ("USD", "halve", "budgets", "Must be one of: keep, convert."),
    ],
)
def test_bad_input_is_refused(eur_user, currency, budget_choice, field, text):
    with pytest.raises(ValidationFailed) as raised:
        change_base_currency(user=eur_user, currency=currency, budgets=budget_choice)
    assert text in raised.value.errors[field][0]


def test_the_same_currency_again_changes_nothing(eur_user):
    expense = add(eur_user, "10.00", "USD", FRIDAY, fx_rate="0.95")
    report = change_base_currency(user=eur_user, currency=" eur ")
    assert (report.old_currency, report.new_currency, report.manual, report.expenses) == ("EUR", "EUR", 1, 1)
    assert stored(expense) == (Decimal("9.50"), Decimal("0.9500000000"), FRIDAY, "manual")


def test_other_users_expenses_and_currency_are_untouched(eur_user, make_user):
    other = db.session.get(User, make_user(currency="EUR").id)
    theirs = add(other, "10.00", "USD", FRIDAY)
    before = stored(theirs)
    add(eur_user, "10.00", "USD", FRIDAY)
    change_base_currency(user=eur_user, currency="USD")
    assert stored(theirs) == before
    assert db.session.get(User, other.id).currency == "EUR"
    assert stats_are_exact(other.id)


def test_new_expenses_after_the_change_use_the_new_base(eur_user):
    change_base_currency(user=eur_user, currency="USD")
    owner = db.session.get(User, eur_user.id)
    created = expenses.create_expense(
        user=owner, amount="10.00", currency="EUR", date=FRIDAY, category_id=factories.category_id(owner)
    )
    assert stored(created.id) == (Decimal("10.89"), Decimal("1.0892000000"), FRIDAY, "ecb")
