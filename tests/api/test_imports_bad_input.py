"""Bad input to the Import API: a clear 4xx naming what is wrong, never a 5xx, and nothing stored.

Covers the upload form (no file, text instead of a file, settings that are not JSON, unknown
fields), query strings (`²`, huge pages, unknown statuses), files that are too large or must not
be read (binary, zip, XML bombs and external entities), and isolation: another user's batch,
row or preset is 404, exactly as a batch that does not exist.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from expense_app.models import Expense
from expense_app.models.imports import ImportBatch, ImportRow
from tests.api.test_imports import upload
from tests.conftest import count_rows

CSV = b"Date,Description,Amount\n2026-01-15,Coffee,-3.50\n2026-01-16,Salary,1000.00\n"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Ntry>
<Amt Ccy="EUR">&lol4;</Amt></Ntry></Stmt></BkToCstmrStmt></Document>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Ntry>
<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><AddtlNtryInf>&xxe;</AddtlNtryInf></Ntry></Stmt>
</BkToCstmrStmt></Document>
"""


def nothing_stored(app) -> bool:
    return count_rows(app, ImportBatch) == count_rows(app, ImportRow) == count_rows(app, Expense) == 0


def multipart(client, headers, body: dict, **kwargs):
    return client.post("/api/v1/imports", data=body, headers=headers, content_type="multipart/form-data", **kwargs)


@pytest.fixture
def batch(client, api_headers) -> dict:
    response = upload(client, api_headers, "coffee.csv", CSV)
    assert response.status_code == 201, response.json
    return response.json


# --- the upload form ------------------------------------------------------------------------------


def test_no_file_is_422_on_file(client, api_headers):
    response = multipart(client, api_headers, {"source": "bank"})
    assert response.status_code == 422
    assert response.json["errors"]["file"] == [
        "Choose a statement file to upload (a form part named `file` with a filename)."
    ]
    assert client.post("/api/v1/imports", json={"file": "x"}, headers=api_headers).status_code == 422
    assert nothing_stored(client.application)


def test_text_instead_of_a_file_is_422_on_file(client, api_headers):
    response = multipart(client, api_headers, {"file": "Date,Amount\n2026-01-01,-1.00\n"})
    assert response.status_code == 422
    assert "not as text" in response.json["errors"]["file"][0]
    assert nothing_stored(client.application)


@pytest.mark.parametrize(
    ("settings", "needle"),
    [("{not json", "Must be a JSON object"), ("[1, 2]", "got list"), ('"%d.%m.%Y"', "got str"), ("1e999999", "")],
)
def test_settings_that_are_not_a_json_object_are_422(client, api_headers, settings, needle):
    response = upload(client, api_headers, "coffee.csv", CSV, settings=settings)
    assert response.status_code == 422, response.json
    assert needle in response.json["errors"]["settings"][0]
    assert nothing_stored(client.application)


def test_settings_the_reader_refuses_are_422_and_store_nothing(client, api_headers):
    response = upload(client, api_headers, "coffee.csv", CSV, settings='{"decimal": "x", "delimiter": ""}')
    assert response.status_code == 422, response.json
    assert response.json["errors"]
    assert nothing_stored(client.application)


@pytest.mark.parametrize(
    "form",
    [
        {"preset_id": "²"},
        {"preset_id": "1" * 400},
        {"default_category_id": "abc"},
        {"builtin_preset": "quicken"},
        {"surprise": "field"},
    ],
)
def test_bad_form_fields_are_422_naming_them(client, api_headers, form):
    response = upload(client, api_headers, "coffee.csv", CSV, **form)
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == set(form)
    assert nothing_stored(client.application)


def test_a_foreign_or_unknown_category_or_preset_changes_nothing(client, api_headers, other_headers):
    their_category = client.get("/api/v1/categories", headers=other_headers).json[0]["id"]
    for form in ({"default_category_id": str(their_category)}, {"preset_id": "999999"}):
        response = upload(client, api_headers, "coffee.csv", CSV, **form)
        assert response.status_code in (404, 422), response.json
        assert response.status_code != 500
    assert nothing_stored(client.application)


