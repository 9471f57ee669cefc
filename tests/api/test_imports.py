"""The Import API end to end: every sample statement uploaded over HTTP yields what its manifest says,
commits, imports nothing the second time, and undo removes exactly what the batch created.

The samples are real files from other projects' test suites (`tests/import_samples/`, copies of
the shared set with their MANIFEST.json); the manifest gives, for each, how many transactions,
debits and credits it holds and the exact sum of the debits per currency.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from expense_app.models import Expense
from tests.conftest import count_rows

SHARED_SAMPLES = Path("/work/shared/import_samples")
REPO_SAMPLES = Path(__file__).resolve().parents[1] / "import_samples"


def samples_dir() -> Path:
    """The sample files: the repository's copy when it exists, else the shared set it is copied from."""
    return REPO_SAMPLES if (REPO_SAMPLES / "MANIFEST.json").exists() else SHARED_SAMPLES


def manifest() -> list[dict]:
    return json.loads((samples_dir() / "MANIFEST.json").read_text(encoding="utf-8"))


MANIFEST = manifest()
# Files that do not say their currency (the manifest knows it from their source): the user says it,
# on the mapping step, as CSV settings.
CURRENCY_NOT_IN_FILE = {"csv-uk_lloyds-debit_credit.csv": "GBP"}


def upload(client, headers, filename: str, data: bytes, **form):
    """POST a file to /api/v1/imports as multipart/form-data, with optional form fields."""
    body = {"file": (io.BytesIO(data), filename), **form}
    return client.post("/api/v1/imports", data=body, headers=headers, content_type="multipart/form-data")


def upload_sample(client, headers, name: str, **form):
    return upload(client, headers, name, (samples_dir() / name).read_bytes(), **form)


def all_rows(client, headers, batch_id: int, **query) -> list[dict]:
    """Every row of a batch, page by page (100 a page, the most the API gives)."""
    rows, page = [], 1
    while True:
        response = client.get(
            f"/api/v1/imports/{batch_id}/rows", query_string={"page": page, "per_page": 100, **query}, headers=headers
        )
        assert response.status_code == 200, response.json
        rows += response.json["items"]
        if page >= response.json["total_pages"]:
            return rows
        page += 1


def all_expenses(client, headers) -> list[dict]:
    items, page = [], 1
    while True:
        response = client.get("/api/v1/expenses", query_string={"page": page, "per_page": 100}, headers=headers)
        assert response.status_code == 200, response.json
        items += response.json["items"]
        if page >= max(response.json["total_pages"], 1):
            return items
        page += 1


def expected_debit_sums(entry: dict, base_currency: str) -> dict[str, str]:
    """Currency -> exact debit sum, from the manifest (a file that names no currency is in the user's)."""
    if entry.get("by_currency"):
        return {code: part["debit_sum"] for code, part in entry["by_currency"].items() if part["debits"]}
    return {entry["currency"] or base_currency: entry["debit_sum"]}


