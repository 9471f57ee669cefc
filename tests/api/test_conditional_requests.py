"""Conditional GETs of the expense list and analytics: `ETag`, and `If-None-Match` answered 304.

The ETag moves with every kind of write that can change an answer (through the API, the
services, imports, recurring posts and plain SQL: the version is kept by triggers), never
matches another user's answer, and a 304 costs authentication plus one read of the version.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from expense_app.api import conditional
from expense_app.extensions import db
from expense_app.models import Category, Expense, Tag, User, UserDataVersion
from expense_app.services import base_currency
from expense_app.services.unit_of_work import transaction
from tests import factories
from tests.test_query_budget import counted

CONDITIONAL_PATHS = [
    "/api/v1/expenses",
    "/api/v1/expenses?sort=-amount&per_page=5&category_id=1&category_id=2",
    "/api/v1/analytics/summary",
    "/api/v1/analytics/summary?period=last_12_months",
    "/api/v1/analytics/by-category?date_from=2020-01-01&date_to=2029-12-31",
    "/api/v1/analytics/by-payment-method",
    "/api/v1/analytics/trend?interval=month&date_from=2025-01-01&date_to=2026-12-31",
    "/api/v1/analytics/top-expenses",
    "/api/v1/analytics/by-currency",
]


def etag_of(client, headers, path: str = "/api/v1/expenses") -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.json
    return response.headers["ETag"]


def revalidate(client, headers, etag: str, path: str = "/api/v1/expenses"):
    return client.get(path, headers={**headers, "If-None-Match": etag})


@pytest.mark.parametrize("path", CONDITIONAL_PATHS)
def test_same_request_twice_is_304_without_a_body(client, api_headers, post_expense, path):
    post_expense(tags=["x"])
    first = client.get(path, headers=api_headers)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first.headers["Vary"]
    again = revalidate(client, api_headers, etag, path)
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in again.headers["Vary"]
    assert client.get(path, headers=api_headers).headers["ETag"] == etag


def test_if_none_match_forms_of_rfc_9110(client, api_headers, post_expense):
    post_expense()
    etag = etag_of(client, api_headers)
    assert revalidate(client, api_headers, f"W/{etag}").status_code == 304  # weak comparison
    assert revalidate(client, api_headers, f'"other", {etag}').status_code == 304  # a list
    assert revalidate(client, api_headers, f'"a",W/"b",  {etag} ').status_code == 304
    assert revalidate(client, api_headers, "*").status_code == 304  # any current answer
    assert revalidate(client, api_headers, '"other"').status_code == 200
    assert revalidate(client, api_headers, "").status_code == 200


def test_the_query_string_is_part_of_the_etag_but_not_its_order(client, api_headers, post_expense):
    post_expense()
    a = etag_of(client, api_headers, "/api/v1/expenses?sort=amount&per_page=5")
    b = etag_of(client, api_headers, "/api/v1/expenses?per_page=5&sort=amount")
    c = etag_of(client, api_headers, "/api/v1/expenses?per_page=6&sort=amount")
    d = etag_of(client, api_headers, "/api/v1/analytics/summary")
    assert a == b
    assert len({a, c, d}) == 3
    assert revalidate(client, api_headers, a, "/api/v1/expenses?per_page=6&sort=amount").status_code == 200


def test_an_invalid_query_is_422_whatever_the_if_none_match(client, api_headers):
    response = client.get("/api/v1/expenses?per_page=0", headers={**api_headers, "If-None-Match": "*"})
    assert response.status_code == 422


def test_another_users_etag_never_matches(client, api_headers, other_headers):
    # Two users with the same (empty) data and the same query: different ETags, no 304 across.
    for path in CONDITIONAL_PATHS:
        mine, theirs = etag_of(client, api_headers, path), etag_of(client, other_headers, path)
        assert mine != theirs
        assert revalidate(client, other_headers, mine, path).status_code == 200


def test_today_is_part_of_the_etag(app, client, api_headers, monkeypatch):
    etag = etag_of(client, api_headers, "/api/v1/analytics/summary")
    monkeypatch.setattr(conditional, "today_utc", lambda: dt.date.today() + dt.timedelta(days=1))
    assert revalidate(client, api_headers, etag, "/api/v1/analytics/summary").status_code == 200


def test_a_304_costs_only_the_authentication_query(app, client, api_headers, post_expense):
    post_expense()
    for path in CONDITIONAL_PATHS:
        etag = etag_of(client, api_headers, path)
        with counted(app) as statements:
            assert revalidate(client, api_headers, etag, path).status_code == 304
        # The token's family, its user and the user's data version, in one statement.
        assert len(statements) == 1, statements
        assert not [s for s in statements if "FROM expenses" in s], statements


# --- every kind of write moves the ETag ------------------------------------------------------------


def user_of(app, user_fixture) -> User:
    return db.session.get(User, user_fixture.id)


def sql(statement) -> None:
    with transaction() as session:
        session.execute(statement)


WRITES = {
    "create": lambda c, h, s: c.post(
        "/api/v1/expenses", json={"amount": "1.00", "date": "2026-01-02", "category_id": s["food"]}, headers=h
    ),
    "update": lambda c, h, s: c.patch(f"/api/v1/expenses/{s['expense_id']}", json={"amount": "2.00"}, headers=h),
    "update tags": lambda c, h, s: c.patch(f"/api/v1/expenses/{s['expense_id']}", json={"tags": ["new"]}, headers=h),
    "delete": lambda c, h, s: c.delete(f"/api/v1/expenses/{s['expense_id']}", headers=h),
    "category rename": lambda c, h, s: c.patch(f"/api/v1/categories/{s['food']}", json={"name": "Meals"}, headers=h),
    "category recolor": lambda c, h, s: c.patch(
        f"/api/v1/categories/{s['food']}", json={"color": "#000000"}, headers=h
    ),
    "locale change": lambda c, h, s: c.patch("/api/v1/users/me", json={"locale": "de_DE"}, headers=h),
}
SERVICE_WRITES = {
    "tag rename (SQL)": lambda user, s: sql(sa.update(Tag).where(Tag.user_id == user.id).values(name="renamed")),
    "bulk SQL UPDATE": lambda user, s: sql(
        sa.update(Expense).where(Expense.user_id == user.id).values(amount=Expense.amount + 1)
    ),
    "bulk SQL DELETE": lambda user, s: sql(sa.delete(Expense).where(Expense.user_id == user.id)),
    "category SQL rename": lambda user, s: sql(
        sa.update(Category).where(Category.user_id == user.id).values(name=Category.name + " (old)")
    ),
    "base-currency change": lambda user, s: base_currency.change_base_currency(user=user, currency="EUR"),
    "import commit": lambda user, s: factories.create_committed_import(user, category_id=s["food"]),
    "recurring post": lambda user, s: (
        factories.create_recurring(user, start_date=dt.date.today() - dt.timedelta(days=40)),
        factories.post_occurrences(user),
    ),
}


@pytest.fixture
def state(client, api_headers, post_expense, category_ids) -> dict:
    expense = post_expense(tags=["old"], description="Lunch")
    return {"food": category_ids["Food"], "expense_id": expense["id"]}


@pytest.mark.parametrize("write", list(WRITES))
def test_api_writes_move_the_etag(client, api_headers, state, write):
    before = {path: etag_of(client, api_headers, path) for path in CONDITIONAL_PATHS}
    assert WRITES[write](client, api_headers, state).status_code < 300
    for path, etag in before.items():
        assert revalidate(client, api_headers, etag, path).status_code == 200, path
        assert etag_of(client, api_headers, path) != etag


@pytest.mark.parametrize("write", list(SERVICE_WRITES))
def test_other_writers_move_the_etag(app, client, api_headers, user, state, write):
    with app.app_context():
        factories.insert_rates(dt.date(2026, 1, 2))
    before = {path: etag_of(client, api_headers, path) for path in CONDITIONAL_PATHS}
    with app.app_context():
        SERVICE_WRITES[write](db.session.get(User, user.id), state)
    for path, etag in before.items():
        assert revalidate(client, api_headers, etag, path).status_code == 200, (write, path)


def test_a_write_of_another_user_leaves_my_etag(client, api_headers, other_headers, state):
    etag = etag_of(client, api_headers)
    their_category = client.get("/api/v1/categories", headers=other_headers).json[0]["id"]
    created = client.post(
        "/api/v1/expenses",
        json={"amount": "1.00", "date": "2026-01-02", "category_id": their_category},
        headers=other_headers,
    )
    assert created.status_code == 201
    assert revalidate(client, api_headers, etag).status_code == 304


def test_every_user_has_a_version_row_from_registration(app, user):
    with app.app_context():
        assert db.session.get(UserDataVersion, user.id).version >= 1


def test_the_spec_documents_the_304_and_the_etag(client):
    spec = client.get("/api/openapi.json").json
    for path, method in [("/api/v1/expenses", "get"), ("/api/v1/analytics/summary", "get")]:
        operation = spec["paths"][path][method]
        assert "304" in operation["responses"]
        assert "ETag" in operation["responses"]["200"]["headers"]
        assert "ETag" in operation["responses"]["304"]["headers"]
        assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in operation["parameters"])


def test_a_personal_access_token_gets_the_same_one_query_revalidation(app, client, user, post_expense):
    post_expense()
    with app.app_context():
        _, token = factories.create_access_token(db.session.get(User, user.id), scopes=("read",))
    headers = {"Authorization": f"Bearer {token}"}
    for path in CONDITIONAL_PATHS:
        etag = etag_of(client, headers, path)
        with counted(app) as statements:
            assert revalidate(client, headers, etag, path).status_code == 304
        assert len(statements) == 1, statements
