"""The Access tokens API: create (fresh login only, shown once), list, revoke, and using a token.

What a token may do per operation (every route of the URL map) is `test_access_tokens_scopes.py`;
the generated client's use of a token is `test_access_tokens_client.py`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
import sqlalchemy as sa
from flask_jwt_extended import create_access_token, decode_token

from expense_app.extensions import db
from expense_app.models import PersonalAccessToken, SecurityEvent, TokenFamily, User
from expense_app.models.base import utcnow
from expense_app.ops.logging import build_handler
from expense_app.services.unit_of_work import transaction
from tests import factories
from tests.conftest import PASSWORD, bearer, count_rows
from tests.services.conftest import count_statements

BODY = {"name": "Backup script", "scopes": ["read"]}


@pytest.fixture
def create(client, api_headers):
    """POST /tokens with a fresh login's headers; returns the response."""

    def post(body: dict | None = None, headers: dict | None = None):
        return client.post("/api/v1/tokens", json=body or BODY, headers=headers or api_headers)

    return post


@pytest.fixture
def read_token(create) -> str:
    response = create()
    assert response.status_code == 201, response.json
    return response.json["token"]


@pytest.fixture
def write_token(create) -> str:
    response = create({"name": "Sync", "scopes": ["write"]})
    assert response.status_code == 201, response.json
    return response.json["token"]


def _food(client, headers) -> int:
    return next(c["id"] for c in client.get("/api/v1/categories", headers=headers).json if c["name"] == "Food")


def _expense(food: int) -> dict:
    return {"amount": "4.20", "date": "2026-01-15", "category_id": food}


# --- creating ----------------------------------------------------------------------------------------


def test_create_returns_the_token_once_with_its_metadata(app, client, create, api_headers, user):
    response = create({"name": "Backup script", "scopes": ["write"], "expires_in_days": 30})
    assert response.status_code == 201
    body = response.json
    assert body["token"].startswith("em_pat_") and len(body["token"]) >= 7 + 43
    assert body["name"] == "Backup script" and body["scopes"] == ["read", "write"]
    assert body["active"] is True and body["revoked_at"] is None and body["last_used_at"] is None
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(days=29, hours=23) < expires - utcnow() <= dt.timedelta(days=30)
    assert set(body) == {
        "id",
        "name",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "active",
        "token",
    }
    listed = client.get("/api/v1/tokens", headers=api_headers)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json] == [body["id"]]
    assert "token" not in listed.json[0]
    assert body["token"] not in listed.text and body["token"].removeprefix("em_pat_") not in listed.text
    with app.app_context():
        events = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "token_created")).all()
        assert [(event.user_id, event.detail["name"]) for event in events] == [(user.id, "Backup script")]


