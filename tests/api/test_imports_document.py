"""The OpenAPI document tells the truth about the Import operations: real answers of a whole import
(upload, rows with a possible duplicate, edits, read preview, commit, undo, presets) validate
against the response schemas the document gives for them.

The fuzzer (tests/fuzz) mostly reaches 404s and 422s on these routes, because it cannot invent a
batch id that exists; this walks the happy path, where the interesting fields (`duplicate_of`,
`debit_sums`, `questions`, nullable dates) are filled.
"""

from __future__ import annotations

import json

import pytest
import schemathesis

from tests.api.test_imports import all_rows, upload_sample

SPARKASSE = "csv-de_sparkasse-camtcsv_latin1.csv"


@pytest.fixture
def document(client):
    spec = client.get("/api/openapi.json").json
    return schemathesis.openapi.from_dict(json.loads(json.dumps(spec)))


def checked(document, method: str, path: str, response):
    """Validate `response` against the document's operation `method path`; return its JSON."""
    document[path][method].validate_response(response)
    return response.json


def test_a_whole_import_answers_as_documented(client, api_headers, category_ids, document):
    first = upload_sample(client, api_headers, SPARKASSE, default_category_id=str(category_ids["Other"]))
    batch = checked(document, "POST", "/api/v1/imports", first)
    resembled = next(row for row in all_rows(client, api_headers, batch["id"], status="new") if row["description"])
    expense = {
        "amount": resembled["amount"],
        "date": resembled["date"],
        "currency": resembled["currency"],
        "description": resembled["description"],
        "category_id": category_ids["Food"],
    }
    assert client.post("/api/v1/expenses", json=expense, headers=api_headers).status_code == 201

    second = upload_sample(client, api_headers, SPARKASSE, default_category_id=str(category_ids["Other"]))
    batch = checked(document, "POST", "/api/v1/imports", second)
    assert batch["counts"]["possible_duplicate"] == 1
    base = f"/api/v1/imports/{batch['id']}"
    checked(document, "GET", "/api/v1/imports/{batch_id}", client.get(base, headers=api_headers))
    # A new source stages the rows anew (new rows, new ids), so it comes before reading and editing them.
    renamed = client.patch(base, json={"source": "Sparkasse Giro"}, headers=api_headers)
    assert checked(document, "PATCH", "/api/v1/imports/{batch_id}", renamed)["source"] == "Sparkasse Giro"
    rows = checked(document, "GET", "/api/v1/imports/{batch_id}/rows", client.get(f"{base}/rows", headers=api_headers))
    [possible] = [row for row in rows["items"] if row["status"] == "possible_duplicate"]
    assert possible["include"] is False and possible["duplicate_of"]["description"] == resembled["description"]
    checked(document, "GET", "/api/v1/imports", client.get("/api/v1/imports", headers=api_headers))
    preview = client.post(f"{base}/read-preview", json={"settings": batch["settings"]}, headers=api_headers)
    assert checked(document, "POST", "/api/v1/imports/{batch_id}/read-preview", preview)["rows"]
    kept = client.patch(f"{base}/rows/{possible['id']}", json={"include": True}, headers=api_headers)
    assert checked(document, "PATCH", "/api/v1/imports/{batch_id}/rows/{row_id}", kept) == {"count": 1}
    tagged = client.patch(f"{base}/rows", json={"status": "new", "add_tags": ["giro"]}, headers=api_headers)
    checked(document, "PATCH", "/api/v1/imports/{batch_id}/rows", tagged)

    committed = checked(
        document, "POST", "/api/v1/imports/{batch_id}/commit", client.post(f"{base}/commit", headers=api_headers)
    )
    assert committed["created_count"] == batch["counts"]["new"] + 1  # the possible duplicate was kept
    edited = client.get(f"{base}/edited-expenses", headers=api_headers)
    assert checked(document, "GET", "/api/v1/imports/{batch_id}/edited-expenses", edited) == []
    undone = client.post(f"{base}/undo", json={}, headers=api_headers)
    assert checked(document, "POST", "/api/v1/imports/{batch_id}/undo", undone)["batch"]["undone_at"]

    preset = client.post(
        "/api/v1/import-presets", json={"name": "Giro", "settings": batch["settings"]}, headers=api_headers
    )
    created = checked(document, "POST", "/api/v1/import-presets", preset)
    listed = client.get("/api/v1/import-presets", headers=api_headers)
    checked(document, "GET", "/api/v1/import-presets", listed)
    got = client.get(f"/api/v1/import-presets/{created['id']}", headers=api_headers)
    checked(document, "GET", "/api/v1/import-presets/{preset_id}", got)
    patched = client.patch(f"/api/v1/import-presets/{created['id']}", json={"name": "Giro 2"}, headers=api_headers)
    checked(document, "PATCH", "/api/v1/import-presets/{preset_id}", patched)


def test_error_answers_are_documented_too(client, api_headers, document):
    too_many = client.get("/api/v1/imports", query_string={"per_page": 500}, headers=api_headers)
    assert too_many.status_code == 422
    checked(document, "GET", "/api/v1/imports", too_many)
    missing = client.get("/api/v1/imports/999999", headers=api_headers)
    assert missing.status_code == 404
    checked(document, "GET", "/api/v1/imports/{batch_id}", missing)
    no_file = client.post("/api/v1/imports", data={}, headers=api_headers, content_type="multipart/form-data")
    assert no_file.status_code == 422
    checked(document, "POST", "/api/v1/imports", no_file)
