"""The bulk endpoints (`/expenses/bulk`, `/bulk-update`, `/bulk-delete`) and Undo (`/expenses/restore`)."""

from __future__ import annotations

import pytest

from expense_app.models import DeletedExpense, Expense
from tests.conftest import count_rows


def totals(client, headers) -> tuple:
    body = client.get("/api/v1/expenses?per_page=100", headers=headers).json
    return body["total"], body["total_amount"], sorted((e["id"], e["amount"], tuple(e["tags"])) for e in body["items"])


def test_bulk_create_500_with_one_bad_row_creates_none_and_names_the_index(app, client, api_headers, category_ids):
    items = [{"amount": "1.00", "date": "2026-01-02", "category_id": category_ids["Food"]} for _ in range(500)]
    items[3] = {**items[3], "amount": "0"}
    items[7] = {**items[7], "amount": "abc"}
    response = client.post("/api/v1/expenses/bulk", json={"expenses": items}, headers=api_headers)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"expenses.7.amount"}  # the schema refuses the shape first
    items[7]["amount"] = "2.00"
    response = client.post("/api/v1/expenses/bulk", json={"expenses": items}, headers=api_headers)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"expenses.3.amount"}
    assert count_rows(app, Expense) == 0
    items[3]["amount"] = "3.00"
    response = client.post("/api/v1/expenses/bulk", json={"expenses": items}, headers=api_headers)
    assert response.status_code == 201
    assert len(response.json["items"]) == 500
    assert response.json["items"][3]["amount"] == "3.00" and response.json["items"][3]["base_amount"] == "3.00"
    assert client.get("/api/v1/expenses", headers=api_headers).json["total_amount"] == "503.00"


@pytest.mark.parametrize(
    "body",
    [
        {"expenses": []},
        {"expenses": [{"amount": "1", "date": "2026-01-01", "category_id": 1}] * 501},
        {},
        {"expenses": "x"},
    ],
)
def test_bulk_create_refuses_empty_oversized_or_malformed_lists(client, api_headers, body):
    response = client.post("/api/v1/expenses/bulk", json=body, headers=api_headers)
    assert response.status_code == 422
    assert "expenses" in response.json["errors"]


def test_bulk_update_by_filter_and_by_ids(client, api_headers, category_ids, post_expense):
    made = [post_expense(description=f"Cafe {n}", payment_method="cash") for n in range(3)]
    other = post_expense(description="Rent")
    response = client.post(
        "/api/v1/expenses/bulk-update",
        json={"filter": {"q": "cafe"}, "category_id": category_ids["Housing"], "add_tags": ["Coffee"]},
        headers=api_headers,
    )
    assert response.status_code == 200 and response.json == {"count": 3}
    for expense in made:
        body = client.get(f"/api/v1/expenses/{expense['id']}", headers=api_headers).json
        assert body["category_id"] == category_ids["Housing"] and body["tags"] == ["coffee"]
    assert (
        client.get(f"/api/v1/expenses/{other['id']}", headers=api_headers).json["category_id"] == category_ids["Food"]
    )
    response = client.post(
        "/api/v1/expenses/bulk-update",
        json={"ids": [made[0]["id"]], "payment_method": "credit_card", "remove_tags": ["coffee"]},
        headers=api_headers,
    )
    assert response.json == {"count": 1}
    body = client.get(f"/api/v1/expenses/{made[0]['id']}", headers=api_headers).json
    assert body["payment_method"] == "credit_card" and body["tags"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [1], "category_id": "3"}, "category_id"),
        ({"ids": "1", "payment_method": "cash"}, "ids"),
        ({"payment_method": "cash"}, "ids"),
        ({"ids": [1], "filter": {}, "payment_method": "cash"}, "ids"),
        ({"ids": [1]}, "changes"),
        ({"ids": [1], "payment_method": "barter"}, "payment_method"),
        ({"filter": {"date_from": "banana"}, "payment_method": "cash"}, "filter"),
        ({"filter": {"min_amount": "1e999"}, "payment_method": "cash"}, "filter.min_amount"),
        ({"ids": [1], "category_id": 999999}, "category_id"),
        ({"ids": [1], "colour": "red"}, "colour"),
    ],
)
def test_bad_bulk_updates_are_422_naming_the_field(app, client, api_headers, post_expense, body, field):
    post_expense()
    before = totals(client, api_headers)
    response = client.post("/api/v1/expenses/bulk-update", json=body, headers=api_headers)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert totals(client, api_headers) == before


