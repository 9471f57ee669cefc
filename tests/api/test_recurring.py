"""Recurring API: templates, pause/resume/skip, "this and future" edits, upcoming, monthly cost, isolation."""

from __future__ import annotations

import datetime as dt

import pytest

from expense_app.models.base import utcnow
from expense_app.services import recurring


def today() -> dt.date:
    return utcnow().date()


@pytest.fixture
def create(client, api_headers, category_ids):
    """POST a template (defaults: 1200.00 rent in Housing, monthly from 2026-01-31) and return the body."""

    def post(headers: dict | None = None, **fields) -> dict:
        body = {
            "amount": "1200.00",
            "category_id": category_ids["Housing"],
            "start_date": "2026-01-31",
            "description": "Rent",
            "payment_method": "bank_transfer",
            "tags": ["Home"],
            **fields,
        }
        response = client.post("/api/v1/recurring", json=body, headers=headers or api_headers)
        assert response.status_code == 201, response.json
        return response.json

    return post


@pytest.fixture
def post_due(app, user):
    """Run the posting job for `user` as of `day`."""

    def run(day: dt.date) -> int:
        with app.app_context():
            return recurring.post_due(user=user, today=day)

    return run


def test_create_and_read_a_template(client, api_headers, create):
    body = create()
    assert body["amount"] == "1200.00" and body["tags"] == ["home"] and body["currency"] == "USD"
    assert (body["interval_unit"], body["interval_count"], body["schedule"]) == ("month", 1, "Every month")
    assert body["monthly_amount"] == "1200.00" and body["state"] == "active" and body["paused"] is False
    assert body["category"]["name"] == "Housing"
    response = client.get(f"/api/v1/recurring/{body['id']}", headers=api_headers)
    assert response.status_code == 200 and response.json == body
    assert [item["id"] for item in client.get("/api/v1/recurring", headers=api_headers).json] == [body["id"]]


def test_weekly_template_monthly_cost(create):
    body = create(amount="10.00", interval_unit="week", description="Cleaner")
    assert body["monthly_amount"] == "43.33" and body["schedule"] == "Every week"


def test_update_every_occurrence(client, api_headers, create):
    body = create()
    response = client.patch(
        f"/api/v1/recurring/{body['id']}",
        json={"amount": "1100.00", "tags": [], "max_occurrences": 24},
        headers=api_headers,
    )
    assert response.status_code == 200
    assert (response.json["id"], response.json["amount"], response.json["tags"]) == (body["id"], "1100.00", [])
    assert response.json["max_occurrences"] == 24
    cleared = client.patch(f"/api/v1/recurring/{body['id']}", json={"max_occurrences": None}, headers=api_headers)
    assert cleared.status_code == 200 and cleared.json["max_occurrences"] is None


def test_this_and_future_occurrences_splits_the_template(client, api_headers, create, post_due):
    body = create()
    post_due(dt.date(2026, 3, 31))
    response = client.patch(
        f"/api/v1/recurring/{body['id']}", json={"amount": "1250.00", "apply_from": "2026-04-01"}, headers=api_headers
    )
    assert response.status_code == 200
    successor = response.json
    assert successor["id"] != body["id"] and successor["amount"] == "1250.00"
    assert (successor["start_date"], successor["applies_from"]) == ("2026-01-31", "2026-04-01")
    old = client.get(f"/api/v1/recurring/{body['id']}", headers=api_headers).json
    assert (old["end_date"], old["amount"]) == ("2026-03-31", "1200.00")
    post_due(dt.date(2026, 5, 31))
    listed = client.get("/api/v1/expenses?sort=date", headers=api_headers).json["items"]
    assert [(e["date"], e["amount"]) for e in listed] == [
        ("2026-01-31", "1200.00"),
        ("2026-02-28", "1200.00"),
        ("2026-03-31", "1200.00"),
        ("2026-04-30", "1250.00"),
        ("2026-05-31", "1250.00"),
    ]


def test_pause_resume_and_skip(client, api_headers, create):
    start = today() + dt.timedelta(days=1)
    body = create(start_date=start.isoformat(), interval_unit="day", interval_count=7)
    url = f"/api/v1/recurring/{body['id']}"
    paused = client.post(f"{url}/pause", headers=api_headers)
    assert paused.status_code == 200 and paused.json["paused"] is True and paused.json["state"] == "paused"
    assert paused.json["next_date"] is None
    resumed = client.post(f"{url}/resume", headers=api_headers)
    assert resumed.json["paused"] is False and resumed.json["next_date"] == start.isoformat()
    skipped = client.post(f"{url}/skip", json={"date": start.isoformat()}, headers=api_headers)
    assert skipped.status_code == 200
    assert skipped.json["next_date"] == (start + dt.timedelta(days=7)).isoformat()


