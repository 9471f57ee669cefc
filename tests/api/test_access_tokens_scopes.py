"""What a personal access token may do, for every protected API operation of the URL map.

- a `read` token gets 403 JSON on every write (POST, PUT, PATCH, DELETE), and nothing changes;
- a `read` token authenticates on every read (GET): never 401 or 403;
- a `read write` token authenticates on every operation: never 401, and 403 only where a personal
  access token is refused whatever its scopes (creating another token needs a fresh login).

Refresh and log-out act on a JWT's token family, which a personal access token does not have:
they answer 401 to one (`test_access_tokens.py`).
"""

from __future__ import annotations

import pytest

from expense_app.extensions import db
from expense_app.models import User
from tests import factories
from tests.conftest import bearer
from tests.security.matrix import API_BODIES, Context, Route, database_state, routes

JWT_ONLY = frozenset({"Authentication.refresh", "Authentication.logout"})
# Refused to every personal access token, whatever its scopes.
NOT_FOR_ACCESS_TOKENS = frozenset({("Access tokens.AccessTokenCollection", "POST")})


def _protected(route: Route) -> bool:
    return route.is_api and not route.is_public_api and route.endpoint not in JWT_ONLY


def _token(user: User, scopes: list[str]) -> str:
    return factories.create_access_token(user, name=factories.unique("Scoped {}"), scopes=scopes)[1]


@pytest.fixture
def context(app, make_user) -> Context:
    owner = make_user(email="scopes@example.com")
    with app.app_context():
        return Context(owner)


def _body(route: Route, context: Context) -> dict:
    make = API_BODIES.get((route.endpoint, route.method))
    return make(context) if make else {}


@pytest.mark.parametrize("route", routes(lambda r: _protected(r) and r.writes))
def test_every_write_with_a_read_token_is_403_and_changes_nothing(app, client, make_user, route: Route):
    owner = make_user(email="reader@example.com")
    with app.app_context():
        token = _token(db.session.get(User, owner.id), ["read"])
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 200  # last_used_at set now
    with app.app_context():
        before = database_state()
    response = client.open(route.url(), method=route.method, json={}, headers=bearer(token))
    assert response.status_code == 403, f"{route} answered {response.status_code} to a read-only token"
    assert response.is_json and response.json["code"] == 403
    assert response.json["message"] == "This access token is read-only: it has no 'write' scope."
    with app.app_context():
        assert database_state() == before, f"{route} changed something for a read-only token"


@pytest.mark.parametrize("route", routes(lambda r: _protected(r) and r.method == "GET"))
def test_every_read_with_a_read_token_works(app, client, context: Context, route: Route):
    with app.app_context():
        token = _token(context.user, ["read"])
        url = context.url(route)
    response = client.get(url, headers=bearer(token))
    assert response.status_code not in (401, 403), (
        f"{route}: {response.status_code} {response.get_data(as_text=True)[:200]}"
    )
    assert response.status_code < 500
    assert response.status_code < 400, f"{url}: {response.status_code} {response.get_data(as_text=True)[:200]}"


@pytest.mark.parametrize("route", routes(_protected))
def test_every_operation_with_a_read_write_token_authenticates(app, client, context: Context, route: Route):
    with app.app_context():
        token = _token(context.user, ["read", "write"])
        url = context.url(route)
        body = _body(route, context) if route.writes else None
    response = client.open(url, method=route.method, json=body, headers=bearer(token))
    assert response.status_code != 401, f"{route} refused a read-write token: {response.get_data(as_text=True)[:200]}"
    assert response.status_code < 500
    if (route.endpoint, route.method) in NOT_FOR_ACCESS_TOKENS:
        assert response.status_code == 403 and "cannot create tokens" in response.json["message"]
    else:
        assert response.status_code != 403, f"{route}: {response.get_data(as_text=True)[:200]}"
