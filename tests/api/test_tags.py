"""The Tags API: the user's own tags with their counts."""


def test_lists_own_tags_with_counts(client, api_headers, other_headers, post_expense):
    post_expense(tags=["Travel", "work"])
    post_expense(tags=["travel"])
    deleted = post_expense(tags=["once"])
    client.delete(f"/api/v1/expenses/{deleted['id']}", headers=api_headers)
    theirs = client.get("/api/v1/categories", headers=other_headers).json[0]["id"]
    post_expense(headers=other_headers, category_id=theirs, tags=["secret", "travel"])

    response = client.get("/api/v1/tags", headers=api_headers)
    assert response.status_code == 200
    assert [(tag["name"], tag["expense_count"]) for tag in response.json] == [("once", 0), ("travel", 2), ("work", 1)]
    assert set(response.json[0]) == {"id", "name", "expense_count"}
    assert [tag["name"] for tag in client.get("/api/v1/tags", headers=other_headers).json] == ["secret", "travel"]


def test_empty_and_requires_a_token(client, api_headers):
    assert client.get("/api/v1/tags", headers=api_headers).json == []
    response = client.get("/api/v1/tags")
    assert response.status_code == 401
    assert response.json["code"] == 401


def test_documented_under_its_own_tag(client):
    spec = client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/tags"]["get"]
    assert operation["tags"] == ["Tags"]
    assert operation["security"] == [{"bearerAuth": []}]
