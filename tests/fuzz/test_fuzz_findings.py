"""What the API fuzzer found, pinned as plain tests so each fix stays fixed whatever the seed.

1. Errors of list items (`"tags": [{}]`, `?category_id=x`) came back nested
   (`{"tags": {"0": [...]}}`), not as the documented list of strings per field.
2. An id beyond the database's integer range (`/api/v1/expenses/9223372036854775808`,
   `?category_id=9223372036854775808`) reached the database and failed there with a 500 (SQLite
   cannot bind it, PostgreSQL refuses it). It names no object: 404 in a URL, 422 in a filter.
   Checked on every id-taking route of both faces, from the URL map.
"""

from __future__ import annotations

import pytest

from tests.security.matrix import routes

HUGE = 2**63
JUST_PAST_INT4 = 2**31


def _assert_field_errors_are_string_lists(response) -> None:
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors
    for field, messages in errors.items():
        assert isinstance(messages, list) and all(isinstance(message, str) for message in messages), (field, messages)


def test_errors_of_list_items_are_flat_lists(client, api_headers):
    body = {"amount": "1.00", "date": "2026-01-01", "category_id": 1, "tags": [{}]}
    response = client.post("/api/v1/expenses", json=body, headers=api_headers)
    _assert_field_errors_are_string_lists(response)
    assert response.json["errors"]["tags"] == ["0: Not a valid string."]
    listed = client.get("/api/v1/expenses?category_id=1&category_id=x", headers=api_headers)
    _assert_field_errors_are_string_lists(listed)
    assert listed.json["errors"]["category_id"] == ["1: Not a valid integer."]


@pytest.mark.parametrize("object_id", [HUGE, JUST_PAST_INT4])
@pytest.mark.parametrize("route", routes(lambda r: bool(r.id_arguments)))
def test_out_of_range_id_in_the_url_is_404(client, user, login, api_headers, route, object_id):
    login(user)
    response = client.open(
        route.url(**{route.id_arguments[0]: object_id}),
        method=route.method,
        headers=api_headers if route.is_api else {},
        json={} if route.is_api and route.writes else None,
    )
    assert response.status_code in (404, 422), f"{route} with id {object_id}: {response.status_code}"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/expenses",
        "/api/v1/expenses/export.csv",
        "/api/v1/analytics/summary",
        "/api/v1/analytics/top-expenses",
        "/expenses",
        "/expenses/export.csv",
        "/",
    ],
)
@pytest.mark.parametrize("category_id", [HUGE, -HUGE, JUST_PAST_INT4])
def test_out_of_range_category_filter_is_422(client, user, login, api_headers, url, category_id):
    login(user)
    response = client.get(url, query_string={"category_id": category_id}, headers=api_headers)
    assert response.status_code == 422, f"{url}?category_id={category_id}: {response.status_code}"


def test_out_of_range_ids_in_bodies_are_refused(client, api_headers):
    created = client.post(
        "/api/v1/expenses", json={"amount": "1.00", "date": "2026-01-01", "category_id": HUGE}, headers=api_headers
    )
    assert created.status_code == 422
    assert created.json["errors"] == {"category_id": ["Choose one of your categories."]}
    category = client.get("/api/v1/categories", headers=api_headers).json[0]["id"]
    moved = client.delete(f"/api/v1/categories/{category}", query_string={"reassign_to": HUGE}, headers=api_headers)
    assert moved.status_code == 404
