"""Expenses in other currencies through the API: the stored conversion, manual rates, refusals.

Rates are the bundled ECB history's, hand-checked: on Friday 2024-03-15 one euro bought
1.0892 USD, 0.8541 GBP and 162.03 JPY; Easter 2024 closed TARGET from Friday 29 March to Monday 1 April.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests import factories
from tests.conftest import bearer


@pytest.fixture
def eur_headers(app, make_user, api_login) -> dict:
    user = make_user(email="eur@example.com", currency="EUR")
    with app.app_context():
        factories.store_bundled_rates(since=dt.date(2024, 3, 1), until=dt.date(2024, 4, 30))
    return bearer(api_login(user)["access_token"])


@pytest.fixture
def post(client, eur_headers):
    food = next(c["id"] for c in client.get("/api/v1/categories", headers=eur_headers).json if c["name"] == "Food")

    def send(**fields):
        body = {"amount": "100.00", "date": "2024-03-15", "category_id": food, **fields}
        return client.post("/api/v1/expenses", json=body, headers=eur_headers)

    return send


def by_hand(amount: str, per_eur: str) -> tuple[str, str]:
    rate = (Decimal(1) / Decimal(per_eur)).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP)
    return str(rate), str((Decimal(amount) * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_a_weekday_and_a_saturday_use_the_friday_rates(post):
    usd = post(currency="USD").json
    gbp = post(currency="GBP", amount="50.00", date="2024-03-16").json
    assert (usd["fx_rate"], usd["base_amount"]) == by_hand("100.00", "1.0892") == ("0.9181050312", "91.81")
    assert (gbp["fx_rate"], gbp["base_amount"]) == by_hand("50.00", "0.8541") == ("1.1708230886", "58.54")
    assert usd["fx_date"] == gbp["fx_date"] == "2024-03-15"
    assert usd["fx_source"] == gbp["fx_source"] == "ecb"
    assert (usd["amount"], usd["currency"]) == ("100.00", "USD")  # the original stays as given


def test_easter_monday_takes_the_thursday_before_good_friday(post):
    created = post(currency="USD", date="2024-04-01").json
    assert created["fx_date"] == "2024-03-28"


def test_an_unpublished_currency_and_a_day_without_a_recent_rate_wait(post):
    ars = post(currency="ARS", amount="15000.00").json
    assert (ars["base_amount"], ars["fx_rate"], ars["fx_date"], ars["fx_source"]) == (None, None, None, None)
    # The rates stored end on 2024-04-30: a June expense would otherwise take a rate weeks old.
    june = post(currency="USD", date="2024-06-14").json
    assert june["fx_source"] is None and june["base_amount"] is None


def test_the_base_currency_needs_no_rate(post):
    created = post(currency="EUR", amount="12.34").json
    assert (created["base_amount"], created["fx_rate"], created["fx_source"]) == ("12.34", "1.0000000000", "same")


def test_a_manual_rate_or_base_amount_wins_and_can_be_given_back(client, eur_headers, post):
    manual = post(currency="USD", fx_rate="0.9").json
    assert (manual["base_amount"], manual["fx_rate"], manual["fx_source"]) == ("90.00", "0.9000000000", "manual")
    charged = post(currency="USD", base_amount="92.37").json
    assert (charged["base_amount"], charged["fx_source"]) == ("92.37", "manual")

    url = f"/api/v1/expenses/{manual['id']}"
    # The amount changes, the manual rate stays.
    kept = client.patch(url, json={"amount": "200.00"}, headers=eur_headers).json
    assert (kept["base_amount"], kept["fx_source"]) == ("180.00", "manual")
    # null returns to the published rate.
    published = client.patch(url, json={"fx_rate": None}, headers=eur_headers).json
    assert (published["base_amount"], published["fx_source"]) == ("183.62", "ecb")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"currency": "USD", "fx_rate": "0.9", "base_amount": "90"}, "fx_rate", "not both"),
        ({"currency": "EUR", "fx_rate": "0.9"}, "fx_rate", "base currency"),
        ({"currency": "USD", "fx_rate": "0"}, "fx_rate", "greater than 0"),
        ({"currency": "USD", "fx_rate": "0.12345678901"}, "fx_rate", "10 decimal places"),
        ({"currency": "USD", "fx_rate": "\u0661"}, "fx_rate", ""),
        ({"currency": "JPY", "amount": "100.50"}, "amount", "whole number"),
        ({"currency": "BHD", "amount": "1.000"}, "currency", "not supported"),
        ({"currency": "USD", "base_amount": "1.234"}, "base_amount", "2 decimal places"),
    ],
)
def test_bad_conversion_input_is_refused_and_stores_nothing(client, eur_headers, post, fields, field, message):
    response = post(**fields)
    assert response.status_code == 422, response.json
    messages = _messages(response.json, field)
    assert messages and message in " ".join(messages)
    assert client.get("/api/v1/expenses", headers=eur_headers).json["total"] == 0


def _messages(body: dict, field: str) -> list[str]:
    """A field's messages, from the service (top level) or from the schema (under `json`)."""
    errors = body["errors"]
    return errors.get(field) or errors.get("json", {}).get(field, [])


def test_a_jpy_amount_in_whole_yen_is_converted_to_cents(post):
    created = post(currency="JPY", amount="1000").json
    assert created["base_amount"] == by_hand("1000", "162.03")[1] == "6.17"


def test_a_base_amount_beyond_the_largest_amount_is_refused(client, make_user, api_login, app):
    # 99,999,999.00 EUR is about 16 billion yen: more than an amount can hold.
    user = make_user(email="jpy@example.com", currency="JPY")
    with app.app_context():
        factories.store_bundled_rates(since=dt.date(2024, 3, 1), until=dt.date(2024, 3, 31), currencies=("JPY",))
    headers = bearer(api_login(user)["access_token"])
    food = next(c["id"] for c in client.get("/api/v1/categories", headers=headers).json if c["name"] == "Food")
    body = {"amount": "99999999.00", "date": "2024-03-15", "category_id": food, "currency": "EUR"}
    response = client.post("/api/v1/expenses", json=body, headers=headers)
    assert response.status_code == 422, response.json
    assert "more than the largest amount" in response.json["errors"]["amount"][0]
    assert client.get("/api/v1/expenses", headers=headers).json["total"] == 0
