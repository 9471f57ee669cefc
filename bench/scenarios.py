"""What the benchmark measures: the scenarios, one request each that wrk repeats.

Every scenario is a request a client of the app makes, for the heavy bench user (100,000
expenses) unless said otherwise; bench/README.md lists them. A scenario's `results` are filled in
by the load step and written by the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ORDINARY_EMAIL = "bench-000@bench.local"
# The description of the expenses the POST scenario adds, so that they can be removed afterwards.
POST_MARKER = "bench POST scenario"


@dataclass
class Scenario:
    """One thing a client does, repeated by wrk: `auth` is none, heavy, ordinary or session."""

    name: str
    title: str
    path: str
    auth: str
    kind: str  # baseline, api or html
    method: str = "GET"
    body: dict | None = None
    results: dict = field(default_factory=dict)


def scenarios(period: tuple[str, str], food_id: int | None) -> list[Scenario]:
    """Every scenario, `health` first; `period` is the analytics window, `food_id` the heavy user's Food."""
    date_from, date_to = period
    window = f"date_from={date_from}&date_to={date_to}"
    search = "q=coffee&payment_method=credit_card" + (f"&category_id={food_id}" if food_id else "")
    today = dt.date.today().isoformat()
    return [
        Scenario("health", "/health (baseline)", "/health", "none", "baseline"),
        Scenario("list_page1", "Expense list, page 1", "/api/v1/expenses?page=1&per_page=20", "heavy", "api"),
        Scenario("list_search", "List: text search + 2 filters", f"/api/v1/expenses?{search}", "heavy", "api"),
        Scenario("list_page400", "Expense list, page 400", "/api/v1/expenses?page=400&per_page=20", "heavy", "api"),
        Scenario(
            "post_expense",
            "POST an expense",
            "/api/v1/expenses",
            "heavy",
            "api",
            method="POST",
            body={
                "amount": "12.34",
                "date": today,
                "category_id": food_id,
                "description": POST_MARKER,
                "payment_method": "debit_card",
                "tags": ["weekly", "family"],
            },
        ),
        Scenario(
            "analytics_summary", "Analytics summary (12 months)", f"/api/v1/analytics/summary?{window}", "heavy", "api"
        ),
        Scenario(
            "analytics_by_category",
            "Analytics by category (12 months)",
            f"/api/v1/analytics/by-category?{window}",
            "heavy",
            "api",
        ),
        Scenario(
            "analytics_trend",
            "Analytics trend, monthly (12 months)",
            f"/api/v1/analytics/trend?interval=month&{window}",
            "heavy",
            "api",
        ),
        Scenario("dashboard_html", "Dashboard HTML (session)", "/", "session", "html"),
        Scenario("expenses_html", "Expenses HTML page (session)", "/expenses", "session", "html"),
        Scenario(
            "list_ordinary", "Expense list, ordinary user", "/api/v1/expenses?page=1&per_page=20", "ordinary", "api"
        ),
    ]


def twelve_months(today: dt.date) -> tuple[str, str]:
    """The last 12 calendar months including the current one (the dashboard's `last_12_months`)."""
    index = today.year * 12 + today.month - 1 - 11
    start = dt.date(index // 12, index % 12 + 1, 1)
    return start.isoformat(), today.isoformat()


def auth_headers(scenario: Scenario, credentials: dict) -> dict:
    """The headers that authenticate `scenario`'s request: a bearer token, the session cookie, or none."""
    if scenario.auth == "session":
        return {"Cookie": credentials["session"]}
    if scenario.auth in ("heavy", "ordinary"):
        return {"Authorization": f"Bearer {credentials[scenario.auth]}"}
    return {}
