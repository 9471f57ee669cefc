"""The Expenses API: create/read/update/delete, the 422 cases of issue 3, list filters, paging, ownership."""

import pytest

from expense_app.extensions import db
from expense_app.models import Expense, Tag
from tests.conftest import count_rows
from tests.services.conftest import count_statements

EXPENSE_KEYS = {
    "id",
    "amount",
    "currency",
    "base_amount",
    "fx_rate",
    "fx_date",
    "fx_source",
    "date",
    "description",
    "category_id",
    "category",
    "payment_method",
    "tags",
    "notes",
    "created_at",
    "updated_at",
}


def test_create_returns_201_location_and_full_body(client, api_headers, category_ids):
    body = {
        "amount": "12.50",
        "date": "2026-11-20",
        "category_id": category_ids["Food"],
        "description": "  Lunch ",
        "payment_method": "cash",
        "tags": ["Work", "work ", "team"],
        "notes": "with Kim",
    }
    response = client.post("/api/v1/expenses", json=body, headers=api_headers)
    assert response.status_code == 201
    created = response.json
    assert set(created) == EXPENSE_KEYS
    assert created["amount"] == "12.50"
    assert created["currency"] == "USD"
    assert (created["base_amount"], created["fx_rate"], created["fx_source"]) == ("12.50", "1.0000000000", "same")
    assert created["fx_date"] == created["date"]
    assert created["description"] == "Lunch"
    assert created["category"] == {"id": category_ids["Food"], "name": "Food", "color": "#198754"}
    assert created["tags"] == ["team", "work"]
    assert created["created_at"].endswith("+00:00")
    assert response.headers["Location"].endswith(f"/api/v1/expenses/{created['id']}")
    assert client.get(response.headers["Location"], headers=api_headers).json == created


@pytest.mark.parametrize(
    ("amount", "shown"), [(12.5, "12.50"), (7, "7.00"), ("0.01", "0.01"), (99999999.99, "99999999.99")]
)
def test_amount_as_number_or_string(post_expense, amount, shown):
    assert post_expense(amount=amount)["amount"] == shown


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 10.005}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -3}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": True}, "amount"),
        ({"date": "1850-01-01"}, "date"),
        ({"date": "2026-13-01"}, "date"),
        ({"category_id": "FOREIGN"}, "category_id"),
        ({"category_id": "3"}, "category_id"),
        ({"tags": [f"tag{i}" for i in range(21)]}, "tags"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"payment_method": "bitcoin"}, "payment_method"),
        ({"currency": "ABC"}, "currency"),
        ({"description": "d" * 256}, "description"),
        ({"notes": "n" * 2001}, "notes"),
        ({"user_id": 99}, "user_id"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_invalid_create_is_422_naming_the_field_and_stores_nothing(
    client, app, api_headers, other_headers, category_ids, change, field
):
    if change.get("category_id") == "FOREIGN":
        change = {"category_id": client.get("/api/v1/categories", headers=other_headers).json[0]["id"]}
    body = {"amount": "10.00", "date": "2026-01-15", "category_id": category_ids["Food"], "tags": ["fresh"], **change}
    response = client.post("/api/v1/expenses", json=body, headers=api_headers)
    assert response.status_code == 422
    assert response.json["code"] == 422
    assert field in response.json["errors"]
    assert field in response.json["message"]
    assert count_rows(app, Expense) == 0
    assert count_rows(app, Tag) == 0


def test_missing_required_fields_are_named(client, api_headers):
    response = client.post("/api/v1/expenses", json={}, headers=api_headers)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"amount", "date", "category_id"}


def test_get_patch_delete(client, app, api_headers, post_expense, category_ids):
    created = post_expense(amount="5.00", tags=["a"], description="Old")
    url = f"/api/v1/expenses/{created['id']}"
    patched = client.patch(url, json={"amount": "6.25", "tags": ["B"]}, headers=api_headers)
    assert patched.status_code == 200
    assert (patched.json["amount"], patched.json["tags"], patched.json["description"]) == ("6.25", ["b"], "Old")
    assert (
        client.patch(url, json={"category_id": category_ids["Health"]}, headers=api_headers).json["category"]["name"]
        == "Health"
    )
    bad = client.patch(url, json={"amount": "0", "description": "New"}, headers=api_headers)
    assert bad.status_code == 422
    assert client.get(url, headers=api_headers).json["description"] == "Old"
    unknown = client.patch(url, json={"id": 5}, headers=api_headers)
    assert unknown.status_code == 422
    assert "id" in unknown.json["errors"]

    deleted = client.delete(url, headers=api_headers)
    assert deleted.status_code == 204
    assert client.get(url, headers=api_headers).status_code == 404
    assert client.delete(url, headers=api_headers).status_code == 404
    assert count_rows(app, Expense) == 0


def test_second_user_gets_404_for_every_id_endpoint(client, api_headers, other_headers, post_expense):
    created = post_expense(amount="9.99")
    url = f"/api/v1/expenses/{created['id']}"
    for response in (
        client.get(url, headers=other_headers),
        client.patch(url, json={"amount": "1.00"}, headers=other_headers),
        client.delete(url, headers=other_headers),
    ):
        assert response.status_code == 404
        assert response.json == {"code": 404, "status": "Not Found", "message": "Expense not found."}
    assert client.get(url, headers=api_headers).json == created
    assert client.get("/api/v1/expenses", headers=other_headers).json["total"] == 0


