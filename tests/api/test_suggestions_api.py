"""The Suggestions API: a category for a description and rules learned from the user's history,
never applied before the user accepts them, and never shown to anyone else."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import bearer
from tests.security.test_injection import PAYLOADS


@pytest.fixture
def owner(full_user, api_login, client) -> dict:
    headers = bearer(api_login(full_user.user)["access_token"])
    categories = {c["name"]: c["id"] for c in client.get("/api/v1/categories", headers=headers).json}
    return {"headers": headers, "categories": categories}


def post_expenses(client, headers, items: list[dict]) -> list[dict]:
    response = client.post("/api/v1/expenses/bulk", json={"expenses": items}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["items"]


def netflix(category_id: int, count: int, start: int = 1) -> list[dict]:
    return [
        {
            "amount": "15.99",
            "date": f"2026-{month:02d}-03",
            "category_id": category_id,
            "description": f"NETFLIX.COM {4000 + month} #{month}",
            "currency": ("USD", "EUR")[month % 2],
        }
        for month in range(start, start + count)
    ]


def suggest(client, headers, description: str):
    response = client.get("/api/v1/suggestions/category", query_string={"description": description}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["suggestion"]


def rule_suggestions(client, headers) -> list[dict]:
    response = client.get("/api/v1/suggestions/rules", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_category_is_suggested_from_three_expenses_of_the_merchant(client, owner, other_headers):
    headers, entertainment = owner["headers"], owner["categories"]["Entertainment"]
    post_expenses(client, headers, netflix(entertainment, 2))
    assert suggest(client, headers, "Netflix.com 9911") is None, "two are not enough"

    post_expenses(client, headers, netflix(entertainment, 1, start=3))

    assert suggest(client, headers, "NETFLIX.COM 9911 #12") == {
        "category_id": entertainment,
        "category_name": "Entertainment",
        "matches": 3,
        "of": 3,
    }
    assert suggest(client, other_headers, "NETFLIX.COM 9911 #12") is None, "learned from my history only"


def test_a_suggested_rule_appears_after_three_expenses_and_applies_only_once_accepted(client, owner):
    headers, entertainment = owner["headers"], owner["categories"]["Entertainment"]
    post_expenses(client, headers, netflix(entertainment, 2))
    assert not [s for s in rule_suggestions(client, headers) if s["keyword"] == "netflix"]
    post_expenses(client, headers, netflix(entertainment, 1, start=3))
    rules_before = client.get("/api/v1/rules", headers=headers).json

    expenses_before = client.get("/api/v1/expenses", query_string={"per_page": 100}, headers=headers).json

    suggestion = next(s for s in rule_suggestions(client, headers) if s["keyword"] == "netflix")

    assert suggestion["category_id"] == entertainment and suggestion["matches"] == 3
    assert suggestion["rule"]["conditions"][0]["value"] == "netflix"
    assert suggestion["rule"]["actions"][0]["category_id"] == entertainment
    # Nothing is applied before the user accepts.
    assert client.get("/api/v1/rules", headers=headers).json == rules_before

    accepted = client.post(f"/api/v1/suggestions/rules/{quote(suggestion['key'], safe='')}/accept", headers=headers)

    assert accepted.status_code == 201, accepted.json
    rule = accepted.json
    assert accepted.headers["Location"].endswith(f"/api/v1/rules/{rule['id']}")
    assert rule["conditions"][0]["value"] == "netflix" and rule["actions"][0]["category_id"] == entertainment
    assert [r["id"] for r in client.get("/api/v1/rules", headers=headers).json] == [
        *(r["id"] for r in rules_before),
        rule["id"],
    ]
    # Accepting created the rule only: it is not run on existing expenses.
    assert client.get("/api/v1/expenses", query_string={"per_page": 100}, headers=headers).json == expenses_before
    assert not [s for s in rule_suggestions(client, headers) if s["keyword"] == "netflix"]
    again = client.post(f"/api/v1/suggestions/rules/{quote(suggestion['key'], safe='')}/accept", headers=headers)
    assert again.status_code == 404


def test_another_user_cannot_see_or_accept_my_suggestions(client, owner, other_headers):
    headers, entertainment = owner["headers"], owner["categories"]["Entertainment"]
    post_expenses(client, headers, netflix(entertainment, 3))
    suggestion = next(s for s in rule_suggestions(client, headers) if s["keyword"] == "netflix")
    url = f"/api/v1/suggestions/rules/{quote(suggestion['key'], safe='')}/accept"

    assert rule_suggestions(client, other_headers) == []
    response = client.post(url, headers=other_headers)

    assert response.status_code == 404
    assert client.get("/api/v1/rules", headers=other_headers).json == []


@pytest.mark.parametrize("key", ["nothing->1", "netflix->abc", "netflix->999999", "%20", "netflix"])
def test_an_unknown_suggestion_is_404(client, owner, key):
    post_expenses(client, owner["headers"], netflix(owner["categories"]["Entertainment"], 3))

    response = client.post(f"/api/v1/suggestions/rules/{quote(key, safe='')}/accept", headers=owner["headers"])

    assert response.status_code == 404
    assert response.json["code"] == 404


def test_a_key_that_cannot_be_one_is_422(client, owner):
    response = client.post(f"/api/v1/suggestions/rules/{'x' * 300}/accept", headers=owner["headers"])

    assert response.status_code == 422
    assert "key" in response.json["errors"]


@pytest.mark.parametrize("query", [{}, {"description": ""}, {"description": "   "}, {"description": "#12 1234"}])
def test_no_description_suggests_nothing(client, owner, query):
    post_expenses(client, owner["headers"], netflix(owner["categories"]["Entertainment"], 3))

    response = client.get("/api/v1/suggestions/category", query_string=query, headers=owner["headers"])

    assert response.status_code == 200
    assert response.json == {"suggestion": None}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"description": "x" * 256}, "description", id="too long"),
    ],
)
def test_bad_category_suggestion_input_is_422(client, api_headers, query, field):
    response = client.get("/api/v1/suggestions/category", query_string=query, headers=api_headers)

    assert response.status_code == 422
    assert field in response.json["errors"], response.json


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "51"}, {"limit": "ten"}, {"limit": "٣"}])
def test_bad_rule_suggestion_limit_is_422(client, api_headers, query):
    response = client.get("/api/v1/suggestions/rules", query_string=query, headers=api_headers)

    assert response.status_code == 422
    assert "limit" in response.json["errors"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_descriptions_with_markup_or_sql_are_matched_literally(client, api_headers, category_ids, payload):
    """The `description` parameter is free text: a payload is looked up as text, never run."""
    items = [
        {"amount": "1.00", "date": f"2026-01-0{day}", "category_id": category_ids["Health"], "description": payload}
        for day in (1, 2, 3)
    ]
    post_expenses(client, api_headers, items)

    found = suggest(client, api_headers, payload)

    assert found == {"category_id": category_ids["Health"], "category_name": "Health", "matches": 3, "of": 3}
    assert suggest(client, api_headers, "Weekly groceries") is None
