"""Budgets API: CRUD, versions from a month onward, the status of a month, errors and isolation."""

from __future__ import annotations

import datetime as dt

import pytest

from expense_app.services import budgets

FIXED_NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def create(client, api_headers, category_ids):
    """POST a budget (defaults: Food, 600.00, surplus, from 2026-10) and return the body."""

    def post(headers: dict | None = None, **fields) -> dict:
        body = {
            "category_id": category_ids["Food"],
            "amount": "600.00",
            "rollover": "surplus",
            "effective_from": "2026-10",
        }
        body.update(fields)
        response = client.post("/api/v1/budgets", json=body, headers=headers or api_headers)
        assert response.status_code == 201, response.json
        return response.json

    return post


@pytest.fixture
def frozen_today(monkeypatch):
    """The budgets service sees 10 November 2026 as today."""
    monkeypatch.setattr(budgets, "utcnow", lambda: FIXED_NOW)


def test_create_and_read_a_budget(client, api_headers, category_ids, create):
    body = create()
    assert body["category"]["name"] == "Food" and body["name"] == "Food"
    assert (body["amount"], body["rollover"], body["starts"]) == ("600.00", "surplus", "2026-10")
    assert body["versions"] == [{"effective_from": "2026-10", "amount": "600.00", "rollover": "surplus"}]
    response = client.get(f"/api/v1/budgets/{body['id']}", headers=api_headers)
    assert response.status_code == 200 and response.json == body
    listed = client.get("/api/v1/budgets", headers=api_headers)
    assert [item["id"] for item in listed.json] == [body["id"]]


def test_create_returns_location(client, api_headers, category_ids):
    response = client.post(
        "/api/v1/budgets", json={"category_id": category_ids["Transport"], "amount": 80}, headers=api_headers
    )
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/budgets/{response.json['id']}")
    assert response.json["amount"] == "80.00" and response.json["rollover"] == "none"


def test_overall_budget_and_duplicates(client, api_headers, create):
    overall = client.post("/api/v1/budgets", json={"amount": "2000.00"}, headers=api_headers)
    assert overall.status_code == 201
    assert (
        overall.json["category_id"] is None and overall.json["category"] is None and overall.json["name"] == "Overall"
    )
    again = client.post("/api/v1/budgets", json={"category_id": None, "amount": "1.00"}, headers=api_headers)
    assert again.status_code == 409 and "overall" in again.json["message"]
    # A category budget is a different scope: it may exist beside the overall one.
    assert create()["category_id"] is not None


def test_second_budget_for_a_category_is_409(client, api_headers, category_ids, create):
    create()
    response = client.post(
        "/api/v1/budgets", json={"category_id": category_ids["Food"], "amount": "1.00"}, headers=api_headers
    )
    assert response.status_code == 409
    assert response.json["errors"] == {"category_id": [budgets.DUPLICATE_CATEGORY]}


def test_status_matches_the_hand_computed_example(client, api_headers, create, post_expense, frozen_today):
    # October: 600 budgeted, 520 spent -> 80 carried (surplus). November 10 is today:
    # 150.00 spent up to today + 35.00 on the 25th. available 680, remaining 495,
    # percent 185/680 = 27.2, safe 495/21 days = 23.57. Projected: spent 185.00 + no recurring
    # + variable pace 150.00 / 10 days = 15.00 a day x 20 days after today = 300.00 -> 485.00.
    budget = create()
    post_expense(amount="520.00", date="2026-10-05")
    for day, amount in (("01", "50.00"), ("05", "70.00"), ("10", "30.00"), ("25", "35.00")):
        post_expense(amount=amount, date=f"2026-11-{day}")
    response = client.get("/api/v1/budgets/status?month=2026-11", headers=api_headers)
    assert response.status_code == 200
    assert response.json == {
        "month": "2026-11",
        "timing": "current",
        "days_in_month": 30,
        "days_left": 21,
        "unconverted_count": 0,
        "items": [
            {
                "budget_id": budget["id"],
                "category_id": budget["category_id"],
                "category": budget["category"],
                "name": "Food",
                "rollover": "surplus",
                "budgeted": "600.00",
                "carried_over": "80.00",
                "available": "680.00",
                "spent": "185.00",
                "unconverted_count": 0,
                "remaining": "495.00",
                "percent_used": "27.2",
                "projected": "485.00",
                "scheduled_recurring": "0.00",
                "projected_variable": "300.00",
                "projected_total": "485.00",
                "variable_pace": "15.00",
                "pace_basis": "this_month",
                "safe_per_day": "23.57",
                "level": "ok",
                "status": "on_track",
                "over_budget": False,
                "projected_over": False,
            }
        ],
    }
    # Without a month, the status is of the current month.
    assert client.get("/api/v1/budgets/status", headers=api_headers).json == response.json


