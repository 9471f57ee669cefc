"""Hostile request bodies, queries and paths: a 400, 422 or 404 with the JSON error body, never a 500.

A JSON body nested 100,000 deep used to hit Python's recursion limit inside `json.loads`, and an
integer literal of 5,000 digits `int()`'s 4,300-digit limit; neither error was one the parsers
handled (see `expense_app.ops.request_guards`).
"""

from __future__ import annotations

import json

import pytest

from expense_app.models import Expense
from expense_app.ops.request_guards import MAX_DEPTH
from tests.conftest import count_rows

HUGE = "9" * 5000
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000

WRITES = [
    ("POST", "/api/v1/expenses"),
    ("PATCH", "/api/v1/expenses/1"),
    ("POST", "/api/v1/categories"),
    ("PATCH", "/api/v1/categories/1"),
    ("POST", "/api/v1/budgets"),
    ("PATCH", "/api/v1/budgets/1"),
    ("POST", "/api/v1/recurring"),
    ("PATCH", "/api/v1/recurring/1"),
    ("POST", "/api/v1/auth/login"),
]


def with_number(field: str, literal: str, **fields) -> str:
    """A JSON object of `fields` plus `field` holding the raw number literal `literal`."""
    head = json.dumps(fields)[:-1]
    return f'{head}{", " if fields else ""}"{field}": {literal}}}'


def send(client, method: str, url: str, body: str, headers: dict):
    return client.open(url, method=method, data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize(("method", "url"), WRITES)
@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_body_is_a_400(client, api_headers, method, url, body):
    response = send(client, method, url, body, api_headers)
    assert response.status_code == 400
    assert response.json["code"] == 400
    assert response.json["errors"] == {"json": [f"Invalid JSON body: nested deeper than {MAX_DEPTH} levels."]}


def test_nesting_just_past_the_limit_is_refused_and_at_it_reaches_the_schema(client, api_headers):
    def nested(levels: int) -> str:  # the body object is the first level
        return '{"description":' + "[" * (levels - 1) + "]" * (levels - 1) + "}"

    at_limit = send(client, "POST", "/api/v1/expenses", nested(MAX_DEPTH), api_headers)
    assert at_limit.status_code == 422  # decoded; the schema refuses a list as description
    assert "description" in at_limit.json["errors"]
    past_limit = send(client, "POST", "/api/v1/expenses", nested(MAX_DEPTH + 1), api_headers)
    assert past_limit.status_code == 400


@pytest.mark.parametrize("body", [b'{"amount": "1\xff"}', b"\xff\xfe{", b'{"amount": ', b"   "])
def test_undecodable_body_is_a_400(client, api_headers, body):
    response = client.post("/api/v1/expenses", data=body, content_type="application/json", headers=api_headers)
    assert response.status_code == 400
    assert response.json["errors"] == {"json": ["Invalid JSON body."]}


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/api/v1/expenses", {"amount": "1.00", "date": "2026-01-15"}),
        ("/api/v1/budgets", {"amount": "1.00"}),
        ("/api/v1/recurring", {"amount": "1.00", "start_date": "2026-01-15"}),
    ],
)
def test_huge_integer_id_in_a_body_is_a_422_naming_the_field(app, client, api_headers, url, fields):
    response = send(client, "POST", url, with_number("category_id", HUGE, **fields), api_headers)
    assert response.status_code == 422
    assert response.json["errors"]["category_id"] == ["Not a valid integer."]
    assert count_rows(app, Expense) == 0


@pytest.mark.parametrize("literal", [HUGE, "-" + HUGE])
def test_huge_integer_amount_in_a_body_is_a_422(app, client, api_headers, category_ids, literal):
    body = with_number("amount", literal, date="2026-01-15", category_id=category_ids["Food"])
    response = send(client, "POST", "/api/v1/expenses", body, api_headers)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["amount"]
    assert count_rows(app, Expense) == 0


def test_huge_integer_in_a_patch_body_changes_nothing(client, api_headers, post_expense):
    expense = post_expense(amount="10.00")
    body = with_number("amount", HUGE)
    response = send(client, "PATCH", f"/api/v1/expenses/{expense['id']}", body, api_headers)
    assert response.status_code == 422
    assert client.get(f"/api/v1/expenses/{expense['id']}", headers=api_headers).json["amount"] == "10.00"


def test_big_but_convertible_integers_reach_the_rules(client, api_headers):
    body = with_number("category_id", "9" * 4000, amount="1.00", date="2026-01-15")
    response = send(client, "POST", "/api/v1/expenses", body, api_headers)
    assert response.status_code == 422
    assert "category_id" in response.json["errors"]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/expenses?category_id={HUGE}",
        f"/api/v1/expenses?page={HUGE}",
        f"/api/v1/expenses?per_page={HUGE}",
        f"/api/v1/expenses/export.csv?category_id={HUGE}",
        f"/api/v1/analytics/summary?category_id={HUGE}",
    ],
)
def test_huge_integer_in_a_query_is_a_422(client, api_headers, url):
    response = client.get(url, headers=api_headers)
    assert response.status_code == 422
    assert response.json["code"] == 422


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", f"/api/v1/expenses/{HUGE}"),
        ("PATCH", f"/api/v1/expenses/{HUGE}"),
        ("DELETE", f"/api/v1/expenses/{HUGE}"),
        ("GET", f"/api/v1/categories/{HUGE}"),
        ("GET", f"/api/v1/budgets/{HUGE}"),
        ("GET", f"/api/v1/recurring/{HUGE}"),
        ("GET", "/api/v1/expenses/99999999999"),  # beyond PostgreSQL's integer column
        ("DELETE", "/api/v1/categories/99999999999"),
    ],
)
def test_huge_id_in_a_path_is_a_404(client, api_headers, method, url):
    response = client.open(url, method=method, json={}, headers=api_headers)
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_well_formed_body_still_works(client, api_headers, category_ids):
    body = with_number("amount", "12", date="2026-01-15", category_id=category_ids["Food"], tags=["a"])
    response = send(client, "POST", "/api/v1/expenses", body, api_headers)
    assert response.status_code == 201
    assert response.json["amount"] == "12.00"


@pytest.mark.parametrize("url", ["/expenses", "/expenses/new", "/categories"])
def test_deep_json_posted_to_a_page_is_a_400_page(client, login, user, url):
    # Flask-WTF reads a JSON post with request.get_json(), the same guarded decoder.
    login(user)
    response = client.post(url, data=DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_deep_json_posted_to_the_login_page_is_a_400_page(client):
    response = client.post("/login", data=DEEP_OBJECT, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
