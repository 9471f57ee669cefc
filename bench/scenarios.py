"""What the benchmark measures: the scenarios, one request each that wrk repeats.

Every scenario is a request a client of the app makes, for the heavy bench user (100,000
expenses) unless said otherwise; bench/README.md lists them. A scenario's `results` are filled in
by the load step and written by the report.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, field

ORDINARY_EMAIL = "bench-000@bench.local"
# A EUR user whose expenses are in several currencies (bench.batches seeds it): the dashboard and
# analytics in a currency mix, and the batch jobs (import, rules dry run, base-currency change).
MIX_EMAIL = "bench-mix@bench.local"
# The floor: the cheapest request that touches the database (see `floor` in bench/README.md).
FLOOR = "users_me"
# The cursor scenario starts from page 1 and follows `next_cursor` this many times (page 400).
CURSOR_HOPS = 399
CURSOR_START = "/api/v1/expenses?per_page=20"
DASHBOARD_12M = "/?period=last_12_months"
# The description of the expenses the POST scenario adds, so that they can be removed afterwards.
POST_MARKER = "bench POST scenario"


@dataclass
class Scenario:
    """One thing a client does, repeated by wrk.

    `auth` names the credentials (bench.run logs them in): none, heavy, ordinary, mix (bearer
    tokens), session or session_mix (browser session cookies). `kind` is baseline (`/health`),
    floor (the cheapest database requests), api or html. A `path` of None is found at set-up
    (the cursor scenario's `after=`).
    """

    name: str
    title: str
    path: str | None
    auth: str
    kind: str  # baseline, api or html
    method: str = "GET"
    body: dict | None = None
    # Part of the memory step's request mix (bench.load.run_memory), where the GETs of the heavy
    # user are; the 12-month dashboard stays out, so that step keeps its length and its history.
    memory_mix: bool = True
    results: dict = field(default_factory=dict)


def scenarios(period: tuple[str, str], food_id: int | None) -> list[Scenario]:
    """Every scenario, `health` first; `period` is the analytics window, `food_id` the heavy user's Food."""
    date_from, date_to = period
    window = f"date_from={date_from}&date_to={date_to}"
    search = "q=coffee&payment_method=credit_card" + (f"&category_id={food_id}" if food_id else "")
    today = dt.date.today().isoformat()
    return [
        Scenario("health", "/health (baseline)", "/health", "none", "baseline"),
        Scenario("health_db", "/health/db (readiness: SELECT 1 + revision)", "/health/db", "none", "floor"),
        Scenario("users_me", "GET /api/v1/users/me (the floor)", "/api/v1/users/me", "heavy", "floor"),
        Scenario("list_page1", "Expense list, page 1", "/api/v1/expenses?page=1&per_page=20", "heavy", "api"),
        Scenario("list_search", "List: text search + 2 filters", f"/api/v1/expenses?{search}", "heavy", "api"),
        Scenario("list_page400", "Expense list, page 400", "/api/v1/expenses?page=400&per_page=20", "heavy", "api"),
        Scenario("list_cursor400", "Expense list, cursor page 400 (after=)", None, "heavy", "api"),
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
        # The dashboard opens on this month; `last_12_months` is its 12-month preset (twelve_months below).
        Scenario(
            "dashboard_12m_html",
            "Dashboard HTML, 12 months (session)",
            DASHBOARD_12M,
            "session",
            "html",
            memory_mix=False,
        ),
        Scenario(
            "dashboard_mix_html",
            "Dashboard HTML, 12 months, currency mix (session)",
            DASHBOARD_12M,
            "session_mix",
            "html",
        ),
        Scenario(
            "analytics_summary_mix",
            "Analytics summary, currency mix (12 months)",
            f"/api/v1/analytics/summary?{window}",
            "mix",
            "api",
        ),
        Scenario(
            "analytics_by_category_mix",
            "Analytics by category, currency mix (12 months)",
            f"/api/v1/analytics/by-category?{window}",
            "mix",
            "api",
        ),
    ]


def twelve_months(today: dt.date) -> tuple[str, str]:
    """The last 12 calendar months including the current one (the dashboard's `last_12_months`)."""
    index = today.year * 12 + today.month - 1 - 11
    start = dt.date(index // 12, index % 12 + 1, 1)
    return start.isoformat(), today.isoformat()


def auth_headers(scenario: Scenario, credentials: dict) -> dict:
    """The headers that authenticate `scenario`'s request: a bearer token, the session cookie, or none."""
    if scenario.auth == "none":
        return {}
    if scenario.auth.startswith("session"):
        return {"Cookie": credentials[scenario.auth]}
    return {"Authorization": f"Bearer {credentials[scenario.auth]}"}


def follow_cursor(get_json, start: str, hops: int) -> tuple[str | None, int, int]:
    """Follow `next_cursor` from the list page at `start` up to `hops` times.

    `get_json(path)` returns (status, JSON body or None). Returns (the path of the last page
    reached, hops made, the status that stopped it): None as the path when the API has no cursor
    (a 4xx for `after`, or no `next_cursor` field on page 1). A list shorter than `hops` pages
    stops at its last page, so a small bench database still measures a deep cursor page.
    """
    status, body = get_json(start)
    if status != 200 or not isinstance(body, dict) or "next_cursor" not in body:
        return None, 0, status
    path, made = start, 0
    while made < hops and body.get("next_cursor"):
        candidate = f"{start}&after={urllib.parse.quote(body['next_cursor'], safe='')}"
        status, following = get_json(candidate)
        if status != 200 or not isinstance(following, dict):
            return (None, made, status) if made == 0 else (path, made, status)
        path, body, made = candidate, following, made + 1
    return (path if made else None), made, 200