def test_create_with_an_expiry_moment(create):
    moment = (utcnow() + dt.timedelta(days=2)).replace(microsecond=0)
    response = create({"name": "Short", "scopes": ["read"], "expires_at": moment.isoformat()})
    assert response.status_code == 201
    assert dt.datetime.fromisoformat(response.json["expires_at"]) == moment


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["read"]}, "name"),
        ({"name": "x"}, "scopes"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": "bad\u0007", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": "read"}, "scopes"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 367}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": "30"}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00+00:00"}, "expires_at"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2026-13-01T00:00:00+00:00"}, "expires_at"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2027-01-01T00:00:00"}, "expires_at"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2099-01-01T00:00:00+00:00"}, "expires_at"),
        ({"name": "x", "scopes": ["read"], "user_id": 5}, "user_id"),
        ({"name": "x", "scopes": ["read"], "token": "em_pat_mine"}, "token"),
    ],
)
def test_bad_bodies_are_422_naming_the_field_and_nothing_is_created(app, create, body, field):
    response = create(body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert count_rows(app, PersonalAccessToken) == 0


def test_a_name_in_use_by_a_live_token_is_409(app, create, client, api_headers):
    first = create()
    again = create({"name": "backup SCRIPT", "scopes": ["write"]})
    assert again.status_code == 409
    assert "already have a token named" in again.json["message"]
    assert count_rows(app, PersonalAccessToken) == 1
    assert client.delete(f"/api/v1/tokens/{first.json['id']}", headers=api_headers).status_code == 204
    assert create().status_code == 201


def test_creating_needs_a_fresh_login_not_a_refreshed_token(client, api_login, user):
    pair = api_login(user)
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"]))
    assert refreshed.status_code == 200
    response = client.post("/api/v1/tokens", json=BODY, headers=bearer(refreshed.json["access_token"]))
    assert response.status_code == 401
    assert response.json["message"].startswith("A fresh login is required")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    # The refreshed token is good for everything else.
    assert client.get("/api/v1/tokens", headers=bearer(refreshed.json["access_token"])).status_code == 200


def test_creating_needs_a_login_younger_than_fresh_login_minutes(app, client, api_login, user):
    pair = api_login(user)
    with app.app_context():
        claims = decode_token(pair["access_token"])
        assert claims["fresh"] > utcnow().timestamp() + 14 * 60  # fresh for FRESH_LOGIN_MINUTES (15)
        assert claims["fresh"] <= utcnow().timestamp() + 15 * 60
        # The same login's token, its freshness over (as 16 minutes later).
        stale = create_access_token(
            identity=db.session.get(User, user.id),
            additional_claims={"fam": claims["fam"]},
            fresh=dt.timedelta(minutes=-1),
        )
    response = client.post("/api/v1/tokens", json=BODY, headers=bearer(stale))
    assert response.status_code == 401 and response.json["message"].startswith("A fresh login is required")
    assert client.get("/api/v1/users/me", headers=bearer(stale)).status_code == 200
    assert count_rows(app, PersonalAccessToken) == 0


def test_fresh_login_minutes_is_the_setting(app_factory, make_user):
    app = app_factory(FRESH_LOGIN_MINUTES=3)
    owner = make_user(email="short@example.com")
    client = app.test_client()
    pair = client.post("/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}).json
    with app.app_context():
        assert decode_token(pair["access_token"])["fresh"] <= utcnow().timestamp() + 3 * 60


def test_a_personal_access_token_cannot_create_tokens(app, client, write_token, read_token):
    for token in (write_token, read_token):
        response = client.post("/api/v1/tokens", json={"name": "Child", "scopes": ["read"]}, headers=bearer(token))
        assert response.status_code == 403 and response.is_json
    assert (
        "cannot create tokens"
        in client.post("/api/v1/tokens", json={"name": "Child", "scopes": ["read"]}, headers=bearer(write_token)).json[
            "message"
        ]
    )
    assert count_rows(app, PersonalAccessToken) == 2


def test_an_idempotency_key_on_create_is_ignored_and_the_token_never_stored(app, create, api_headers, client):
    headers = {**api_headers, "Idempotency-Key": "token-1"}
    first = client.post("/api/v1/tokens", json=BODY, headers=headers)
    again = client.post("/api/v1/tokens", json={**BODY, "name": "Other"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json["token"] != again.json["token"]
    with app.app_context():
        rows = repr(factories.all_rows())
    assert first.json["token"].removeprefix("em_pat_") not in rows


# --- listing and revoking ------------------------------------------------------------------------------


def test_list_is_newest_first_with_revoked_ones_marked(client, create, api_headers):
    old = create({"name": "Old", "scopes": ["read"]}).json
    new = create({"name": "New", "scopes": ["write"]}).json
    assert client.delete(f"/api/v1/tokens/{old['id']}", headers=api_headers).status_code == 204
    listed = client.get("/api/v1/tokens", headers=api_headers).json
    assert [(item["name"], item["active"], item["revoked_at"] is not None) for item in listed] == [
        ("New", True, False),
        ("Old", False, True),
    ]
    assert listed[0]["scopes"] == ["read", "write"] and new["id"] == listed[0]["id"]


def test_the_list_holds_only_the_callers_tokens(client, create, make_user, api_login):
    create()
    other = make_user(email="sam@example.com")
    assert client.get("/api/v1/tokens", headers=bearer(api_login(other)["access_token"])).json == []


def test_revoking_ends_the_token_at_once(app, client, create, api_headers):
    created = create().json
    token_headers = bearer(created["token"])
    assert client.get("/api/v1/expenses", headers=token_headers).status_code == 200
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=api_headers).status_code == 204
    response = client.get("/api/v1/expenses", headers=token_headers)
    assert response.status_code == 401 and response.is_json
    assert response.headers["WWW-Authenticate"] == "Bearer"
    # Again: nothing changes, still 204.
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=api_headers).status_code == 204
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(SecurityEvent.kind == "token_revoked")) == 1


def test_revoking_another_users_token_is_404_and_it_keeps_working(client, create, make_user, api_login):
    created = create().json
    other = make_user(email="sam@example.com")
    other_headers = bearer(api_login(other)["access_token"])
    response = client.delete(f"/api/v1/tokens/{created['id']}", headers=other_headers)
    assert response.status_code == 404 and response.json["message"] == "Access token not found."
    assert client.delete("/api/v1/tokens/999999", headers=other_headers).status_code == 404
    assert client.get("/api/v1/expenses", headers=bearer(created["token"])).status_code == 200


def test_a_write_token_may_revoke_tokens_a_read_token_may_not(client, create, write_token, read_token, api_headers):
    target = create({"name": "Target", "scopes": ["read"]}).json
    refused = client.delete(f"/api/v1/tokens/{target['id']}", headers=bearer(read_token))
    assert refused.status_code == 403
    assert client.delete(f"/api/v1/tokens/{target['id']}", headers=bearer(write_token)).status_code == 204


# --- using a token ---------------------------------------------------------------------------------------


def test_a_read_token_lists_expenses_and_every_write_is_403_json(app, client, api_headers, read_token):
    food = _food(client, api_headers)
    created = client.post("/api/v1/expenses", json=_expense(food), headers=api_headers).json
    headers = bearer(read_token)
    listed = client.get("/api/v1/expenses", headers=headers)
    assert listed.status_code == 200 and listed.json["total"] == 1
    assert client.get(f"/api/v1/expenses/{created['id']}", headers=headers).status_code == 200
    for method, url, body in [
        ("POST", "/api/v1/expenses", _expense(food)),
        ("PATCH", f"/api/v1/expenses/{created['id']}", {"amount": "9.99"}),
        ("DELETE", f"/api/v1/expenses/{created['id']}", None),
    ]:
        response = client.open(url, method=method, json=body, headers=headers)
        assert response.status_code == 403, (method, url, response.status_code)
        assert response.is_json and response.json["code"] == 403
        assert response.json["message"] == "This access token is read-only: it has no 'write' scope."
    again = client.get(f"/api/v1/expenses/{created['id']}", headers=headers).json
    assert again["amount"] == "4.20"
    assert client.get("/api/v1/expenses", headers=headers).json["total"] == 1


def test_a_write_token_creates_changes_and_deletes(client, api_headers, write_token):
    headers = bearer(write_token)
    food = _food(client, headers)
    created = client.post("/api/v1/expenses", json=_expense(food), headers=headers)
    assert created.status_code == 201
    expense_url = f"/api/v1/expenses/{created.json['id']}"
    assert client.patch(expense_url, json={"amount": "5.00"}, headers=headers).json["amount"] == "5.00"
    assert client.delete(expense_url, headers=headers).status_code == 204


def test_a_post_with_an_idempotency_key_works_with_a_token(app, client, api_headers, write_token):
    from expense_app.models import Expense

    headers = {**bearer(write_token), "Idempotency-Key": "pat-retry-1"}
    food = _food(client, api_headers)
    first = client.post("/api/v1/expenses", json=_expense(food), headers=headers)
    again = client.post("/api/v1/expenses", json=_expense(food), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert count_rows(app, Expense) == 1
    other = client.post("/api/v1/expenses", json={**_expense(food), "amount": "1.00"}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]


def test_an_idempotency_key_with_a_read_token_is_still_403_and_claims_nothing(app, client, api_headers, read_token):
    from expense_app.models import Expense, IdempotencyKey

    food = _food(client, api_headers)
    headers = {**bearer(read_token), "Idempotency-Key": "pat-read-1"}
    for _ in range(2):
        assert client.post("/api/v1/expenses", json=_expense(food), headers=headers).status_code == 403
    assert count_rows(app, Expense) == 0 and count_rows(app, IdempotencyKey) == 0


def test_an_expired_token_is_401(app, client, read_token):
    with app.app_context(), transaction() as session:
        session.execute(sa.update(PersonalAccessToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    response = client.get("/api/v1/expenses", headers=bearer(read_token))
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["message"] == "The access token is unknown, revoked or expired."


def test_a_deleted_users_token_is_401(client, write_token):
    headers = bearer(write_token)
    assert client.delete("/api/v1/users/me", headers=headers, json={"password": PASSWORD}).status_code in (200, 204)
    assert client.get("/api/v1/expenses", headers=headers).status_code == 401


def test_a_password_change_ends_every_token(client, api_headers, read_token, write_token):
    changed = client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=api_headers,
    )
    assert changed.status_code in (200, 204), changed.json
    for token in (read_token, write_token):
        response = client.get("/api/v1/expenses", headers=bearer(token))
        assert response.status_code == 401


@pytest.mark.parametrize("credential", ["em_pat_x", "em_pat_", "em_pat_" + "A" * 43, "EM_PAT_x"])
def test_an_unknown_token_is_401_with_www_authenticate(client, user, credential):
    response = client.get("/api/v1/expenses", headers=bearer(credential))
    assert response.status_code == 401 and response.is_json
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_does_not_refresh_or_log_out(client, write_token):
    for path in ("/api/v1/auth/refresh", "/api/v1/auth/logout"):
        response = client.post(path, headers=bearer(write_token))
        assert response.status_code == 401, path
    assert client.get("/api/v1/expenses", headers=bearer(write_token)).status_code == 200


def test_using_a_token_sets_last_used(app, client, create, api_headers):
    created = create().json
    assert client.get("/api/v1/users/me", headers=bearer(created["token"])).json["id"]
    listed = client.get("/api/v1/tokens", headers=api_headers).json
    assert listed[0]["last_used_at"] is not None


# --- what a login records ----------------------------------------------------------------------------


def test_a_login_records_its_client_and_a_refresh_its_last_use(app, client, user):
    headers = {"User-Agent": "backup-script/1.0"}
    pair = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}, headers=headers).json
    with app.app_context():
        family = db.session.scalars(sa.select(TokenFamily)).one()
        assert (family.client_address, family.user_agent, family.last_used_at) == (
            "127.0.0.1",
            "backup-script/1.0",
            None,
        )
    assert client.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"])).status_code == 200
    with app.app_context():
        family = db.session.scalars(sa.select(TokenFamily)).one()
        assert family.last_used_at is not None and utcnow() - family.last_used_at < dt.timedelta(minutes=1)


# --- secrets stay secret ---------------------------------------------------------------------------------


def test_the_token_is_in_no_log_record_and_no_database_column(app_factory, make_user):
    app = app_factory(LOG_LEVEL="DEBUG", LOG_FORMAT="json")
    owner = make_user(email="secret@example.com")
    json_out, text_out = io.StringIO(), io.StringIO()
    handlers = [build_handler("json", json_out), build_handler("text", text_out)]
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    root = logging.getLogger()
    previous_level = root.level
    root.setLevel(logging.DEBUG)
    for handler in [*handlers, Keep(level=logging.DEBUG)]:
        root.addHandler(handler)
    try:
        client = app.test_client()
        pair = client.post("/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}).json
        jwt_headers = bearer(pair["access_token"])
        created = client.post("/api/v1/tokens", json={"name": "Secret", "scopes": ["read"]}, headers=jwt_headers)
        token = created.json["token"]
        headers = bearer(token)
        food = _food(client, headers)
        assert client.get("/api/v1/expenses", headers=headers).status_code == 200
        refused = client.post(
            "/api/v1/expenses", json=_expense(food), headers={**headers, "Idempotency-Key": "secret-1"}
        )
        assert refused.status_code == 403
        assert client.get("/api/v1/expenses", headers=bearer(token + "x")).status_code == 401
        assert client.delete(f"/api/v1/tokens/{created.json['id']}", headers=jwt_headers).status_code == 204
        assert client.get("/api/v1/expenses", headers=headers).status_code == 401
    finally:
        for handler in root.handlers[-3:]:
            root.removeHandler(handler)
        root.setLevel(previous_level)
    random_part = token.removeprefix("em_pat_")
    logged = json_out.getvalue() + text_out.getvalue()
    logged += "\n".join(repr(record.__dict__) + record.getMessage() for record in records)
    assert "token_created" in logged and "/api/v1/tokens" in logged  # the logs were captured
    assert any(
        getattr(record, "user_id", None) in (owner.id, str(owner.id))
        for record in records
        if record.name == "expense_app.access"
    )
    assert random_part not in logged
    with app.app_context():
        stored = repr(factories.all_rows())
    assert random_part not in stored and token not in stored


def test_the_access_log_names_the_tokens_user(app, client, user, read_token, caplog):
    caplog.set_level(logging.INFO, logger="expense_app.access")
    assert client.get("/api/v1/expenses", headers=bearer(read_token)).status_code == 200
    (line,) = [record for record in caplog.records if record.name == "expense_app.access"]
    assert line.user_id == user.id


# --- one query ---------------------------------------------------------------------------------------------


def _auth_statements(statements: list[str]) -> list[str]:
    return [
        sql for sql in statements if "personal_access_tokens" in sql or "token_families" in sql or "FROM users" in sql
    ]


def test_a_token_authenticates_with_one_query_and_costs_no_more_than_a_jwt(app, client, api_headers, read_token):
    with app.app_context():
        engine = db.engine
    token_headers = bearer(read_token)
    with count_statements(engine) as first_use:
        assert client.get("/api/v1/users/me", headers=token_headers).status_code == 200
    with count_statements(engine) as token_statements:
        assert client.get("/api/v1/users/me", headers=token_headers).status_code == 200
    with count_statements(engine) as jwt_statements:
        assert client.get("/api/v1/users/me", headers=api_headers).status_code == 200
    auth = _auth_statements(token_statements)
    assert len(auth) == 1, token_statements
    assert "personal_access_tokens" in auth[0] and "users" in auth[0]
    assert len(token_statements) <= len(jwt_statements), (token_statements, jwt_statements)
    # The first use within a minute also writes last_used_at: one UPDATE more, nothing else.
    updates = [sql for sql in first_use if sql.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1 and "personal_access_tokens" in updates[0]
    reads = [sql for sql in first_use if not sql.lstrip().upper().startswith("UPDATE")]
    assert len([sql for sql in reads if sql.lstrip().upper().startswith("SELECT")]) <= len(
        [sql for sql in jwt_statements if sql.lstrip().upper().startswith("SELECT")]
    )


def test_expenses_list_with_a_token_costs_no_more_queries_than_with_a_jwt(app, client, api_headers, read_token):
    with app.app_context():
        engine = db.engine
    food = _food(client, api_headers)
    for _ in range(3):
        client.post("/api/v1/expenses", json=_expense(food), headers=api_headers)
    client.get("/api/v1/expenses", headers=bearer(read_token))  # last_used_at written
    with count_statements(engine) as token_statements:
        assert client.get("/api/v1/expenses?per_page=5", headers=bearer(read_token)).status_code == 200
    with count_statements(engine) as jwt_statements:
        assert client.get("/api/v1/expenses?per_page=5", headers=api_headers).status_code == 200
    assert len(token_statements) == len(jwt_statements)


def test_every_protected_write_documents_the_read_only_403(client):
    spec = client.get("/api/openapi.json").json
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch", "delete") or not operation.get("security"):
                continue
            assert "403" in operation["responses"], f"{method.upper()} {path}"
        if "get" in item:
            assert "403" not in item["get"]["responses"], path