def test_skip_errors(client, api_headers, create, post_due):
    body = create()
    url = f"/api/v1/recurring/{body['id']}/skip"
    off = client.post(url, json={"date": "2026-02-27"}, headers=api_headers)
    assert off.status_code == 422
    assert off.json["errors"] == {
        "date": ["2026-02-27 is not an occurrence of this schedule. The next one is 2026-02-28."]
    }
    post_due(dt.date(2026, 1, 31))
    posted = client.post(url, json={"date": "2026-01-31"}, headers=api_headers)
    assert posted.status_code == 409
    assert client.post(url, json={}, headers=api_headers).status_code == 422


def test_upcoming_and_summary(client, api_headers, create):
    start = today()
    create(amount="10.00", interval_unit="week", start_date=start.isoformat(), description="Cleaner")
    create(amount="120.00", interval_unit="year", start_date=start.isoformat(), description="Insurance", currency="EUR")
    response = client.get("/api/v1/recurring/upcoming?days=15", headers=api_headers)
    assert response.status_code == 200
    items = response.json["items"]
    # Today .. today + 14: the cleaner on days 0, 7, 14 and the insurance today.
    assert [(item["date"], item["description"]) for item in items] == [
        (start.isoformat(), "Cleaner"),
        (start.isoformat(), "Insurance"),
        ((start + dt.timedelta(days=7)).isoformat(), "Cleaner"),
        ((start + dt.timedelta(days=14)).isoformat(), "Cleaner"),
    ]
    assert items[0]["amount"] == "10.00" and items[0]["category"]["name"] == "Housing"
    assert len(client.get("/api/v1/recurring/upcoming", headers=api_headers).json["items"]) == 6  # 30 days
    summary = client.get("/api/v1/recurring/summary", headers=api_headers).json
    assert [(item["description"], item["monthly_amount"]) for item in summary["items"]] == [
        ("Cleaner", "43.33"),
        ("Insurance", "10.00"),
    ]
    assert summary["totals"] == [
        {"currency": "USD", "monthly_amount": "43.33"},
        {"currency": "EUR", "monthly_amount": "10.00"},
    ]


@pytest.mark.parametrize("days", ["0", "367", "soon"])
def test_upcoming_days_out_of_range_is_422(client, api_headers, days):
    response = client.get(f"/api/v1/recurring/upcoming?days={days}", headers=api_headers)
    assert response.status_code == 422 and "days" in response.json["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"interval_unit": "fortnight"}, "interval_unit"),
        ({"interval_count": 0}, "interval_count"),
        ({"end_date": "2025-01-01"}, "end_date"),
        ({"max_occurrences": 3, "end_date": "2026-12-31"}, "max_occurrences"),
        ({"payment_method": "barter"}, "payment_method"),
        ({"user_id": 2}, "user_id"),
    ],
)
def test_create_422_names_the_field(client, api_headers, category_ids, body, field):
    base = {"amount": "10.00", "category_id": category_ids["Food"], "start_date": "2026-01-01"}
    response = client.post("/api/v1/recurring", json={**base, **body}, headers=api_headers)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert client.get("/api/v1/recurring", headers=api_headers).json == []


def test_required_fields(client, api_headers):
    response = client.post("/api/v1/recurring", json={}, headers=api_headers)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"amount", "category_id", "start_date"}


def test_delete_keeps_posted_expenses(client, api_headers, create, post_due):
    body = create()
    post_due(dt.date(2026, 2, 28))
    assert client.delete(f"/api/v1/recurring/{body['id']}", headers=api_headers).status_code == 204
    assert client.get(f"/api/v1/recurring/{body['id']}", headers=api_headers).status_code == 404
    assert client.get("/api/v1/expenses", headers=api_headers).json["total"] == 2


