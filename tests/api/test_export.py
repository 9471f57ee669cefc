"""The CSV export endpoint: streamed text/csv attachment, filters, injection, ownership, errors as JSON."""

import csv
import io

import pytest

HEADER = [
    "date",
    "description",
    "category",
    "payment_method",
    "amount",
    "currency",
    "base_amount",
    "base_currency",
    "tags",
    "notes",
]


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


def test_export_is_a_csv_attachment(client, api_headers, post_expense):
    post_expense(amount="12.50", date="2026-03-01", description="Lunch", tags=["b", "a"], notes="ok")
    response = client.get("/api/v1/expenses/export.csv", headers=api_headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params.get("charset") == "utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="expenses-')
    assert response.is_streamed
    assert rows_of(response) == [
        HEADER,
        ["2026-03-01", "Lunch", "Food", "other", "12.50", "USD", "12.50", "USD", "a, b", "ok"],
    ]
    assert response.get_data().startswith(
        b'"date","description","category","payment_method","amount","currency","base_amount","base_currency","tags","notes"\r\n'
    )


def test_every_field_is_quoted_so_a_semicolon_cannot_split_a_cell(client, api_headers, post_expense):
    post_expense(amount="3.00", date="2026-03-02", description="x;=1+1")
    line = client.get("/api/v1/expenses/export.csv", headers=api_headers).get_data(as_text=True).split("\r\n")[1]
    assert line == '"2026-03-02","x;=1+1","Food","other","3.00","USD","3.00","USD","",""'


def test_hyperlink_description_opens_as_text(client, api_headers, post_expense):
    post_expense(description='=HYPERLINK("http://x")', notes="@SUM(A1)", tags=["+tag"])
    row = rows_of(client.get("/api/v1/expenses/export.csv", headers=api_headers))[1]
    assert row[1] == '\'=HYPERLINK("http://x")'
    assert row[8] == "'+tag"
    assert row[9] == "'@SUM(A1)"


def test_export_uses_the_list_filters_and_sort(client, api_headers, post_expense, category_ids):
    post_expense(amount="1.00", date="2026-01-01", description="a")
    post_expense(amount="3.00", date="2026-01-02", description="b", category_id=category_ids["Transport"])
    post_expense(amount="2.00", date="2026-01-03", description="c", tags=["x"])

    def descriptions(query: str) -> list[str]:
        response = client.get(f"/api/v1/expenses/export.csv?{query}", headers=api_headers)
        assert response.status_code == 200
        return [row[1] for row in rows_of(response)[1:]]

    assert descriptions("") == ["c", "b", "a"]
    assert descriptions("sort=-amount") == ["b", "c", "a"]
    assert descriptions(f"category_id={category_ids['Transport']}") == ["b"]
    assert descriptions("tag=x") == ["c"]
    assert descriptions("min_amount=2&date_to=2026-01-02") == ["b"]


def test_second_user_exports_nothing_of_the_first(client, api_headers, other_headers, post_expense, category_ids):
    post_expense(description="private")
    assert rows_of(client.get("/api/v1/expenses/export.csv", headers=other_headers)) == [HEADER]
    foreign_filter = client.get(
        f"/api/v1/expenses/export.csv?category_id={category_ids['Food']}", headers=other_headers
    )
    assert rows_of(foreign_filter) == [HEADER]


def test_bad_filter_is_a_json_422_not_a_broken_stream(client, api_headers):
    response = client.get("/api/v1/expenses/export.csv?min_amount=lots", headers=api_headers)
    assert response.status_code == 422
    assert "min_amount" in response.json["errors"]
    response = client.get("/api/v1/expenses/export.csv?sort=random", headers=api_headers)
    assert response.status_code == 422
    assert "sort" in response.json["errors"]


@pytest.mark.parametrize("query", ["q=" + "x" * 101, "q=%00", "date_from=banana"])
def test_filter_the_service_refuses_is_a_422_before_any_byte(client, api_headers, post_expense, query):
    post_expense(description="secret")
    response = client.get(f"/api/v1/expenses/export.csv?{query}", headers=api_headers)
    assert response.status_code == 422
    assert response.mimetype == "application/json"
    assert response.json["code"] == 422 and response.json["errors"]


def test_requires_a_token(client):
    response = client.get("/api/v1/expenses/export.csv")
    assert response.status_code == 401
    assert response.json["code"] == 401


def test_documented_as_text_csv(client):
    operation = client.get("/api/openapi.json").json["paths"]["/api/v1/expenses/export.csv"]["get"]
    assert operation["tags"] == ["Expenses"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert "Content-Disposition" in operation["responses"]["200"]["headers"]
    assert {"401", "422"} <= set(operation["responses"])
