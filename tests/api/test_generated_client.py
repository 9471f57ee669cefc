"""A typed client generated from /api/openapi.json with openapi-python-client works as a client should.

Generates the client (about a second), then checks what issue 13 asked of it: one function module
per operation named after its operationId, response models whose always-sent fields are plain
types (not `X | Unset`), readable enum members; then uses it, through httpx's WSGI transport
against this app (no server), to log in and create an expense twice with one Idempotency-Key, and
to upload a statement (the API's multipart operation) twice with one key, then commit it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import subprocess
import sys
from pathlib import Path

import attrs
import httpx
import pytest

from expense_app.models import Expense
from tests.api.test_imports import samples_dir
from tests.conftest import PASSWORD, count_rows

PACKAGE = "expense_api_client"
# Response models and the fields the API always sends (a sample; the spec test checks them all).
ALWAYS_SENT = {
    "TokenPair": ["access_token", "refresh_token", "token_type", "expires_in"],
    "Expense": ["id", "amount", "currency", "date", "base_amount", "category", "tags", "created_at"],
    "ExpensePage": ["items", "total", "page", "per_page", "total_pages", "total_amount", "unconverted_count"],
    "User": ["id", "email", "full_name", "currency", "locale", "created_at"],
    "Summary": None,  # every field
}


@pytest.fixture
def generated(app, tmp_path, monkeypatch):
    spec = app.test_client().get("/api/openapi.json")
    assert spec.status_code == 200
    (tmp_path / "openapi.json").write_bytes(spec.data)
    (tmp_path / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(tmp_path / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # nothing the generator had to leave out
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]
    return spec.json, importlib.import_module(PACKAGE), tmp_path / PACKAGE


def operation_ids(spec) -> set[str]:
    return {
        operation["operationId"]
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_generated_client_is_named_typed_and_works(generated, app, user):
    spec, client_package, root = generated

    # One function module per operation, named after its operationId.
    modules = {path.stem for path in (root / "api").glob("*/*.py") if path.stem != "__init__"}
    assert modules == operation_ids(spec)
    expenses_api = importlib.import_module(f"{PACKAGE}.api.expenses")
    assert {"list_expenses", "create_expense", "get_expense", "export_expenses"} <= {
        path.stem for path in Path(expenses_api.__file__).parent.glob("*.py")
    }

    # Response fields the API always sends are required, plain types.
    models = importlib.import_module(f"{PACKAGE}.models")
    for model_name, names in ALWAYS_SENT.items():
        model = getattr(models, model_name)
        hints = {field.name: str(field.type) for field in attrs.fields(model)}
        for name in names or hints:
            assert "Unset" not in hints[name], f"{model_name}.{name}: {hints[name]}"
    assert "None" in str(attrs.fields_dict(models.Expense)["base_amount"].type)  # nullable, still required
    assert models.ListExpensesSort.DATE_DESC.value == "-date"
    assert not [member for member in models.ListExpensesSort if member.name.startswith("VALUE_")]

    # Use it: log in, record an expense twice with one Idempotency-Key, find one expense.
    from expense_api_client.api.authentication import login
    from expense_api_client.api.categories import list_categories
    from expense_api_client.api.expenses import create_expense, list_expenses

    transport = httpx.WSGITransport(app=app)
    anonymous = client_package.Client(base_url="http://localhost", httpx_args={"transport": transport})
    tokens = login.sync(client=anonymous, body=models.Login(email=user.email, password=PASSWORD))
    assert isinstance(tokens, models.TokenPair) and tokens.token_type == "bearer"
    api = client_package.AuthenticatedClient(
        base_url="http://localhost", token=tokens.access_token, httpx_args={"transport": transport}
    )
    food = next(category for category in list_categories.sync(client=api) if category.name == "Food")
    body = models.ExpenseCreate(amount="42.50", date=dt.date(2026, 1, 15), category_id=food.id)
    first = create_expense.sync_detailed(client=api, body=body, idempotency_key="client-retry-1")
    again = create_expense.sync_detailed(client=api, body=body, idempotency_key="client-retry-1")
    assert first.status_code == again.status_code == 201
    assert isinstance(first.parsed, models.Expense) and isinstance(again.parsed, models.Expense)
    assert again.parsed.id == first.parsed.id
    assert first.headers["Location"] == again.headers["Location"]
    page = list_expenses.sync(client=api, sort=models.ListExpensesSort.DATE_DESC)
    assert isinstance(page, models.ExpensePage)
    assert page.total == 1 and page.items[0].amount == "42.50"
    assert count_rows(app, Expense) == 1
    refused = create_expense.sync_detailed(
        client=api,
        body=models.ExpenseCreate(amount="1.00", date=body.date, category_id=food.id),
        idempotency_key="client-retry-1",
    )
    assert refused.status_code == 422 and isinstance(refused.parsed, models.ApiError)
    assert count_rows(app, Expense) == 1


def test_generated_client_uploads_a_statement_and_commits_it(generated, app, user):
    """The one multipart operation works from a typed client: the file and its options are one form."""
    _, client_package, _ = generated
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    from expense_api_client.api.authentication import login
    from expense_api_client.api.categories import list_categories
    from expense_api_client.api.import_ import commit_import, create_import, list_import_rows

    transport = httpx.WSGITransport(app=app)
    anonymous = client_package.Client(base_url="http://localhost", httpx_args={"transport": transport})
    tokens = login.sync(client=anonymous, body=models.Login(email=user.email, password=PASSWORD))
    api = client_package.AuthenticatedClient(
        base_url="http://localhost", token=tokens.access_token, httpx_args={"transport": transport}
    )
    other = next(category for category in list_categories.sync(client=api) if category.name == "Other")
    data = (samples_dir() / "ofx102-ofxparse-bank_medium.ofx").read_bytes()

    def upload():
        body = models.ImportUpload(
            file=types.File(payload=io.BytesIO(data), file_name="bank.ofx"), default_category_id=other.id
        )
        return create_import.sync_detailed(client=api, body=body, idempotency_key="statement-1")

    first, again = upload(), upload()
    assert first.status_code == again.status_code == 201, first.content
    assert isinstance(first.parsed, models.ImportBatch) and again.parsed.id == first.parsed.id
    assert first.parsed.counts.new == 3 and first.parsed.debit_sums.additional_properties == {"CAD": "345.27"}
    rows = list_import_rows.sync(client=api, batch_id=first.parsed.id, status=models.ListImportRowsStatus.NEW)
    assert isinstance(rows, models.ImportRowPage) and rows.total == 3
    assert all(row.duplicate_of is None and row.include for row in rows.items)
    committed = commit_import.sync(client=api, batch_id=first.parsed.id)
    assert isinstance(committed, models.ImportBatch) and committed.created_count == 3
    assert count_rows(app, Expense) == 3
