"""The API face of issue 13 on 1 December 2026: `period=` on every analytics operation, the
comparison period the summary used (`previous_period` with its `rule`), refused `period` values,
and the budget status's projection parts. Data and hand computations: tests/services/like_with_like.py
and the service tests next to it."""

from __future__ import annotations

import pytest

from expense_app.extensions import db
from expense_app.models import User
from tests.conftest import bearer
from tests.services.like_with_like import build_comparison_user, build_projection_user, freeze, neighbour

ENDPOINTS = ("summary", "by-category", "by-payment-method", "trend", "top-expenses", "by-currency")


@pytest.fixture
def headers(app, make_user, api_login, monkeypatch):
    neighbour(app, make_user)
    freeze(monkeypatch)
    owner = make_user(email="compare@example.com", currency="EUR")
    with app.app_context():
        build_comparison_user(db.session.get(User, owner.id))
    return bearer(api_login(owner)["access_token"])


def summary(client, headers, query: str) -> dict:
    response = client.get(f"/api/v1/analytics/summary?{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


# (query, period, total, previous_period, change_pct)
SUMMARY_CASES = [
    # 1 Dec vs 1 Nov: 1,012.50 against 1,018.00 (the ARS taxi of 1 Nov waits for a rate).
    (
        "period=this_month",
        ("2026-12-01", "2026-12-01"),
        "1012.50",
        ("2026-11-01", "2026-11-01", "1018.00", 1, "same_days_previous_month"),
        -0.5,
    ),
    # November vs all of October, its rent of 1 Oct included.
    (
        "period=last_month",
        ("2026-11-01", "2026-11-30"),
        "1093.00",
        ("2026-10-01", "2026-10-31", "1075.00", 0, "previous_months"),
        1.7,
    ),
    (
        "period=year_to_date",
        ("2026-01-01", "2026-12-01"),
        "3180.50",
        ("2025-01-01", "2025-12-01", "60.00", 0, "same_days_last_year"),
        5200.8,
    ),
    # The same days given as dates: the rule follows from the dates alone.
    (
        "date_from=2026-12-01&date_to=2026-12-01",
        ("2026-12-01", "2026-12-01"),
        "1012.50",
        ("2026-11-01", "2026-11-01", "1018.00", 1, "same_days_previous_month"),
        -0.5,
    ),
    (
        "period=custom&date_from=2026-11-01&date_to=2026-11-30",
        ("2026-11-01", "2026-11-30"),
        "1093.00",
        ("2026-10-01", "2026-10-31", "1075.00", 0, "previous_months"),
        1.7,
    ),
    # A named period wins over dates sent with it (the dashboard's form always sends both).
    (
        "period=last_month&date_from=2020-01-01&date_to=2020-01-05",
        ("2026-11-01", "2026-11-30"),
        "1093.00",
        ("2026-10-01", "2026-10-31", "1075.00", 0, "previous_months"),
        1.7,
    ),
]


def test_summary_says_which_period_it_compared_with(client, headers):
    keys = ("date_from", "date_to", "total", "unconverted_count", "rule")
    for query, period, total, previous, change in SUMMARY_CASES:
        body = summary(client, headers, query)
        assert (body["date_from"], body["date_to"], body["total"]) == (*period, total), query
        assert body["previous_period"] == dict(zip(keys, previous, strict=True)), query
        assert body["change_pct"] == change, query


def test_every_operation_takes_period(client, headers):
    for endpoint in ENDPOINTS:
        named = client.get(f"/api/v1/analytics/{endpoint}?period=last_month", headers=headers)
        dated = client.get(f"/api/v1/analytics/{endpoint}?date_from=2026-11-01&date_to=2026-11-30", headers=headers)
        assert named.status_code == dated.status_code == 200, endpoint
        assert named.json == dated.json, endpoint


@pytest.mark.parametrize(
    "value", ["", "forever", "THIS_MONTH", "this_month\x00", "last_30_days", "x" * 5000, "this month", "custom "]
)
def test_an_unknown_period_is_refused_clearly(client, api_headers, value):
    for endpoint in ENDPOINTS:
        response = client.get(f"/api/v1/analytics/{endpoint}", query_string={"period": value}, headers=api_headers)
        assert response.status_code == 422, endpoint
        [message] = response.json["errors"]["period"]
        assert message.startswith("Must be one of: this_month, last_month, last_3_months"), endpoint


def test_a_repeated_period_uses_the_first(client, headers):
    # webargs reads one value of a non-list field (the first); a second cannot mix two periods.
    response = client.get("/api/v1/analytics/summary?period=this_month&period=last_month", headers=headers)
    assert response.status_code == 200
    assert response.json == summary(client, headers, "period=this_month")


def test_the_spec_documents_period_and_rule(client):
    spec = client.get("/api/openapi.json").json
    parameters = spec["paths"]["/api/v1/analytics/summary"]["get"]["parameters"]
    [period] = [p for p in parameters if p["name"] == "period"]
    assert period["schema"]["enum"] == [
        "this_month",
        "last_month",
        "last_3_months",
        "last_12_months",
        "year_to_date",
        "custom",
    ]
    rule = spec["components"]["schemas"]["PeriodTotal"]["properties"]["rule"]
    assert rule["enum"] == ["previous_months", "same_days_previous_month", "same_days_last_year", "previous_days"]


# --- the budget status's projection parts ----------------------------------------------------------


def test_budget_status_on_the_first_with_rent_paid(app, client, make_user, api_login, monkeypatch):
    neighbour(app, make_user)
    freeze(monkeypatch)
    owner = make_user(email="projection@example.com", currency="EUR")
    with app.app_context():
        build_projection_user(db.session.get(User, owner.id))
    body = client.get("/api/v1/budgets/status", headers=bearer(api_login(owner)["access_token"])).json
    assert (body["month"], body["days_left"]) == ("2026-12", 31)
    parts = ("spent", "scheduled_recurring", "projected_variable", "projected_total", "variable_pace", "pace_basis")
    lines = {line["name"]: line for line in body["items"]}
    # Hand-computed in tests/services/test_budget_projections.py: 1,243.50 + 127.03 + 13.33 x 30; Food
    # 18.50 + 0 + 10.33 x 30 = 328.40 against 300.00.
    assert [lines["Overall"][key] for key in parts] == ["1243.50", "127.03", "399.90", "1770.43", "13.33", "last_month"]
    assert (lines["Overall"]["status"], lines["Overall"]["projected"]) == ("on_track", "1770.43")
    assert [lines["Food"][key] for key in parts] == ["18.50", "0.00", "309.90", "328.40", "10.33", "last_month"]
    assert (lines["Food"]["status"], lines["Food"]["projected_over"], lines["Food"]["level"]) == (
        "projected_over",
        True,
        "ok",
    )