def test_another_users_template_is_404_everywhere(client, api_headers, other_headers, create, category_ids):
    body = create()
    url = f"/api/v1/recurring/{body['id']}"
    attempts = [
        client.get(url, headers=other_headers),
        client.patch(url, json={"amount": "1.00"}, headers=other_headers),
        client.patch(url, json={"amount": "1.00", "apply_from": "2026-06-01"}, headers=other_headers),
        client.post(f"{url}/pause", headers=other_headers),
        client.post(f"{url}/resume", headers=other_headers),
        client.post(f"{url}/skip", json={"date": "2026-02-28"}, headers=other_headers),
        client.delete(url, headers=other_headers),
    ]
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    assert all(response.json["message"] == "Recurring expense not found." for response in attempts)
    assert client.get("/api/v1/recurring", headers=other_headers).json == []
    assert client.get("/api/v1/recurring/upcoming?days=366", headers=other_headers).json["items"] == []
    assert client.get("/api/v1/recurring/summary", headers=other_headers).json == {
        "items": [],
        "totals": [],
        "base_currency": "USD",
        "base_total": "0.00",
        "unconverted_count": 0,
    }
    owner_view = client.get(url, headers=api_headers).json
    assert owner_view["amount"] == "1200.00" and owner_view["paused"] is False
    foreign_category = client.post(
        "/api/v1/recurring",
        json={"amount": "1.00", "category_id": category_ids["Food"], "start_date": "2026-01-01"},
        headers=other_headers,
    )
    assert foreign_category.status_code == 422


def test_recurring_needs_a_token(client):
    for path in ("/api/v1/recurring", "/api/v1/recurring/upcoming", "/api/v1/recurring/summary"):
        assert client.get(path).status_code == 401
    assert client.post("/api/v1/recurring/1/pause").status_code == 401


def test_operations_are_documented(client):
    spec = client.get("/api/openapi.json").json
    paths = [path for path in spec["paths"] if path.startswith("/api/v1/recurring")]
    assert len(paths) == 7
    for path in paths:
        for method, operation in spec["paths"][path].items():
            if method == "parameters":
                continue
            assert operation["tags"] == ["Recurring"]
            assert operation["summary"] and operation["description"], (path, method)
            assert operation["security"] == [{"bearerAuth": []}]
            assert "401" in operation["responses"]


def test_a_start_date_more_than_five_years_back_is_422(client, api_headers, category_ids):
    earliest = recurring.history_start(today())
    body = {"amount": "1.00", "category_id": category_ids["Food"], "interval_unit": "day"}
    old = client.post(
        "/api/v1/recurring",
        json={**body, "start_date": (earliest - dt.timedelta(days=1)).isoformat()},
        headers=api_headers,
    )
    assert old.status_code == 422
    assert old.json["errors"]["start_date"] == [
        f"Must be on or after {earliest.isoformat()}: a recurring expense can start at most 5 years ago "
        "(add older expenses one by one)."
    ]
    assert (
        client.post("/api/v1/recurring", json={**body, "start_date": "1900-01-01"}, headers=api_headers).status_code
        == 422
    )
    ok = client.post("/api/v1/recurring", json={**body, "start_date": earliest.isoformat()}, headers=api_headers)
    assert ok.status_code == 201


def test_the_201st_template_is_409(app, client, api_headers, create, user, monkeypatch):
    monkeypatch.setattr(recurring, "MAX_TEMPLATES_PER_USER", 2)
    first = create()
    create()
    refused = client.post(
        "/api/v1/recurring",
        json={"amount": "1.00", "category_id": first["category_id"], "start_date": "2026-01-31"},
        headers=api_headers,
    )
    assert refused.status_code == 409 and refused.json["message"].startswith(
        "You have 2 recurring expenses, the most one account can hold"
    )
    split = client.patch(
        f"/api/v1/recurring/{first['id']}", json={"apply_from": "2026-05-01", "amount": "9.00"}, headers=api_headers
    )
    assert split.status_code == 409
    assert len(client.get("/api/v1/recurring", headers=api_headers).json) == 2


def test_a_concurrent_split_already_made_is_409(client, api_headers, create):
    rent = create()
    url = f"/api/v1/recurring/{rent['id']}"
    assert (
        client.patch(url, json={"apply_from": "2026-05-01", "amount": "1250.00"}, headers=api_headers).status_code
        == 200
    )
    again = client.patch(url, json={"apply_from": "2026-05-01", "amount": "1300.00"}, headers=api_headers)
    assert again.status_code == 409 and "From 2026-05-01 on" in again.json["message"]