def sums_by_currency(items: list[dict]) -> dict[str, str]:
    sums: dict[str, Decimal] = {}
    for item in items:
        sums[item["currency"]] = sums.get(item["currency"], Decimal("0")) + Decimal(item["amount"])
    return {code: f"{total:.2f}" for code, total in sums.items()}


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_every_sample_imports_as_its_manifest_says_once_and_undoes(client, api_headers, category_ids, entry):
    base_currency = client.get("/api/v1/users/me", headers=api_headers).json["currency"]
    expected_sums = expected_debit_sums(entry, base_currency)
    other = str(category_ids["Other"])

    created = upload_sample(client, api_headers, entry["file"], default_category_id=other)
    assert created.status_code == 201, created.json
    batch = created.json
    if entry["file"] in CURRENCY_NOT_IN_FILE:
        settings = {**batch["settings"], "default_currency": CURRENCY_NOT_IN_FILE[entry["file"]]}
        changed = client.patch(f"/api/v1/imports/{batch['id']}", json={"settings": settings}, headers=api_headers)
        assert changed.status_code == 200, changed.json
        batch = changed.json
    assert created.headers["Location"].endswith(f"/api/v1/imports/{batch['id']}")
    assert batch["status"] == "staged" and batch["filename"] == entry["file"]
    assert batch["row_count"] == entry["transactions"]
    assert batch["counts"] == {
        "new": entry["debits"],
        "duplicate": 0,
        "possible_duplicate": 0,
        "money_in": entry["credits"],
        "error": entry["zero_amount"],
    }
    assert batch["included_count"] == entry["debits"]
    assert batch["debit_sums"] == expected_sums
    assert count_rows(client.application, Expense) == 0  # nothing is an expense before the commit

    rows = all_rows(client, api_headers, batch["id"])
    assert len(rows) == entry["transactions"]
    assert [row["line"] for row in rows] == sorted(row["line"] for row in rows)  # file order
    new_rows = [row for row in rows if row["status"] == "new"]
    assert all(row["include"] and Decimal(row["amount"]) > 0 for row in new_rows)
    assert sums_by_currency(new_rows) == expected_sums
    assert all(not row["include"] for row in rows if row["status"] in ("money_in", "error"))
    assert all(row["message"] for row in rows if row["status"] == "error")

    committed = client.post(f"/api/v1/imports/{batch['id']}/commit", headers=api_headers)
    assert committed.status_code == 200, committed.json
    assert committed.json["status"] == "committed" and committed.json["created_count"] == entry["debits"]
    expenses = all_expenses(client, api_headers)
    assert len(expenses) == entry["debits"]
    assert sums_by_currency(expenses) == expected_sums

    again_settings = {"settings": json.dumps(batch["settings"])} if entry["file"] in CURRENCY_NOT_IN_FILE else {}
    again = upload_sample(client, api_headers, entry["file"], default_category_id=other, **again_settings)
    assert again.status_code == 201, again.json
    assert again.json["counts"]["new"] == 0 and again.json["counts"]["possible_duplicate"] == 0
    assert again.json["counts"]["duplicate"] == entry["debits"]
    assert again.json["included_count"] == 0
    duplicates = all_rows(client, api_headers, again.json["id"], status="duplicate")
    assert {row["duplicate_of"]["id"] for row in duplicates} <= {expense["id"] for expense in expenses}
    recommitted = client.post(f"/api/v1/imports/{again.json['id']}/commit", headers=api_headers)
    assert recommitted.status_code == 200, recommitted.json
    assert recommitted.json["created_count"] == 0
    assert len(all_expenses(client, api_headers)) == entry["debits"]

    undone = client.post(f"/api/v1/imports/{batch['id']}/undo", json={}, headers=api_headers)
    assert undone.status_code == 200, undone.json
    assert undone.json["deleted_count"] == entry["debits"] and undone.json["kept_count"] == 0
    assert undone.json["batch"]["status"] == "undone"
    assert all_expenses(client, api_headers) == []
    # After the undo the same file is new again.
    third = upload_sample(client, api_headers, entry["file"], default_category_id=other)
    assert third.status_code == 201 and third.json["counts"]["new"] == entry["debits"]


def test_history_lists_batches_newest_first_with_paging(client, api_headers):
    first = upload_sample(client, api_headers, "csv-paypal-utf8_bom.csv").json
    second = upload_sample(client, api_headers, "ofx200-ofxparse-suncorp.ofx").json
    page = client.get("/api/v1/imports", query_string={"per_page": 1}, headers=api_headers)
    assert page.status_code == 200
    assert page.json["total"] == 2 and page.json["total_pages"] == 2 and page.json["per_page"] == 1
    assert [item["id"] for item in page.json["items"]] == [second["id"]]
    following = client.get("/api/v1/imports", query_string={"per_page": 1, "page": 2}, headers=api_headers)
    assert [item["id"] for item in following.json["items"]] == [first["id"]]
    got = client.get(f"/api/v1/imports/{first['id']}", headers=api_headers)
    assert got.status_code == 200 and got.json == first