def test_an_upload_needs_a_token(client):
    response = upload(client, {}, "coffee.csv", CSV)
    assert response.status_code == 401 and response.json["code"] == 401
    assert nothing_stored(client.application)


# --- files that must not be read --------------------------------------------------------------------


def test_an_oversized_upload_is_413_json_and_stores_nothing(client, api_headers):
    limit = client.application.config["IMPORT_MAX_BYTES"]
    response = upload(client, api_headers, "huge.csv", CSV * (limit // len(CSV) + 2000))
    assert response.status_code == 413
    assert response.json["code"] == 413 and response.json["status"] == "Request Entity Too Large"
    assert response.json["message"].startswith("This file is larger than 10 MB")
    assert nothing_stored(client.application)


def test_the_limit_follows_the_configuration_and_holds_with_an_idempotency_key(app_factory, api_login, make_user):
    app = app_factory(IMPORT_MAX_BYTES=4096)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_login(make_user())['access_token']}"}
    response = upload(client, {**headers, "Idempotency-Key": "big-1"}, "big.csv", CSV * 2000)
    assert response.status_code == 413, response.json
    assert response.json["message"].startswith("This file is larger than 4 KB;")
    assert nothing_stored(app)


def test_a_body_over_the_app_limit_reaches_the_import_rules(client, api_headers):
    # 1.5 MB is over the app's 1 MiB body limit but under the import limit: the service reads it
    # (and refuses a binary file), even when the Idempotency-Key hook reads the body first.
    blob = bytes(range(256)) * 6000
    for headers in (api_headers, {**api_headers, "Idempotency-Key": "blob-1"}):
        response = upload(client, headers, "blob.bin", blob)
        assert response.status_code == 422, response.json
        assert "file" in response.json["errors"]
    assert nothing_stored(client.application)


def test_a_chunked_body_over_the_limit_is_413_json(app_factory, api_login, make_user):
    app = app_factory(IMPORT_MAX_BYTES=4096)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_login(make_user())['access_token']}"}
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'.encode()
        + CSV * 2000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/api/v1/imports",
        input_stream=io.BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked"},
        content_type=f"multipart/form-data; boundary={boundary}",
        # What gunicorn says of a chunked body: the stream ends where the body does.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413, response.data[:300]
    assert response.json["message"].startswith("This file is larger than")
    assert nothing_stored(app)


def test_an_oversized_text_field_is_413_saying_so(client, api_headers):
    response = upload(client, api_headers, "coffee.csv", CSV, settings="{" + " " * 600_000 + "}")
    assert response.status_code == 413
    assert response.json["message"] == "A form field other than `file` is larger than 500 KB."
    assert nothing_stored(client.application)


@pytest.mark.parametrize(("name", "data"), [("laughs.xml", BILLION_LAUGHS), ("xxe.xml", EXTERNAL_ENTITY)])
def test_malicious_xml_is_422_with_a_clear_message(client, api_headers, name, data):
    response = upload(client, api_headers, name, data)
    assert response.status_code == 422, response.json
    [message] = response.json["errors"]["file"]
    assert "passwd" not in message and "root:" not in message
    assert len(message) > 20
    assert nothing_stored(client.application)


def test_a_zip_file_is_refused_with_a_clear_message(client, api_headers):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("statement.csv", CSV)
    response = upload(client, api_headers, "statement.zip", archive.getvalue())
    assert response.status_code == 422, response.json
    assert "zip" in response.json["errors"]["file"][0].lower()
    assert nothing_stored(client.application)


def test_an_empty_file_is_422(client, api_headers):
    response = upload(client, api_headers, "empty.csv", b"")
    assert response.status_code == 422 and response.json["errors"]["file"]
    assert nothing_stored(client.application)


# --- query strings and bodies of the other operations ------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"status": "pending"},
        {"status": "²"},
        {"page": "²"},
        {"per_page": "²"},
        {"per_page": "101"},
        {"per_page": "9" * 40},
        {"page": "0"},
    ],
)
def test_bad_row_queries_are_422(client, api_headers, batch, query):
    response = client.get(f"/api/v1/imports/{batch['id']}/rows", query_string=query, headers=api_headers)
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == set(query)


