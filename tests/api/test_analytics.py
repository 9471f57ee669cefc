"""Analytics API: shapes, money as strings, authentication, 422 messages and isolation.

The figures are the hand-computed ones of tests/services/test_analytics.py, seen through HTTP.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import bearer
from tests.services.test_analytics import seed_expenses

NOVEMBER = "date_from=2026-11-01&date_to=2026-11-30"
ENDPOINTS = ("summary", "by-category", "by-payment-method", "trend", "top-expenses")


@pytest.fixture
def seeded(app, make_user):
    return seed_expenses(app, make_user)


@pytest.fixture
def alex_headers(seeded, api_login):
    return bearer(api_login(seeded.alex)["access_token"])


@pytest.fixture
def sam_headers(seeded, api_login):
    return bearer(api_login(seeded.sam)["access_token"])


def get(client, path: str, headers: dict):
    return client.get(f"/api/v1/analytics/{path}", headers=headers)


def test_summary(client, alex_headers):
    response = get(client, "summary?date_from=2026-10-02&date_to=2026-10-31", alex_headers)
    assert response.status_code == 200
    assert response.json == {
        "date_from": "2026-10-02",
        "date_to": "2026-10-31",
        "total": "500.00",  # 100.00 + 400.00
        "count": 2,
        "unconverted_count": 0,
        "average": "250.00",
        "daily_average": "16.67",  # 500.00 / 30 days
        "previous_period": {
            "date_from": "2026-09-02",
            "date_to": "2026-10-01",
            "total": "50.00",
            "unconverted_count": 0,
            "rule": "previous_days",  # 2 - 31 October is neither whole months nor from a 1st
        },
        "change_pct": 900.0,
    }


def test_summary_of_a_finished_period_in_full(client, alex_headers):
    body = get(client, "summary?date_from=2024-02-01&date_to=2024-02-29", alex_headers).json
    assert body == {
        "date_from": "2024-02-01",
        "date_to": "2024-02-29",
        "total": "13.34",
        "count": 2,
        "unconverted_count": 0,
        "average": "6.67",
        "daily_average": "0.46",
        "previous_period": {
            "date_from": "2024-01-01",  # a whole month compares with the whole month before
            "date_to": "2024-01-31",
            "total": "0.00",
            "unconverted_count": 0,
            "rule": "previous_months",
        },
        "change_pct": None,
    }


def test_by_category(client, alex_headers, seeded):
    body = get(client, f"by-category?{NOVEMBER}", alex_headers).json
    ids = seeded.alex_categories
    assert body == {
        "date_from": "2026-11-01",
        "date_to": "2026-11-30",
        "total": "1000.29",
        "unconverted_count": 0,
        "items": [
            {
                "category_id": ids["Housing"],
                "name": "Housing",
                "color": "#6f42c1",
                "total": "900.00",
                "count": 1,
                "unconverted_count": 0,
                "share_pct": 90.0,
            },
            {
                "category_id": ids["Transport"],
                "name": "Transport",
                "color": "#0d6efd",
                "total": "99.99",
                "count": 3,
                "unconverted_count": 0,
                "share_pct": 10.0,
            },
            {
                "category_id": ids["Food"],
                "name": "Food",
                "color": "#198754",
                "total": "0.30",
                "count": 2,
                "unconverted_count": 0,
                "share_pct": 0.0,
            },
        ],
    }


def test_by_payment_method(client, alex_headers):
    body = get(client, "by-payment-method?date_from=2025-06-01&date_to=2025-06-30", alex_headers).json
    assert body == {
        "date_from": "2025-06-01",
        "date_to": "2025-06-30",
        "total": "400.00",
        "unconverted_count": 0,
        "items": [
            {"payment_method": "credit_card", "total": "399.00", "count": 1, "unconverted_count": 0, "share_pct": 99.8},
            {"payment_method": "cash", "total": "1.00", "count": 1, "unconverted_count": 0, "share_pct": 0.3},
        ],
    }


def test_trend_by_iso_week_across_the_year_end(client, alex_headers):
    body = get(client, "trend?interval=week&date_from=2026-12-24&date_to=2027-01-10", alex_headers).json
    assert body == {
        "interval": "week",
        "date_from": "2026-12-24",
        "date_to": "2027-01-10",
        "unconverted_count": 0,
        "items": [
            {"period": "2026-W52", "start": "2026-12-21", "total": "5.00", "count": 1, "unconverted_count": 0},
            {"period": "2026-W53", "start": "2026-12-28", "total": "60.00", "count": 3, "unconverted_count": 0},
            {"period": "2027-W01", "start": "2027-01-04", "total": "40.00", "count": 1, "unconverted_count": 0},
        ],
    }


def test_trend_defaults_to_months(client, alex_headers):
    body = get(client, "trend?date_from=2026-09-01&date_to=2026-11-30", alex_headers).json
    assert body["interval"] == "month"
    assert body["items"] == [
        {"period": "2026-09", "start": "2026-09-01", "total": "0.00", "count": 0, "unconverted_count": 0},
        {"period": "2026-10", "start": "2026-10-01", "total": "550.00", "count": 3, "unconverted_count": 0},
        {"period": "2026-11", "start": "2026-11-01", "total": "1000.29", "count": 6, "unconverted_count": 0},
    ]


def test_trend_by_day_over_the_leap_day(client, alex_headers):
    body = get(client, "trend?interval=day&date_from=2024-02-28&date_to=2024-03-01", alex_headers).json
    assert body["items"] == [
        {"period": "2024-02-28", "start": "2024-02-28", "total": "1.00", "count": 1, "unconverted_count": 0},
        {"period": "2024-02-29", "start": "2024-02-29", "total": "12.34", "count": 1, "unconverted_count": 0},
        {"period": "2024-03-01", "start": "2024-03-01", "total": "1.00", "count": 1, "unconverted_count": 0},
    ]


def test_top_expenses_use_the_expense_shape(client, alex_headers, seeded):
    body = get(client, f"top-expenses?limit=2&{NOVEMBER}", alex_headers).json
    assert [(item["amount"], item["date"], item["description"]) for item in body["items"]] == [
        ("900.00", "2026-11-30", "Rent"),
        ("33.33", "2026-11-12", "Train"),
    ]
    rent = body["items"][0]
    assert rent["category"] == {"id": seeded.alex_categories["Housing"], "name": "Housing", "color": "#6f42c1"}
    assert rent["payment_method"] == "bank_transfer"
    assert rent["currency"] == "USD"
    assert rent["tags"] == []
    assert set(rent) >= {"id", "amount", "currency", "date", "description", "category_id", "created_at"}
    assert len(get(client, f"top-expenses?{NOVEMBER}", alex_headers).json["items"]) == 5


def test_money_is_always_a_string(client, alex_headers):
    body = get(client, f"summary?{NOVEMBER}", alex_headers).json
    for key in ("total", "average", "daily_average"):
        assert isinstance(body[key], str)
    assert isinstance(body["previous_period"]["total"], str)
    for path in ("by-category", "by-payment-method", "trend"):
        for item in get(client, f"{path}?{NOVEMBER}", alex_headers).json["items"]:
            assert isinstance(item["total"], str)


def test_filters_repeat(client, alex_headers, seeded):
    transport = seeded.alex_categories["Transport"]
    food = seeded.alex_categories["Food"]
    body = get(
        client,
        f"summary?{NOVEMBER}&category_id={transport}&category_id={food}&payment_method=credit_card",
        alex_headers,
    ).json
    # 0.20 (food, credit card) + 33.33 + 33.33 (transport, credit card)
    assert (body["total"], body["count"]) == ("66.86", 3)
    methods = get(client, f"by-payment-method?{NOVEMBER}&payment_method=cash&payment_method=debit_card", alex_headers)
    assert [item["payment_method"] for item in methods.json["items"]] == ["debit_card", "cash"]


def test_default_period_is_the_current_month(client, alex_headers):
    today = dt.date.today()
    body = get(client, "summary", alex_headers).json
    assert body["date_from"] == today.replace(day=1).isoformat()
    assert dt.date.fromisoformat(body["date_to"]).month == today.month
    assert (dt.date.fromisoformat(body["date_to"]) + dt.timedelta(days=1)).day == 1


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_needs_a_token(client, path):
    response = client.get(f"/api/v1/analytics/{path}")
    assert response.status_code == 401
    assert response.json["code"] == 401
    assert response.json["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_bad_token_is_refused(client, path):
    response = get(client, path, bearer("not.a.token"))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("summary?date_from=2026-11-30&date_to=2026-11-01", "date_from", "Must be on or before date_to."),
        (
            "by-category?date_from=2016-01-01&date_to=2026-01-01",
            "date_to",
            "The period must be at most 10 years long.",
        ),
        (
            "trend?interval=day&date_from=2025-01-01&date_to=2026-01-02",
            "interval",
            "A daily trend covers at most 366 days; this period has 367. Use week or month.",
        ),
        ("by-payment-method?payment_method=cheque", "payment_method", None),
        ("top-expenses?limit=51", "limit", None),
        ("top-expenses?limit=0", "limit", None),
        ("trend?interval=year", "interval", None),
        ("summary?date_from=yesterday", "date_from", None),
    ],
)
def test_invalid_queries_are_422_with_a_message(client, alex_headers, query, field, message):
    response = get(client, query, alex_headers)
    assert response.status_code == 422, response.json
    body = response.json
    assert body["code"] == 422
    assert body["status"] == "Unprocessable Entity"
    assert field in body["errors"]
    assert field in body["message"]
    if message:
        assert body["errors"][field] == [message]


def test_a_second_user_sees_none_of_the_first_users_data(client, sam_headers, seeded):
    summary = get(client, f"summary?{NOVEMBER}", sam_headers).json
    assert (summary["total"], summary["count"]) == ("7778.88", 2)
    names = [item["name"] for item in get(client, f"by-category?{NOVEMBER}", sam_headers).json["items"]]
    assert names == ["Food", "Housing"]
    top = get(client, f"top-expenses?limit=50&{NOVEMBER}", sam_headers).json["items"]
    assert [item["description"] for item in top] == ["Sam's feast", "Sam's rent"]
    # Filtering by the first user's category matches nothing instead of leaking it.
    alex_housing = seeded.alex_categories["Housing"]
    foreign = get(client, f"summary?{NOVEMBER}&category_id={alex_housing}", sam_headers).json
    assert (foreign["total"], foreign["count"]) == ("0.00", 0)
    foreign_top = get(client, f"top-expenses?{NOVEMBER}&category_id={alex_housing}", sam_headers).json
    assert foreign_top == {"items": [], "unconverted_count": 0}


def test_documented_in_openapi(client):
    spec = client.get("/api/openapi.json").json
    tag = next(tag for tag in spec["tags"] if tag["name"] == "Analytics")
    assert tag["description"]
    for path in ENDPOINTS:
        operation = spec["paths"][f"/api/v1/analytics/{path}"]["get"]
        assert operation["tags"] == ["Analytics"]
        assert operation["summary"] and operation["description"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"200", "401", "422"} <= set(operation["responses"])
        assert operation["responses"]["200"]["content"]["application/json"]["example"]
        names = {param["name"] for param in operation["parameters"]}
        assert {"date_from", "date_to", "category_id", "payment_method"} <= names
    summary_schema = spec["components"]["schemas"]["Summary"]["properties"]
    assert summary_schema["total"]["type"] == "string"
    assert summary_schema["total"]["format"] == "decimal"