def test_foreign_category_in_patch_is_422(client, api_headers, other_headers, post_expense):
    created = post_expense()
    theirs = client.get("/api/v1/categories", headers=other_headers).json[0]["id"]
    response = client.patch(f"/api/v1/expenses/{created['id']}", json={"category_id": theirs}, headers=api_headers)
    assert response.status_code == 422
    assert response.json["errors"] == {"category_id": ["Choose one of your categories."]}


def test_non_integer_id_is_404(client, api_headers):
    assert client.get("/api/v1/expenses/abc", headers=api_headers).status_code == 404


def test_list_envelope_defaults_and_paging(client, api_headers, post_expense):
    for day in range(1, 26):
        post_expense(date=f"2026-01-{day:02d}", amount=f"{day}.00")
    first = client.get("/api/v1/expenses", headers=api_headers).json
    assert set(first) == {
        "items",
        "total",
        "page",
        "per_page",
        "total_pages",
        "total_amount",
        "unconverted_count",
        "next_cursor",
    }
    assert (first["total"], first["page"], first["per_page"], first["total_pages"]) == (25, 1, 20, 2)
    assert len(first["items"]) == 20
    assert first["items"][0]["date"] == "2026-01-25"
    second = client.get("/api/v1/expenses?page=2", headers=api_headers).json
    assert [item["date"] for item in second["items"]] == [f"2026-01-{day:02d}" for day in range(5, 0, -1)]
    past = client.get("/api/v1/expenses?page=9&per_page=10", headers=api_headers)
    assert past.status_code == 200
    assert (past.json["items"], past.json["total"], past.json["total_pages"]) == ([], 25, 3)
    by_amount = client.get("/api/v1/expenses?sort=amount&per_page=3", headers=api_headers).json
    assert [item["amount"] for item in by_amount["items"]] == ["1.00", "2.00", "3.00"]


@pytest.mark.parametrize(
    "query",
    [
        "per_page=101",
        "per_page=0",
        "page=0",
        "page=x",
        "sort=price",
        "payment_method=bitcoin",
        "min_amount=abc",
        "date_from=2026-02-31",
        "category_id=x",
    ],
)
def test_bad_list_arguments_are_422(client, api_headers, query):
    response = client.get(f"/api/v1/expenses?{query}", headers=api_headers)
    assert response.status_code == 422
    field = query.split("=")[0]
    assert field in response.json["errors"]


def test_filters_with_repeated_params(client, api_headers, other_headers, post_expense, category_ids):
    coffee = post_expense(
        amount="3.50", date="2026-01-10", description="Coffee", tags=["drinks"], payment_method="cash"
    )
    train = post_expense(amount="42.00", date="2026-01-12", category_id=category_ids["Transport"], tags=["work"])
    rent = post_expense(amount="900.00", date="2026-02-01", category_id=category_ids["Housing"], notes="100% paid")
    post_expense(
        headers=other_headers, category_id=client.get("/api/v1/categories", headers=other_headers).json[0]["id"]
    )

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/expenses?{query}", headers=api_headers)
        assert response.status_code == 200, response.json
        return {item["id"] for item in response.json["items"]}

    food, transport = category_ids["Food"], category_ids["Transport"]
    assert ids(f"category_id={food}&category_id={transport}") == {coffee["id"], train["id"]}
    assert ids("payment_method=cash&payment_method=other") == {coffee["id"], train["id"], rent["id"]}
    assert ids("payment_method=cash") == {coffee["id"]}
    assert ids("tag=drinks&tag=WORK") == {coffee["id"], train["id"]}
    assert ids("date_from=2026-01-11&date_to=2026-01-31") == {train["id"]}
    assert ids("min_amount=3.5&max_amount=42") == {coffee["id"], train["id"]}
    assert ids("q=COFFEE") == {coffee["id"]}
    assert ids("q=100%25") == {rent["id"]}
    assert ids("q=_") == set()
    foreign = client.get("/api/v1/categories", headers=other_headers).json[0]["id"]
    assert ids(f"category_id={foreign}") == set()


def test_money_round_trips_exactly(client, api_headers, post_expense, category_ids):
    post_expense(amount="0.10", category_id=category_ids["Shopping"])
    post_expense(amount=0.2, category_id=category_ids["Shopping"])
    shopping = client.get(f"/api/v1/categories/{category_ids['Shopping']}", headers=api_headers).json
    assert shopping["total_amount"] == "0.30"
    amounts = [item["amount"] for item in client.get("/api/v1/expenses", headers=api_headers).json["items"]]
    assert sorted(amounts) == ["0.10", "0.20"]


def test_a_page_costs_a_bounded_number_of_queries(client, app, api_headers, post_expense, category_ids):
    for i in range(50):
        post_expense(amount=f"{i + 1}.00", tags=[f"t{i % 5}", "all"], category_id=list(category_ids.values())[i % 8])
    counts = {}
    with app.app_context():
        engine = db.engine
    for per_page in (5, 50):
        with count_statements(engine) as statements:
            response = client.get(f"/api/v1/expenses?per_page={per_page}", headers=api_headers)
        assert len(response.json["items"]) == per_page
        counts[per_page] = len(statements)
    assert counts[5] == counts[50]


def test_requires_a_token(client):
    assert client.get("/api/v1/expenses").status_code == 401
    assert client.post("/api/v1/expenses", json={}).status_code == 401
    assert client.get("/api/v1/expenses/1").status_code == 401