def test_another_users_ids_are_not_found_and_untouched(client, api_headers, other_headers, post_expense, category_ids):
    mine = post_expense()
    theirs = client.post(
        "/api/v1/expenses",
        json={"amount": "5.00", "date": "2026-01-15", "category_id": _first_category(client, other_headers)},
        headers=other_headers,
    ).json
    for path, extra in (("bulk-update", {"payment_method": "cash"}), ("bulk-delete", {})):
        response = client.post(
            f"/api/v1/expenses/{path}", json={"ids": [mine["id"], theirs["id"]], **extra}, headers=api_headers
        )
        assert response.status_code == 422
        assert response.json["errors"]["ids"] == [f"Not found: {theirs['id']}."]
    assert client.get(f"/api/v1/expenses/{theirs['id']}", headers=other_headers).json == theirs


def _first_category(client, headers) -> int:
    return client.get("/api/v1/categories", headers=headers).json[0]["id"]


def test_bulk_delete_and_restore_bring_back_everything(app, client, api_headers, post_expense):
    made = [post_expense(amount=f"{n}.25", tags=["t", f"n{n}"], notes="kept") for n in range(1, 4)]
    before = totals(client, api_headers)
    full = [client.get(f"/api/v1/expenses/{e['id']}", headers=api_headers).json for e in made]
    response = client.post("/api/v1/expenses/bulk-delete", json={"filter": {"tag": ["t"]}}, headers=api_headers)
    assert response.status_code == 200
    batch = response.json
    assert batch["count"] == 3 and sorted(batch["expense_ids"]) == sorted(e["id"] for e in made)
    assert client.get("/api/v1/expenses", headers=api_headers).json["total"] == 0
    restored = client.post("/api/v1/expenses/restore", json={"batch_id": batch["batch_id"]}, headers=api_headers)
    assert restored.status_code == 200
    assert sorted(restored.json["expense_ids"]) == sorted(e["id"] for e in made) and restored.json["renumbered"] == {}
    assert totals(client, api_headers) == before
    assert [client.get(f"/api/v1/expenses/{e['id']}", headers=api_headers).json for e in made] == full
    again = client.post("/api/v1/expenses/restore", json={"batch_id": batch["batch_id"]}, headers=api_headers)
    assert again.status_code == 404


def test_delete_answers_204_with_the_undo_batch(app, client, api_headers, other_headers, post_expense):
    expense = post_expense()
    response = client.delete(f"/api/v1/expenses/{expense['id']}", headers=api_headers)
    assert response.status_code == 204 and response.data == b""
    batch_id = response.headers["X-Undo-Batch"]
    assert count_rows(app, DeletedExpense) == 1
    assert (
        client.post("/api/v1/expenses/restore", json={"batch_id": batch_id}, headers=other_headers).status_code == 404
    )
    response = client.post("/api/v1/expenses/restore", json={"batch_id": batch_id}, headers=api_headers)
    assert response.status_code == 200 and response.json["expense_ids"] == [expense["id"]]


@pytest.mark.parametrize("batch_id", ["", "not-a-uuid", 5, None, "0" * 10_000])
def test_restore_refuses_a_malformed_batch_id(client, api_headers, batch_id):
    response = client.post("/api/v1/expenses/restore", json={"batch_id": batch_id}, headers=api_headers)
    assert response.status_code == 422
    assert "batch_id" in response.json["errors"]


def test_the_new_operations_have_their_operation_ids(client):
    spec = client.get("/api/openapi.json").json
    found = {
        spec["paths"][path]["post"]["operationId"]
        for path in (
            "/api/v1/expenses/bulk",
            "/api/v1/expenses/bulk-update",
            "/api/v1/expenses/bulk-delete",
            "/api/v1/expenses/restore",
        )
    }
    assert found == {"bulk_create_expenses", "bulk_update_expenses", "bulk_delete_expenses", "restore_expenses"}
