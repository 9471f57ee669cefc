"""`Idempotency-Key` on the API's POSTs: a retry is answered with the first response, never redone."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest

from expense_app.api import idempotency
from expense_app.extensions import db
from expense_app.models import Expense
from expense_app.models.base import utcnow
from expense_app.models.idempotency import IdempotencyKey
from tests.conftest import PASSWORD, count_rows


@pytest.fixture
def expense_body(category_ids) -> dict:
    return {"amount": "42.50", "date": "2026-01-15", "category_id": category_ids["Food"], "currency": "USD"}


def post(client, headers, body, key, path="/api/v1/expenses"):
    return client.post(path, json=body, headers={**headers, idempotency.HEADER: key})


def test_same_key_and_body_returns_the_first_response_and_creates_one_expense(
    app, client, api_headers, expense_body, user
):
    key = str(uuid.uuid4())
    first = post(client, api_headers, expense_body, key)
    assert first.status_code == 201
    again = post(client, api_headers, expense_body, key)
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.content_type == "application/json"
    assert count_rows(app, Expense) == 1
    with app.app_context():
        row = db.session.get(IdempotencyKey, (user.id, key))
        assert row.status_code == 201 and row.path == "/api/v1/expenses"


def test_same_key_with_another_body_or_path_is_422_and_changes_nothing(app, client, api_headers, expense_body):
    key = "retry-me-1"
    assert post(client, api_headers, expense_body, key).status_code == 201
    other = post(client, api_headers, {**expense_body, "amount": "42.51"}, key)
    assert other.status_code == 422
    assert other.json["code"] == 422 and other.json["status"] == "Unprocessable Entity"
    assert "Idempotency-Key" in other.json["message"]
    assert list(other.json["errors"]) == ["Idempotency-Key"]
    elsewhere = post(client, api_headers, {"name": "Books"}, key, path="/api/v1/categories")
    assert elsewhere.status_code == 422
    assert count_rows(app, Expense) == 1
    assert "Books" not in [c["name"] for c in client.get("/api/v1/categories", headers=api_headers).json]


def test_keys_are_per_user(app, client, api_headers, other_headers, expense_body):
    assert post(client, api_headers, expense_body, "shared-key").status_code == 201
    theirs = client.get("/api/v1/categories", headers=other_headers).json[0]["id"]
    second = post(client, other_headers, {**expense_body, "category_id": theirs}, "shared-key")
    assert second.status_code == 201
    assert count_rows(app, Expense) == 2


def test_without_the_header_every_post_creates(app, client, api_headers, expense_body):
    for _ in range(2):
        assert client.post("/api/v1/expenses", json=expense_body, headers=api_headers).status_code == 201
    assert count_rows(app, Expense) == 2
    assert count_rows(app, IdempotencyKey) == 0


def test_a_refused_request_is_replayed_too_and_nothing_is_created(app, client, api_headers, expense_body):
    bad = {**expense_body, "amount": "-1"}
    first = post(client, api_headers, bad, "bad-amount")
    assert first.status_code == 422
    assert post(client, api_headers, bad, "bad-amount").json == first.json
    assert count_rows(app, Expense) == 0


def test_a_server_error_is_not_stored_so_the_retry_does_the_work(app, client, api_headers, expense_body, monkeypatch):
    from expense_app.services import expenses

    real = expenses.create_expense
    monkeypatch.setattr(expenses, "create_expense", lambda **kwargs: 1 / 0)
    assert post(client, api_headers, expense_body, "flaky").status_code == 500
    assert count_rows(app, IdempotencyKey) == 0
    monkeypatch.setattr(expenses, "create_expense", real)
    assert post(client, api_headers, expense_body, "flaky").status_code == 201
    assert count_rows(app, Expense) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ünïcode".encode().decode("latin-1")])
def test_a_malformed_key_is_422_with_a_clear_message(app, client, api_headers, expense_body, key):
    response = post(client, api_headers, expense_body, key)
    assert response.status_code == 422
    assert response.json["errors"]["Idempotency-Key"] == [idempotency.BAD_KEY]
    assert count_rows(app, Expense) == 0


def test_a_key_in_progress_is_409(app, client, api_headers, expense_body, user):
    with app.app_context():
        body = app.json.dumps(expense_body).encode()  # the bytes the test client sends
        assert idempotency.claim(user.id, "busy", "POST", "/api/v1/expenses", body) is None
    response = post(client, api_headers, expense_body, "busy")
    assert response.status_code == 409
    assert response.json["message"] == idempotency.IN_PROGRESS
    assert count_rows(app, Expense) == 0


def test_a_claim_abandoned_by_a_dead_request_is_taken_over(app, client, api_headers, expense_body, user):
    long_ago = utcnow() - idempotency.ABANDONED_AFTER - dt.timedelta(seconds=1)
    with app.app_context():
        body = app.json.dumps(expense_body).encode()
        assert idempotency.claim(user.id, "died", "POST", "/api/v1/expenses", body, now=long_ago) is None
    assert post(client, api_headers, expense_body, "died").status_code == 201
    assert count_rows(app, Expense) == 1


def test_an_expired_key_is_purged_and_may_be_used_again(app, client, api_headers, expense_body, user):
    old = utcnow() - idempotency.TTL - dt.timedelta(minutes=1)
    with app.app_context():
        idempotency.claim(user.id, "old", "POST", "/api/v1/expenses", b"other body", now=old)
        idempotency.store(user.id, "old", 201, "{}", {})
    assert post(client, api_headers, expense_body, "old").status_code == 201
    assert count_rows(app, Expense) == 1
    with app.app_context():
        idempotency.claim(user.id, "stale", "POST", "/x", b"", now=old)
        assert idempotency.purge_expired() == 1


def test_credential_endpoints_ignore_the_header(app, client, user):
    login = {"email": user.email, "password": PASSWORD}
    headers = {idempotency.HEADER: "login-key"}
    first = client.post("/api/v1/auth/login", json=login, headers=headers)
    second = client.post("/api/v1/auth/login", json=login, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json["refresh_token"] != second.json["refresh_token"]  # never a stored credential
    assert count_rows(app, IdempotencyKey) == 0


def test_a_post_without_a_valid_token_is_401_not_claimed(app, client, expense_body):
    response = post(client, {"Authorization": "Bearer nope"}, expense_body, "k")
    assert response.status_code == 401
    assert count_rows(app, IdempotencyKey) == 0


def test_two_concurrent_requests_with_one_key_create_one_expense(app, api_headers, expense_body):
    results = []
    barrier = threading.Barrier(2)

    def send():
        client = app.test_client()
        barrier.wait()
        results.append(post(client, api_headers, expense_body, "race").status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) in ([201, 201], [201, 409])
    assert count_rows(app, Expense) == 1
