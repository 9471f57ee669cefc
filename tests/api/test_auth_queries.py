"""Authenticating a bearer token costs one query: the token family and its user together."""

from expense_app.extensions import db
from tests.services.conftest import count_statements


def test_a_protected_request_authenticates_with_one_query(client, app, api_headers):
    with app.app_context():
        engine = db.engine
    with count_statements(engine) as statements:
        response = client.get("/api/v1/users/me", headers=api_headers)
    assert response.status_code == 200
    auth = [sql for sql in statements if "token_families" in sql or "FROM users" in sql]
    assert len(auth) == 1, statements
    assert "token_families" in auth[0] and "users" in auth[0]


def test_a_revoked_family_is_still_refused(client, api_login, user):
    tokens = api_login(user)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code in (200, 204)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
