"""The Users API: profile, password change (revokes tokens) and account deletion."""

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Category, TokenFamily, User
from expense_app.services.unit_of_work import transaction
from tests import factories
from tests.conftest import PASSWORD, bearer, count_rows


def test_get_me_shape(client, user, api_headers):
    body = client.get("/api/v1/users/me", headers=api_headers).json
    assert body == {
        "id": user.id,
        "email": "alex@example.com",
        "full_name": "Alex",
        "currency": "USD",
        "locale": "en_US",
        "created_at": body["created_at"],
    }
    assert body["created_at"].endswith("+00:00")


def test_patch_me_updates_profile(client, api_headers):
    response = client.patch("/api/v1/users/me", json={"full_name": "Alex Doe", "currency": "eur"}, headers=api_headers)
    assert response.status_code == 200
    assert response.json["full_name"] == "Alex Doe"
    assert response.json["currency"] == "EUR"
    assert client.get("/api/v1/users/me", headers=api_headers).json["currency"] == "EUR"


def test_patch_me_rejects_bad_currency_and_readonly_fields(client, app, user, api_headers):
    bad = client.patch("/api/v1/users/me", json={"currency": "ZZZ"}, headers=api_headers)
    assert bad.status_code == 422
    assert "currency" in bad.json["errors"]
    for field, value in (("email", "evil@example.com"), ("id", 99), ("is_active", False), ("created_at", "2020-01-01")):
        response = client.patch("/api/v1/users/me", json={field: value}, headers=api_headers)
        assert response.status_code == 422, field
        assert field in response.json["errors"]
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert (stored.email, stored.currency, stored.is_active) == ("alex@example.com", "USD", True)


def test_password_change_needs_current_password(client, user, api_headers):
    response = client.post(
        "/api/v1/users/me/password",
        json={"current_password": "wrong password", "new_password": "a brand new password"},
        headers=api_headers,
    )
    assert response.status_code == 422
    assert "current_password" in response.json["errors"]
    assert client.get("/api/v1/users/me", headers=api_headers).status_code == 200


def test_password_change_revokes_every_token(client, user, api_login):
    first, second = api_login(user), api_login(user)
    response = client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new password"},
        headers=bearer(first["access_token"]),
    )
    assert response.status_code == 204
    for pair in (first, second):
        assert client.get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 401
        assert client.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"])).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).status_code == 401
    assert (
        client.post("/api/v1/auth/login", json={"email": user.email, "password": "a brand new password"}).status_code
        == 200
    )


def test_delete_me_removes_everything_and_kills_tokens(client, app, user, make_user, api_login):
    other = make_user()
    pair = api_login(user)
    assert client.delete("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 204
    assert client.get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 401
    with app.app_context():
        assert db.session.get(User, user.id) is None
        assert db.session.scalar(sa.select(sa.func.count()).where(Category.user_id == user.id)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).where(TokenFamily.user_id == user.id)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).where(Category.user_id == other.id)) == 8
    assert count_rows(app, User) == 1


def test_deleting_an_account_with_years_of_data_removes_every_row_and_no_one_elses(
    client, app, full_user_with_history, other_full_user
):
    deleted = full_user_with_history
    headers = bearer(deleted.tokens["access_token"])
    with app.app_context():
        others_before = factories.owned_rows(other_full_user.id)

    assert client.delete("/api/v1/users/me", headers=headers).status_code == 204

    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    with app.app_context():
        left = {table: rows for table, rows in factories.owned_rows(deleted.id).items() if rows}
        assert not left, f"the deleted account still has rows in {sorted(left)}"
        assert factories.owned_rows(other_full_user.id) == others_before, "another user's rows changed"
    other_headers = bearer(other_full_user.tokens["access_token"])
    assert client.get("/api/v1/users/me", headers=other_headers).status_code == 200


def test_deactivated_user_tokens_stop_working(client, app, user, api_headers):
    with app.app_context(), transaction():
        db.session.get(User, user.id).is_active = False
    response = client.get("/api/v1/users/me", headers=api_headers)
    assert response.status_code == 401
    assert response.json["code"] == 401
