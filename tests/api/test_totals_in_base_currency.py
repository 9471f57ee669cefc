"""Issue 12's scenario through the API: every total is 170.30 EUR and says 1 expense was left out.

EUR 20.00 + USD 100.00 (91.83) + GBP 50.00 (58.47, Saturday at Friday's rate) + ARS 25,000.00
(no ECB rate: waiting). See `tests.factories.create_trip`.
"""

import pytest

from expense_app.extensions import db
from expense_app.models import User
from tests.conftest import bearer
from tests.factories import create_trip

TOTAL = "170.30"
MARCH = "date_from=2024-03-01&date_to=2024-03-31"


@pytest.fixture
def eur_headers(app, make_user, api_login):
    user = make_user(currency="EUR")
    with app.app_context():
        create_trip(db.session.get(User, user.id))
    return bearer(api_login(user)["access_token"])


def get(client, headers, path):
    response = client.get(f"/api/v1/{path}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_each_expense_carries_its_rate_and_date(client, eur_headers):
    items = {item["currency"]: item for item in get(client, eur_headers, "expenses?per_page=10")["items"]}
    assert (items["USD"]["base_amount"], items["USD"]["fx_rate"], items["USD"]["fx_date"]) == (
        "91.83",
        "0.9182736455",
        "2024-03-15",
    )
    assert (items["GBP"]["base_amount"], items["GBP"]["fx_rate"], items["GBP"]["fx_date"]) == (
        "58.47",
        "1.1693171188",
        "2024-03-15",
    )
    assert (items["ARS"]["amount"], items["ARS"]["base_amount"], items["ARS"]["fx_source"]) == ("25000.00", None, None)


@pytest.mark.parametrize("query", ["", f"?{MARCH}", "?payment_method=cash&payment_method=credit_card"])
def test_the_list_total(client, eur_headers, query):
    body = get(client, eur_headers, f"expenses{query}")
    assert (body["total"], body["total_amount"], body["unconverted_count"]) == (4, TOTAL, 1)


def test_categories(client, eur_headers):
    body = {item["name"]: item for item in get(client, eur_headers, "categories")}
    assert (body["Food"]["total_amount"], body["Food"]["unconverted_count"]) == ("78.47", 0)
    assert (body["Transport"]["expense_count"], body["Transport"]["total_amount"]) == (1, "0.00")
    assert body["Transport"]["unconverted_count"] == 1


def test_every_analytics_total(client, eur_headers):
    summary = get(client, eur_headers, f"analytics/summary?{MARCH}")
    assert (summary["total"], summary["count"], summary["unconverted_count"]) == (TOTAL, 4, 1)
    assert summary["average"] == "56.77"
    for path in ("by-category", "by-payment-method"):
        body = get(client, eur_headers, f"analytics/{path}?{MARCH}")
        assert (body["total"], body["unconverted_count"]) == (TOTAL, 1), path
        assert sum(item["unconverted_count"] for item in body["items"]) == 1
    for interval in ("day", "week", "month"):
        trend = get(client, eur_headers, f"analytics/trend?interval={interval}&{MARCH}")
        cents = sum(int(point["total"].replace(".", "")) for point in trend["items"])
        assert (cents, trend["unconverted_count"]) == (17030, 1), interval
    top = get(client, eur_headers, f"analytics/top-expenses?limit=10&{MARCH}")
    assert [(item["currency"], item["base_amount"]) for item in top["items"]] == [
        ("USD", "91.83"),
        ("GBP", "58.47"),
        ("EUR", "20.00"),
    ]
    assert top["unconverted_count"] == 1


def test_by_currency(client, eur_headers):
    body = get(client, eur_headers, f"analytics/by-currency?{MARCH}")
    assert body == {
        "date_from": "2024-03-01",
        "date_to": "2024-03-31",
        "base_currency": "EUR",
        "total": TOTAL,
        "unconverted_count": 1,
        "items": [
            {"currency": "USD", "count": 1, "total": "100.00", "base_total": "91.83", "unconverted_count": 0},
            {"currency": "GBP", "count": 1, "total": "50.00", "base_total": "58.47", "unconverted_count": 0},
            {"currency": "EUR", "count": 1, "total": "20.00", "base_total": "20.00", "unconverted_count": 0},
            {"currency": "ARS", "count": 1, "total": "25000.00", "base_total": "0.00", "unconverted_count": 1},
        ],
    }
    cash = get(client, eur_headers, f"analytics/by-currency?{MARCH}&payment_method=cash")
    assert [item["currency"] for item in cash["items"]] == ["EUR", "ARS"]
    assert (cash["total"], cash["unconverted_count"]) == ("20.00", 1)


def test_by_currency_refuses_a_bad_period_as_json(client, eur_headers):
    response = client.get("/api/v1/analytics/by-currency?date_from=2024-04-01&date_to=2024-03-01", headers=eur_headers)
    assert response.status_code == 422
    assert response.json["errors"] == {"date_from": ["Must be on or before date_to."]}
    assert client.get("/api/v1/analytics/by-currency").status_code == 401


def test_budget_status(client, eur_headers):
    created = client.post(
        "/api/v1/budgets", json={"amount": "500.00", "effective_from": "2024-03"}, headers=eur_headers
    )
    assert created.status_code == 201, created.json
    status = get(client, eur_headers, "budgets/status?month=2024-03")
    [line] = status["items"]
    assert (line["spent"], line["unconverted_count"], status["unconverted_count"]) == (TOTAL, 1, 1)


def test_by_currency_is_documented_like_the_others(client):
    spec = client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/analytics/by-currency"]["get"]
    assert operation["summary"] and operation["description"]
    assert operation["tags"] == ["Analytics"]
    assert operation["security"]
    assert {"200", "401", "422"} <= set(operation["responses"])
    assert "example" in str(operation["responses"]["200"])
    schemas = spec["components"]["schemas"]
    for name in ("Summary", "ByCategory", "ByPaymentMethod", "Trend", "TopExpenses", "ByCurrency", "ExpensePage"):
        assert "unconverted_count" in schemas[name]["properties"], name
        assert "no exchange rate yet" in schemas[name]["properties"]["unconverted_count"]["description"]