def test_rows_filter_by_status_and_bulk_and_single_edits(client, api_headers, category_ids):
    batch = upload_sample(client, api_headers, "csv-de_sparkasse-camtcsv_latin1.csv").json
    money_in = all_rows(client, api_headers, batch["id"], status="money_in")
    assert len(money_in) == batch["counts"]["money_in"] > 0
    assert {row["status"] for row in money_in} == {"money_in"}

    new_rows = all_rows(client, api_headers, batch["id"], status="new")
    first, second = new_rows[0], new_rows[1]
    excluded = client.patch(
        f"/api/v1/imports/{batch['id']}/rows/{first['id']}", json={"include": False}, headers=api_headers
    )
    assert excluded.status_code == 200 and excluded.json == {"count": 1}
    moved = client.patch(
        f"/api/v1/imports/{batch['id']}/rows",
        json={"row_ids": [second["id"]], "category_id": category_ids["Transport"], "add_tags": ["trip"]},
        headers=api_headers,
    )
    assert moved.status_code == 200 and moved.json == {"count": 1}
    rows = {row["id"]: row for row in all_rows(client, api_headers, batch["id"])}
    assert rows[first["id"]]["include"] is False
    assert rows[second["id"]]["category_id"] == category_ids["Transport"]
    assert rows[second["id"]]["category_source"] == "user" and "trip" in rows[second["id"]]["tags"]

    # money in is never importable, in bulk or alone
    refused = client.patch(
        f"/api/v1/imports/{batch['id']}/rows", json={"status": "money_in", "include": True}, headers=api_headers
    )
    assert refused.status_code == 422, refused.json
    assert client.get(f"/api/v1/imports/{batch['id']}", headers=api_headers).json["counts"] == batch["counts"]

    everything = client.patch(
        f"/api/v1/imports/{batch['id']}/rows",
        json={"status": "new", "category_id": category_ids["Food"]},
        headers=api_headers,
    )
    assert everything.status_code == 200 and everything.json["count"] == batch["counts"]["new"]

    committed = client.post(f"/api/v1/imports/{batch['id']}/commit", headers=api_headers).json
    assert committed["created_count"] == batch["counts"]["new"] - 1  # the excluded row
    assert client.post(f"/api/v1/imports/{batch['id']}/commit", headers=api_headers).status_code == 409


def test_undo_asks_about_edited_expenses_and_keeps_or_deletes_them(client, api_headers, category_ids):
    batch = upload_sample(
        client, api_headers, "ofx102-ofxparse-bank_medium.ofx", default_category_id=str(category_ids["Other"])
    ).json
    client.post(f"/api/v1/imports/{batch['id']}/commit", headers=api_headers)
    expenses = all_expenses(client, api_headers)
    edited = expenses[0]
    assert (
        client.patch(f"/api/v1/expenses/{edited['id']}", json={"notes": "mine"}, headers=api_headers).status_code == 200
    )

    listed = client.get(f"/api/v1/imports/{batch['id']}/edited-expenses", headers=api_headers)
    assert listed.status_code == 200 and [item["id"] for item in listed.json] == [edited["id"]]
    asked = client.post(f"/api/v1/imports/{batch['id']}/undo", json={}, headers=api_headers)
    assert asked.status_code == 422 and "edited" in asked.json["errors"]
    assert len(all_expenses(client, api_headers)) == len(expenses)  # nothing removed

    kept = client.post(f"/api/v1/imports/{batch['id']}/undo", json={"edited": "keep"}, headers=api_headers)
    assert kept.status_code == 200, kept.json
    assert kept.json["deleted_count"] == len(expenses) - 1 and kept.json["kept_count"] == 1
    assert [item["id"] for item in all_expenses(client, api_headers)] == [edited["id"]]
    assert client.post(f"/api/v1/imports/{batch['id']}/undo", json={}, headers=api_headers).status_code == 409


def test_an_undo_without_a_body_works(client, api_headers, category_ids):
    batch = upload_sample(
        client, api_headers, "ofx200-ofxparse-suncorp.ofx", default_category_id=str(category_ids["Other"])
    ).json
    client.post(f"/api/v1/imports/{batch['id']}/commit", headers=api_headers)
    undone = client.post(f"/api/v1/imports/{batch['id']}/undo", headers=api_headers)
    assert undone.status_code == 200, undone.json
    assert undone.json["deleted_count"] == 1


