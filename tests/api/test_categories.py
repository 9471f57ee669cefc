"""The Categories API: list with totals, create, update, delete with reassignment, ownership."""

import pytest

from expense_app.models import Category, Expense
from tests.conftest import count_rows


def test_list_shape_and_money_as_strings(client, api_headers, post_expense, category_ids):
    post_expense(amount="0.10")
    post_expense(amount=0.2)
    response = client.get("/api/v1/categories", headers=api_headers)
    assert response.status_code == 200
    food = next(c for c in response.json if c["name"] == "Food")
    assert set(food) == {
        "id",
        "name",
        "color",
        "icon",
        "expense_count",
        "total_amount",
        "unconverted_count",
        "created_at",
    }
    assert food["unconverted_count"] == 0
    assert (food["expense_count"], food["total_amount"]) == (2, "0.30")
    assert food["id"] == category_ids["Food"]
    assert next(c for c in response.json if c["name"] == "Other")["total_amount"] == "0.00"


def test_requires_a_token(client):
    assert client.get("/api/v1/categories").status_code == 401
    assert client.post("/api/v1/categories", json={"name": "x"}).status_code == 401


def test_create_returns_201_with_location(client, api_headers):
    response = client.post(
        "/api/v1/categories", json={"name": " Pets ", "color": "#AABBCC", "icon": "paw"}, headers=api_headers
    )
    assert response.status_code == 201
    body = response.json
    assert (body["name"], body["color"], body["icon"], body["expense_count"], body["total_amount"]) == (
        "Pets",
        "#aabbcc",
        "paw",
        0,
        "0.00",
    )
    assert response.headers["Location"].endswith(f"/api/v1/categories/{body['id']}")
    assert client.get(response.headers["Location"], headers=api_headers).json == body


def test_duplicate_name_is_409(client, api_headers):
    response = client.post("/api/v1/categories", json={"name": "fOOD"}, headers=api_headers)
    assert response.status_code == 409
    assert response.json["errors"] == {"name": ["You already have a category with this name."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "n" * 51}, "name"),
        ({"name": "Ok", "color": "green"}, "color"),
        ({"name": "Ok", "icon": "i" * 33}, "icon"),
        ({"name": "Ok", "user_id": 2}, "user_id"),
        ({}, "name"),
        ({"name": 5}, "name"),
    ],
)
def test_create_rejects_bad_input(client, app, api_headers, body, field):
    before = count_rows(app, Category)
    response = client.post("/api/v1/categories", json=body, headers=api_headers)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert field in response.json["message"]
    assert count_rows(app, Category) == before


def test_patch_updates_given_fields(client, api_headers, category_ids, post_expense):
    post_expense(amount="4.40")
    food = category_ids["Food"]
    response = client.patch(f"/api/v1/categories/{food}", json={"color": "#000000"}, headers=api_headers)
    assert response.status_code == 200
    assert (response.json["name"], response.json["color"], response.json["total_amount"]) == ("Food", "#000000", "4.40")
    renamed = client.patch(f"/api/v1/categories/{food}", json={"name": "Groceries"}, headers=api_headers)
    assert renamed.json["name"] == "Groceries"
    clash = client.patch(f"/api/v1/categories/{food}", json={"name": "transport"}, headers=api_headers)
    assert clash.status_code == 409
    unknown = client.patch(f"/api/v1/categories/{food}", json={"expense_count": 0}, headers=api_headers)
    assert unknown.status_code == 422


def test_delete_empty_category_is_204(client, api_headers, category_ids):
    housing = category_ids["Housing"]
    response = client.delete(f"/api/v1/categories/{housing}", headers=api_headers)
    assert response.status_code == 204
    assert response.data == b""
    assert client.get(f"/api/v1/categories/{housing}", headers=api_headers).status_code == 404


def test_delete_in_use_is_409_then_reassign_moves(client, app, api_headers, category_ids, post_expense):
    expense = post_expense(amount="7.00")
    food, transport = category_ids["Food"], category_ids["Transport"]
    refused = client.delete(f"/api/v1/categories/{food}", headers=api_headers)
    assert refused.status_code == 409
    assert "still has 1 expense" in refused.json["message"]
    assert count_rows(app, Expense) == 1

    itself = client.delete(f"/api/v1/categories/{food}?reassign_to={food}", headers=api_headers)
    assert itself.status_code == 422
    assert "reassign_to" in itself.json["errors"]

    moved = client.delete(f"/api/v1/categories/{food}?reassign_to={transport}", headers=api_headers)
    assert moved.status_code == 204
    got = client.get(f"/api/v1/expenses/{expense['id']}", headers=api_headers).json
    assert got["category"]["name"] == "Transport"
    assert client.get(f"/api/v1/categories/{transport}", headers=api_headers).json["total_amount"] == "7.00"


def test_bad_reassign_value_is_422(client, api_headers, category_ids):
    response = client.delete(f"/api/v1/categories/{category_ids['Food']}?reassign_to=abc", headers=api_headers)
    assert response.status_code == 422
    assert "reassign_to" in response.json["errors"]


def test_second_user_gets_404_everywhere(client, api_headers, other_headers, category_ids, post_expense):
    post_expense()
    food = category_ids["Food"]
    assert client.get(f"/api/v1/categories/{food}", headers=other_headers).status_code == 404
    patch = client.patch(f"/api/v1/categories/{food}", json={"name": "Mine"}, headers=other_headers)
    assert patch.status_code == 404
    assert patch.json == {"code": 404, "status": "Not Found", "message": "Category not found."}
    assert client.delete(f"/api/v1/categories/{food}", headers=other_headers).status_code == 404
    names = {c["name"] for c in client.get("/api/v1/categories", headers=other_headers).json}
    assert "Mine" not in names
    own = client.get(f"/api/v1/categories/{food}", headers=api_headers).json
    assert (own["name"], own["expense_count"]) == ("Food", 1)


def test_reassign_to_foreign_category_is_404_and_changes_nothing(client, api_headers, other_headers, post_expense):
    expense = post_expense()
    theirs = {c["name"]: c["id"] for c in client.get("/api/v1/categories", headers=other_headers).json}
    mine_food = expense["category_id"]
    response = client.delete(f"/api/v1/categories/{mine_food}?reassign_to={theirs['Food']}", headers=api_headers)
    assert response.status_code == 404
    assert client.get(f"/api/v1/expenses/{expense['id']}", headers=api_headers).json["category_id"] == mine_food
    assert client.get(f"/api/v1/categories/{theirs['Food']}", headers=other_headers).json["expense_count"] == 0
    # And the other way round: the second user cannot pull the first user's expenses into their category.
    assert (
        client.delete(f"/api/v1/categories/{theirs['Food']}?reassign_to={mine_food}", headers=other_headers).status_code
        == 404
    )
