"""Fixtures for the API tests of categories, expenses, tags and export: a second user and shortcuts."""

from __future__ import annotations

import pytest

from tests.conftest import bearer


@pytest.fixture
def other_headers(make_user, api_login) -> dict:
    """Authorization headers of a second user, who must never see the first user's data."""
    return bearer(api_login(make_user(email="sam@example.com"))["access_token"])


@pytest.fixture
def category_ids(client, api_headers) -> dict[str, int]:
    """The first user's starter categories, name to id."""
    response = client.get("/api/v1/categories", headers=api_headers)
    assert response.status_code == 200
    return {category["name"]: category["id"] for category in response.json}


@pytest.fixture
def post_expense(client, api_headers, category_ids):
    """POST an expense (defaults: 10.00 on 2026-01-15 in Food) and return the created body."""

    def post(headers: dict | None = None, **fields) -> dict:
        body = {"amount": "10.00", "date": "2026-01-15", "category_id": category_ids["Food"], **fields}
        response = client.post("/api/v1/expenses", json=body, headers=headers or api_headers)
        assert response.status_code == 201, response.json
        return response.json

    return post
