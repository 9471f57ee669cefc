"""Queries per request: bounded, and the same whatever the page size or the amount of data.

A page that loads its rows' categories or tags one row at a time (N+1) sends more queries for a
bigger page or a bigger account; these tests count the statements each main page and API call
sends (a `before_cursor_execute` listener) and fail when the count moves with either. The budgets
are today's counts: authentication (token family or session user), the figures, the page and its
tags. The benchmark (`make bench`) records the same counts against a million expenses.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from bench.seeding import BENCH_PASSWORD, HEAVY_EMAIL, seed_bench
from expense_app.extensions import db
from expense_app.models import Category, Expense, User
from expense_app.services.expenses import create_expense
from tests.conftest import bearer

SEARCHED = "Coffee to go"  # matches the search paths' q=coffee&payment_method=credit_card

# Enough rows that every measured page has items (an empty page skips the page and tag queries).
SMALL, LARGE = 60, 150
PAGE_SIZES = (5, 25)

# API requests: one query authenticates the token (its family, its user and the user's data
# version together: the list's and analytics' ETag needs no query of its own, and a revalidation
# with a current ETag stops there, at 1), the rest is the request's own work.
API_BUDGETS = {
    "/api/v1/expenses?per_page={n}": 4,
    "/api/v1/expenses?page=2&per_page={n}&sort=-amount": 4,
    "/api/v1/expenses?per_page={n}&q=coffee&payment_method=credit_card&payment_method=debit_card": 4,
    "/api/v1/categories": 2,
    "/api/v1/tags": 2,
    "/api/v1/analytics/summary?period=last_12_months": 2,
    "/api/v1/analytics/by-category?date_from=2020-01-01&date_to=2029-12-31": 2,
    "/api/v1/analytics/trend?interval=month&date_from=2025-01-01&date_to=2026-12-31": 2,
}
HTML_BUDGETS = {
    "/?period=last_12_months": 10,  # 9 + this month's budget cards (issue 8)
    "/expenses?per_page={n}": 6,  # 5 + the quick-add's remembered category and payment method (issue 13)
    "/categories": 2,
}


@contextlib.contextmanager
def counted(app):
    """Collect the SQL statements sent while the block runs."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def seed(app, heavy: int) -> None:
    with app.app_context():
        seed_bench(users=0, per_user=0, heavy=heavy)
        _ensure_search_matches()


def _ensure_search_matches() -> None:
    """Give the searched word a match: the seeded descriptions are drawn per user id, and 60 rows
    sometimes hold no card-paid coffee, so the search paths would measure an empty page (which
    skips the page and tag queries) in one run and a full one in the next."""
    user = db.session.scalar(sa.select(User).where(User.email == HEAVY_EMAIL))
    if db.session.scalar(sa.select(Expense.id).where(Expense.user_id == user.id, Expense.description == SEARCHED)):
        return
    category_id = db.session.scalar(sa.select(Category.id).where(Category.user_id == user.id).limit(1))
    create_expense(
        user=user,
        amount="4.20",
        date="2026-01-15",
        category_id=category_id,
        description=SEARCHED,
        payment_method="credit_card",
        tags=["weekly"],
    )


def available(app, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    with contextlib.suppress(Exception):
        adapter.match(path.split("?")[0])
        return True
    return False


def api_counts(app, client, path: str) -> list[int]:
    """Queries of `path` with a small then a large page, before and after the account grows."""
    token = client.post("/api/v1/auth/login", json={"email": HEAVY_EMAIL, "password": BENCH_PASSWORD}).json
    headers = bearer(token["access_token"])
    counts = []
    for heavy in (SMALL, LARGE):
        seed(app, heavy)
        for size in PAGE_SIZES:
            with counted(app) as statements:
                response = client.get(path.format(n=size), headers=headers)
            assert response.status_code == 200, response.json
            if path.startswith("/api/v1/expenses"):
                assert response.json["items"], "every measured page must have items"
            counts.append(len(statements))
    return counts


def html_counts(app, client, login, path: str) -> list[int]:
    login(SimpleNamespace(email=HEAVY_EMAIL), password=BENCH_PASSWORD)
    counts = []
    for heavy in (SMALL, LARGE):
        seed(app, heavy)
        for size in PAGE_SIZES:
            with counted(app) as statements:
                response = client.get(path.format(n=size))
            assert response.status_code == 200, response.text[:500]
            counts.append(len(statements))
    return counts


@pytest.mark.parametrize("path", list(API_BUDGETS))
def test_api_queries_are_bounded_and_do_not_grow(app, client, path):
    if not available(app, path):
        pytest.skip(f"{path} is not routed in this build")
    seed(app, SMALL)

    counts = api_counts(app, client, path)

    assert len(set(counts)) == 1, f"query count changes with page or data size: {counts}"
    assert counts[0] <= API_BUDGETS[path], f"{counts[0]} queries, budget {API_BUDGETS[path]}"


@pytest.mark.parametrize("path", list(HTML_BUDGETS))
def test_page_queries_are_bounded_and_do_not_grow(app, client, login, path):
    if not available(app, path):
        pytest.skip(f"{path} is not routed in this build")
    seed(app, SMALL)

    counts = html_counts(app, client, login, path)

    assert len(set(counts)) == 1, f"query count changes with page or data size: {counts}"
    assert counts[0] <= HTML_BUDGETS[path], f"{counts[0]} queries, budget {HTML_BUDGETS[path]}"


def test_a_page_of_tagged_expenses_loads_tags_in_one_query(app, client):
    # The tag loader is the classic N+1: one SELECT per expense would show here first.
    seed(app, LARGE)
    token = client.post("/api/v1/auth/login", json={"email": HEAVY_EMAIL, "password": BENCH_PASSWORD}).json
    with counted(app) as statements:
        response = client.get("/api/v1/expenses?per_page=100", headers=bearer(token["access_token"]))

    assert any(item["tags"] for item in response.json["items"])
    tag_queries = [s for s in statements if "FROM expense_tags" in s or "JOIN expense_tags" in s]
    assert len(tag_queries) == 1
