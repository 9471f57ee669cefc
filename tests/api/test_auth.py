"""The Authentication API: register, login, refresh rotation with replay detection, logout."""

import threading

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Category, User
from tests.conftest import PASSWORD, bearer


def test_register_creates_user_with_starter_categories(client, app):
    response = client.post(
        "/api/v1/auth/register", json={"email": "New@Example.COM", "password": PASSWORD, "full_name": "New"}
    )
    assert response.status_code == 201
    body = response.json
    assert body["email"] == "new@example.com"
    assert set(body) == {"id", "email", "full_name", "currency", "locale", "created_at"}
    assert "password" not in response.text
    with app.app_context():
        names = db.session.scalars(sa.select(Category.name).where(Category.user_id == body["id"])).all()
    assert sorted(names) == sorted(
        ["Food", "Transport", "Housing", "Utilities", "Health", "Entertainment", "Shopping", "Other"]
    )


def test_register_duplicate_email_case_insensitive_is_409(client, user):
    response = client.post("/api/v1/auth/register", json={"email": "ALEX@example.com", "password": PASSWORD})
    assert response.status_code == 409
    assert response.json["code"] == 409
    assert response.json["status"] == "Conflict"


def test_register_rejects_short_password_and_unknown_field(client, app):
    short = client.post("/api/v1/auth/register", json={"email": "a@example.com", "password": "short"})
    assert short.status_code == 422
    assert "password" in short.json["errors"]
    unknown = client.post(
        "/api/v1/auth/register", json={"email": "a@example.com", "password": PASSWORD, "is_admin": True}
    )
    assert unknown.status_code == 422
    assert "is_admin" in unknown.json["errors"]
    bad_currency = client.post(
        "/api/v1/auth/register", json={"email": "a@example.com", "password": PASSWORD, "currency": "XYZ"}
    )
    assert bad_currency.status_code == 422
    assert "currency" in bad_currency.json["errors"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_login_returns_token_pair(client, user):
    response = client.post("/api/v1/auth/login", json={"email": "ALEX@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    assert body["access_token"] != body["refresh_token"]


def test_wrong_password_and_unknown_email_look_the_same(client, user):
    wrong = client.post("/api/v1/auth/login", json={"email": user.email, "password": "wrong password"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_access_token_reaches_me(client, user, api_headers):
    response = client.get("/api/v1/users/me", headers=api_headers)
    assert response.status_code == 200
    assert response.json["email"] == user.email


def test_refresh_rotates_and_replay_kills_the_family(client, user, api_login):
    first = api_login(user)
    rotated = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"]))
    assert rotated.status_code == 200
    second = rotated.json
    assert client.get("/api/v1/users/me", headers=bearer(second["access_token"])).status_code == 200

    replay = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"]))
    assert replay.status_code == 401
    assert replay.json["code"] == 401
    # The replay revoked the whole family: the newest pair is dead too.
    assert client.get("/api/v1/users/me", headers=bearer(second["access_token"])).status_code == 401
    assert client.post("/api/v1/auth/refresh", headers=bearer(second["refresh_token"])).status_code == 401


def test_other_logins_survive_a_replay_in_one_family(client, user, api_login):
    phone, laptop = api_login(user), api_login(user)
    client.post("/api/v1/auth/refresh", headers=bearer(phone["refresh_token"]))
    client.post("/api/v1/auth/refresh", headers=bearer(phone["refresh_token"]))
    assert client.get("/api/v1/users/me", headers=bearer(laptop["access_token"])).status_code == 200


def test_access_token_cannot_refresh_and_refresh_token_cannot_call_api(client, user, api_login):
    pair = api_login(user)
    assert client.post("/api/v1/auth/refresh", headers=bearer(pair["access_token"])).status_code == 401
    response = client.get("/api/v1/users/me", headers=bearer(pair["refresh_token"]))
    assert response.status_code == 401
    assert response.json["status"] == "Unauthorized"


def test_logout_revokes_access_and_refresh(client, user, api_login):
    pair = api_login(user)
    assert client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    assert client.get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 401
    assert client.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"])).status_code == 401


def test_missing_token_is_401_json(client):
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json == {
        "code": 401,
        "status": "Unauthorized",
        "message": "Missing bearer token in the Authorization header.",
    }
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_token_in_query_string_or_cookie_is_ignored(client, user, api_login):
    token = api_login(user)["access_token"]
    assert client.get(f"/api/v1/users/me?jwt={token}").status_code == 401
    client.set_cookie("access_token_cookie", token)
    assert client.get("/api/v1/users/me").status_code == 401


def test_concurrent_refreshes_with_one_token_let_exactly_one_through(app, user, api_login):
    refresh_token = api_login(user)["refresh_token"]
    barrier = threading.Barrier(4)
    statuses = []

    def refresh():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/auth/refresh", headers=bearer(refresh_token)).status_code)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401, 401, 401]
