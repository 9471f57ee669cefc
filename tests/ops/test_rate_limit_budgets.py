"""The API budget (per user, all operations) apart from the sign-in budget; Retry-After only on 429/503."""

from __future__ import annotations

import time

import pytest

from expense_app.extensions import limiter
from expense_app.ops import rate_limits
from tests.conftest import PASSWORD, bearer


@pytest.fixture
def limited_app(user, make_user, build_app):
    # flask-limiter is one object for the process, switched on or off by the last app built;
    # depending on `user` (which builds the default, unlimited app) first keeps this one last.
    make_user(email="sam@example.com")
    return build_app(RATELIMIT_ENABLED=True, RATELIMIT_AUTH="3/minute", RATELIMIT_API="4/minute")


def login(client, email="alex@example.com", password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_api_calls_do_not_spend_the_sign_in_budget_and_the_other_way_round(limited_app):
    client = limited_app.test_client()
    token = bearer(login(client).json["access_token"])  # sign-in budget: 1 of 3
    for path in ("/api/v1/users/me", "/api/v1/categories", "/api/v1/expenses", "/api/v1/tags"):
        response = client.get(path, headers=token)
        assert response.status_code == 200, path
        assert response.headers["X-RateLimit-Limit"] == "4"
        assert "Retry-After" not in response.headers
    refused = client.get("/api/v1/budgets", headers=token)  # one budget across endpoints: the 5th call
    assert refused.status_code == 429
    assert refused.json["code"] == 429 and refused.json["message"]
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # The API budget is spent; signing in still works (its own budget), until that one is spent too.
    assert [login(client).status_code for _ in range(3)] == [200, 200, 429]


def test_the_api_budget_is_per_user_not_per_address(limited_app):
    client = limited_app.test_client()
    alex = bearer(login(client).json["access_token"])
    sam = bearer(login(client, "sam@example.com").json["access_token"])
    assert [client.get("/api/v1/users/me", headers=alex).status_code for _ in range(5)] == [200] * 4 + [429]
    assert client.get("/api/v1/users/me", headers=sam).status_code == 200  # same address, own budget
    forged = client.get("/api/v1/users/me", headers=bearer("not.a.token"))
    assert forged.status_code == 401  # counted against the address, not against alex


def test_retry_after_is_never_zero_while_the_window_has_a_fraction_left(app, monkeypatch):
    class Breached:
        window = (time.time() + 0.3, 0)

    monkeypatch.setattr(type(limiter), "current_limit", property(lambda self: Breached()))
    with app.test_request_context("/api/v1/users/me"):
        response = app.response_class("{}", status=429)
        response.headers["Retry-After"] = "0"  # what flask-limiter writes (it truncates)
        assert rate_limits.fix_retry_after(response).headers["Retry-After"] == "1"
        ok = app.response_class("{}", status=200)
        ok.headers["Retry-After"] = "42"
        assert "Retry-After" not in rate_limits.fix_retry_after(ok).headers
        unavailable = app.response_class("{}", status=503, headers={"Retry-After": "5"})
        assert rate_limits.fix_retry_after(unavailable).headers["Retry-After"] == "5"


def test_pages_keep_no_retry_after_on_success(limited_app):
    client = limited_app.test_client()
    page = client.post("/login", data={"email": "alex@example.com", "password": PASSWORD})
    assert page.status_code == 302
    assert "Retry-After" not in page.headers