@pytest.mark.parametrize("query", [{"per_page": "1000000"}, {"page": "²"}, {"per_page": "-1"}])
def test_bad_history_queries_are_422(client, api_headers, query):
    response = client.get("/api/v1/imports", query_string=query, headers=api_headers)
    assert response.status_code == 422 and set(response.json["errors"]) == set(query)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"include": True},
        {"row_ids": [], "include": True},
        {"row_ids": list(range(1, 1002)), "include": True},
        {"row_ids": ["1"], "include": True},
        {"status": "²", "include": True},
        {"status": "new", "include": "yes"},
        {"status": "new", "category_id": "3"},
        {"status": "new", "tags": "coffee"},
    ],
)
def test_bad_bulk_row_edits_are_422_and_change_nothing(client, api_headers, batch, body):
    response = client.patch(f"/api/v1/imports/{batch['id']}/rows", json=body, headers=api_headers)
    assert response.status_code == 422, response.json
    assert client.get(f"/api/v1/imports/{batch['id']}", headers=api_headers).json == batch


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"settings": "not an object"}),
        ("", {"default_category_id": "3"}),
        ("/read-preview", {}),
        ("/read-preview", {"settings": ["delimiter"]}),
        ("/undo", {"edited": "maybe"}),
    ],
)
def test_bad_bodies_are_422(client, api_headers, batch, path, body):
    method = client.patch if path == "" else client.post
    response = method(f"/api/v1/imports/{batch['id']}{path}", json=body, headers=api_headers)
    assert response.status_code == 422, response.json
    assert response.json["errors"]


def test_undo_of_a_staged_batch_is_409(client, api_headers, batch):
    response = client.post(f"/api/v1/imports/{batch['id']}/undo", json={}, headers=api_headers)
    assert response.status_code == 409 and response.json["message"]


# --- isolation ---------------------------------------------------------------------------------------


def test_another_users_batch_and_rows_are_404(client, api_headers, other_headers, batch):
    [row] = [
        row
        for row in client.get(f"/api/v1/imports/{batch['id']}/rows", headers=api_headers).json["items"]
        if row["status"] == "new"
    ]
    attempts = [
        ("get", "", None),
        ("patch", "", {"source": "mine now"}),
        ("post", "/read-preview", {"settings": {}}),
        ("get", "/rows", None),
        ("patch", "/rows", {"status": "new", "include": False}),
        ("patch", f"/rows/{row['id']}", {"include": False}),
        ("post", "/commit", None),
        ("get", "/edited-expenses", None),
        ("post", "/undo", {}),
    ]
    for method, tail, body in attempts:
        response = getattr(client, method)(f"/api/v1/imports/{batch['id']}{tail}", json=body, headers=other_headers)
        assert response.status_code == 404, (method, tail, response.json)
        missing = getattr(client, method)(f"/api/v1/imports/999999{tail}", json=body, headers=api_headers)
        assert missing.status_code == 404 and missing.json["message"] == response.json["message"]
    assert client.get("/api/v1/imports", headers=other_headers).json["total"] == 0
    assert client.get(f"/api/v1/imports/{batch['id']}", headers=api_headers).json == batch


def test_a_row_of_another_batch_is_404_on_the_row_route(client, api_headers, other_headers, batch):
    theirs = upload(client, other_headers, "theirs.csv", CSV).json
    their_row = client.get(f"/api/v1/imports/{theirs['id']}/rows", headers=other_headers).json["items"][0]
    response = client.patch(
        f"/api/v1/imports/{batch['id']}/rows/{their_row['id']}", json={"include": False}, headers=api_headers
    )
    assert response.status_code == 404, response.json
    assert client.get(f"/api/v1/imports/{theirs['id']}", headers=other_headers).json == theirs


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/imports/²"),
        ("get", "/api/v1/imports/٣/rows"),
        ("patch", "/api/v1/imports/1/rows/²"),
        ("get", "/api/v1/import-presets/99999999999999999999"),
    ],
)
def test_ids_that_are_not_ascii_numbers_are_a_json_404(client, api_headers, method, path):
    response = getattr(client, method)(path, json={}, headers=api_headers)
    assert response.status_code == 404 and response.is_json
    assert response.json["code"] == 404