def test_status_of_an_overspent_past_month(client, api_headers, create, post_expense, frozen_today):
    create(amount="100.00", rollover="full")
    post_expense(amount="130.00", date="2026-10-05")
    october = client.get("/api/v1/budgets/status?month=2026-10", headers=api_headers).json
    [line] = october["items"]
    assert (line["remaining"], line["percent_used"], line["level"], line["over_budget"]) == (
        "-30.00",
        "130.0",
        "danger",
        True,
    )
    assert line["projected"] == "130.00" and line["safe_per_day"] is None and october["timing"] == "past"
    # "full" carries the overspend: November starts with 100 - 30.
    [november] = client.get("/api/v1/budgets/status?month=2026-11", headers=api_headers).json["items"]
    assert (november["carried_over"], november["available"]) == ("-30.00", "70.00")


def test_change_from_a_month_keeps_earlier_months(client, api_headers, create, post_expense, frozen_today):
    budget = create(amount="100.00", rollover="none", effective_from="2026-09")
    response = client.patch(
        f"/api/v1/budgets/{budget['id']}", json={"amount": "250.00", "effective_from": "2026-11"}, headers=api_headers
    )
    assert response.status_code == 200
    assert [(v["effective_from"], v["amount"]) for v in response.json["versions"]] == [
        ("2026-09", "100.00"),
        ("2026-11", "250.00"),
    ]
    status = lambda month: client.get(f"/api/v1/budgets/status?month={month}", headers=api_headers).json  # noqa: E731
    assert status("2026-10")["items"][0]["budgeted"] == "100.00"
    assert status("2026-11")["items"][0]["budgeted"] == "250.00"


def test_delete_a_budget(client, api_headers, create):
    budget = create()
    assert client.delete(f"/api/v1/budgets/{budget['id']}", headers=api_headers).status_code == 204
    assert client.get(f"/api/v1/budgets/{budget['id']}", headers=api_headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"rollover": "forever"}, "rollover"),
        ({"effective_from": "2026-13"}, "effective_from"),
        ({"effective_from": "Nov 2026"}, "effective_from"),
        ({"category_id": "3"}, "category_id"),
        ({"owner_id": 1}, "owner_id"),
    ],
)
def test_create_422_names_the_field(client, api_headers, body, field):
    response = client.post("/api/v1/budgets", json={"amount": "10.00", **body}, headers=api_headers)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert client.get("/api/v1/budgets", headers=api_headers).json == []


def test_status_with_a_bad_month_is_422(client, api_headers):
    response = client.get("/api/v1/budgets/status?month=2026-1", headers=api_headers)
    assert response.status_code == 422
    assert response.json["errors"] == {"month": ["Must be a month such as 2026-11."]}


def test_months_far_ahead_or_before_1900_are_422(client, api_headers, create, frozen_today):
    # Today is 2026-11: months run from 1900-01 to five years ahead.
    create(effective_from="1900-01")
    for month in ("2999-12", "2031-12", "1899-12"):
        response = client.get(f"/api/v1/budgets/status?month={month}", headers=api_headers)
        assert response.status_code == 422, month
        assert response.json["errors"] == {"month": ["Must be between 1900-01 and 2031-11."]}
    assert client.get("/api/v1/budgets/status?month=2031-11", headers=api_headers).status_code == 200
    refused = client.post("/api/v1/budgets", json={"amount": "1.00", "effective_from": "2999-12"}, headers=api_headers)
    assert refused.status_code == 422 and refused.json["errors"] == {
        "effective_from": ["Must be between 1900-01 and 2031-11."]
    }


def test_another_users_budget_is_404_everywhere(client, api_headers, other_headers, create, category_ids):
    budget = create()
    url = f"/api/v1/budgets/{budget['id']}"
    assert client.get(url, headers=other_headers).status_code == 404
    assert client.patch(url, json={"amount": "1.00"}, headers=other_headers).status_code == 404
    assert client.delete(url, headers=other_headers).status_code == 404
    assert client.get("/api/v1/budgets", headers=other_headers).json == []
    assert client.get("/api/v1/budgets/status?month=2026-10", headers=other_headers).json["items"] == []
    # The owner's budget is untouched; a category of the owner cannot be used by the other user.
    assert client.get(url, headers=api_headers).json["amount"] == "600.00"
    taken = client.post(
        "/api/v1/budgets", json={"category_id": category_ids["Food"], "amount": "1.00"}, headers=other_headers
    )
    assert taken.status_code == 422 and taken.json["errors"] == {"category_id": ["Choose one of your categories."]}


def test_budgets_need_a_token(client):
    assert client.get("/api/v1/budgets").status_code == 401
    assert client.get("/api/v1/budgets/status").status_code == 401
    assert client.post("/api/v1/budgets", json={"amount": "1"}).status_code == 401


def test_operations_are_documented(client):
    spec = client.get("/api/openapi.json").json
    for path in ("/api/v1/budgets", "/api/v1/budgets/status", "/api/v1/budgets/{budget_id}"):
        for method, operation in spec["paths"][path].items():
            if method == "parameters":
                continue
            assert operation["tags"] == ["Budgets"]
            assert operation["summary"] and operation["description"], (path, method)
            assert operation["security"] == [{"bearerAuth": []}]
            assert "401" in operation["responses"]
