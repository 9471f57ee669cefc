"""The expense form's optional conversion: a manual rate or the amount the bank charged, with the
same rules as the API (the service owns them) and the input kept when refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense
from tests import factories
from tests.conftest import count_rows
from tests.web.test_expenses import category_id, field_errors


@pytest.fixture
def eur_user(make_user, app):
    user = make_user(email="eur@example.com", currency="EUR")
    with app.app_context():
        factories.store_bundled_rates(since=dt.date(2024, 3, 1), until=dt.date(2024, 3, 31), currencies=("USD",))
    return user


@pytest.fixture
def browser(client, login, eur_user):
    login(eur_user)
    return client


def form(app, user, **fields) -> dict:
    return {
        "amount": "100.00",
        "date": "2024-03-15",
        "category_id": category_id(app, user),
        "currency": "USD",
        "payment_method": "credit_card",
        **fields,
    }


def stored(app) -> tuple:
    with app.app_context():
        expense = db.session.scalar(sa.select(Expense))
        return expense.base_amount, expense.fx_rate, expense.fx_source, expense.id


def test_without_a_rate_the_ecb_rate_of_the_day_is_used(app, browser, eur_user):
    assert "Conversion to EUR (optional)" in browser.get("/expenses/new").text
    assert browser.post("/expenses/new", data=form(app, eur_user)).status_code == 302
    assert stored(app)[:3] == (Decimal("91.81"), Decimal("0.9181050312"), "ecb")


def test_the_amount_the_bank_charged_wins_and_shows_again_when_editing(app, browser, eur_user):
    assert browser.post("/expenses/new", data=form(app, eur_user, base_amount="93.10")).status_code == 302
    base, rate, source, expense_id = stored(app)
    assert (base, source) == (Decimal("93.10"), "manual") and rate == Decimal("0.9310000000")
    edit = browser.get(f"/expenses/{expense_id}/edit")
    assert 'value="93.10"' in edit.text
    # Emptying it returns to the published rate.
    assert browser.post(f"/expenses/{expense_id}/edit", data=form(app, eur_user, base_amount="")).status_code == 302
    assert stored(app)[:3] == (Decimal("91.81"), Decimal("0.9181050312"), "ecb")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"fx_rate": "0.9", "base_amount": "90"}, "fx_rate", "not both"),
        ({"fx_rate": "0.9", "currency": "EUR"}, "fx_rate", "needs no exchange rate"),
        ({"fx_rate": "-1"}, "fx_rate", "Must be greater than 0."),
        ({"fx_rate": "0.9.1"}, "fx_rate", "Must be a number"),
        ({"base_amount": "9.999"}, "base_amount", "at most 2 decimal places"),
        ({"currency": "JPY", "amount": "10.5"}, "amount", "whole number"),
        ({"currency": "KWD"}, "currency", "not supported"),
    ],
)
def test_a_refused_conversion_is_shown_next_to_its_field_and_nothing_is_stored(
    app, browser, eur_user, fields, field, message
):
    response = browser.post("/expenses/new", data=form(app, eur_user, **fields))
    assert response.status_code == 422
    assert message in field_errors(response.text, field)
    assert count_rows(app, Expense) == 0


def test_a_german_user_types_the_bank_amount_the_german_way(app, client, login, make_user):
    user = make_user(email="de@example.com", currency="EUR", locale="de_DE")
    login(user)
    assert (
        client.post("/expenses/new", data=form(app, user, base_amount="1.093,10", amount="1.200,00")).status_code == 302
    )
    assert stored(app)[:3] == (Decimal("1093.10"), Decimal("0.9109166667"), "manual")