def test_changed_settings_restage_and_the_read_preview_stores_nothing(client, api_headers):
    lloyds = (samples_dir() / "csv-uk_lloyds-debit_credit.csv").read_bytes()
    batch = upload(client, api_headers, "lloyds.csv", lloyds).json
    assert batch["format"] == "csv" and batch["settings"]["date_format"] == "%d/%m/%Y"

    preview = client.post(
        f"/api/v1/imports/{batch['id']}/read-preview",
        json={"settings": {**batch["settings"], "date_format": "%Y-%m-%d"}},
        headers=api_headers,
    )
    assert preview.status_code == 200, preview.json
    assert preview.json["columns"] and 0 < len(preview.json["rows"]) <= 20
    assert {row["status"] for row in preview.json["rows"]} == {"error"}  # no date reads that way
    assert client.get(f"/api/v1/imports/{batch['id']}", headers=api_headers).json == batch

    changed = client.patch(
        f"/api/v1/imports/{batch['id']}",
        json={"settings": {**batch["settings"], "date_format": "%Y-%m-%d"}, "source": "Lloyds current"},
        headers=api_headers,
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["counts"]["error"] == batch["row_count"] and changed.json["source"] == "Lloyds current"
    restored = client.patch(f"/api/v1/imports/{batch['id']}", json={"settings": batch["settings"]}, headers=api_headers)
    assert restored.json["counts"] == batch["counts"]


def test_the_default_category_is_set_on_upload_and_changed_later(client, api_headers, category_ids):
    batch = upload_sample(
        client, api_headers, "csv-paypal-utf8_bom.csv", default_category_id=str(category_ids["Shopping"])
    ).json
    assert batch["default_category_id"] == category_ids["Shopping"] and batch["default_category_name"] == "Shopping"
    [row] = all_rows(client, api_headers, batch["id"], status="new")
    assert row["category_id"] == category_ids["Shopping"] and row["category_source"] == "default"
    changed = client.patch(
        f"/api/v1/imports/{batch['id']}", json={"default_category_id": category_ids["Food"]}, headers=api_headers
    )
    assert changed.status_code == 200 and changed.json["default_category_name"] == "Food"


def test_an_idempotency_key_replays_the_upload(client, api_headers):
    headers = {**api_headers, "Idempotency-Key": "upload-1"}
    # The test client, like any, picks a new multipart boundary per request: the key still matches.
    first = upload_sample(client, headers, "mt940-jejik-abnamro.sta")
    assert first.status_code == 201, first.json
    again = upload_sample(client, headers, "mt940-jejik-abnamro.sta")
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert client.get("/api/v1/imports", headers=api_headers).json["total"] == 1
    other_file = upload_sample(client, headers, "ofx200-ofxparse-suncorp.ofx")
    assert other_file.status_code == 422 and "Idempotency-Key" in other_file.json["errors"]
    assert client.get("/api/v1/imports", headers=api_headers).json["total"] == 1


def test_this_apps_export_round_trips_through_the_import(client, api_headers, other_headers, category_ids):
    """Export one user's expenses as CSV, import the file as another user: the same expenses."""
    bodies = [
        {"amount": "12.50", "date": "2026-01-15", "category_id": category_ids["Food"], "description": "Lunch, =1+1"},
        {
            "amount": "1234.56",
            "date": "2026-02-01",
            "category_id": category_ids["Transport"],
            "description": 'Train "Ü" ticket',
            "payment_method": "credit_card",
            "tags": ["work", "travel"],
            "notes": "two\nlines",
        },
    ]
    for body in bodies:
        assert client.post("/api/v1/expenses", json=body, headers=api_headers).status_code == 201
    exported = client.get("/api/v1/expenses/export.csv", headers=api_headers)
    assert exported.status_code == 200

    batch = upload(client, other_headers, "expenses.csv", exported.data)
    assert batch.status_code == 201, batch.json
    assert batch.json["builtin_preset"] == "expense_manager" and batch.json["counts"]["new"] == 2
    committed = client.post(f"/api/v1/imports/{batch.json['id']}/commit", headers=other_headers)
    assert committed.status_code == 200, committed.json

    def comparable(items):
        keys = ("amount", "currency", "date", "description", "payment_method", "notes")
        rows = [
            {key: item[key] for key in keys} | {"category": item["category"]["name"], "tags": sorted(item["tags"])}
            for item in items
        ]
        return sorted(rows, key=lambda row: row["date"])

    assert comparable(all_expenses(client, other_headers)) == comparable(all_expenses(client, api_headers))
