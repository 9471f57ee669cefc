"""Amounts have at most their currency's minor digits, however they get there: a new expense, a
changed currency with the old amount, a recurring template (whose posts must be valid expenses)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from expense_app.errors import ValidationFailed
from expense_app.services import expenses, recurring
from tests.services.conftest import category_id_of


def test_changing_only_the_currency_checks_the_stored_amount(ctx, user):
    food = category_id_of(user, "Food")
    expense = expenses.create_expense(user=user, amount="10.50", date="2024-03-15", category_id=food)
    with pytest.raises(ValidationFailed) as refused:
        expenses.update_expense(user=user, expense_id=expense.id, currency="JPY")
    assert "whole number" in refused.value.errors["amount"][0]
    assert expenses.get_expense(user=user, expense_id=expense.id).currency == "USD"
    changed = expenses.update_expense(user=user, expense_id=expense.id, currency="JPY", amount="1050")
    assert (changed.amount, changed.currency) == (1050, "JPY")


def create_template(user, **fields):
    return recurring.create_recurring(
        user=user,
        category_id=category_id_of(user, "Housing"),
        start_date=dt.date(2026, 1, 1),
        today=dt.date(2026, 1, 1),
        **fields,
    )


@pytest.mark.parametrize(("amount", "currency"), [("1500", "JPY"), ("0.01", "EUR")])
def test_recurring_templates_accept_amounts_their_currency_can_hold(ctx, user, amount, currency):
    assert create_template(user, amount=amount, currency=currency).amount == Decimal(amount)


@pytest.mark.parametrize(("amount", "currency"), [("15.5", "JPY"), ("2.5", "ISK")])
def test_recurring_templates_refuse_amounts_finer_than_their_currency(ctx, user, amount, currency):
    with pytest.raises(ValidationFailed) as refused:
        create_template(user, amount=amount, currency=currency)
    assert "whole number" in refused.value.errors["amount"][0]


def test_a_template_cannot_switch_to_a_currency_its_amount_does_not_fit(ctx, user):
    template = create_template(user, amount="9.99")
    with pytest.raises(ValidationFailed) as refused:
        recurring.update_recurring(user=user, recurring_id=template.id, currency="JPY", today=dt.date(2026, 1, 1))
    assert "amount" in refused.value.errors
