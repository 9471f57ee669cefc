"""A 503 for a database outage keeps its own `Retry-After` with the rate limiter on (issue 16).

flask-limiter's after-request hook writes its window (32-60 s) into `Retry-After` on every limited
route; the database-down handler's 5 s must win on a 503 (`rate_limits.fix_retry_after`).
"""

from __future__ import annotations

import socket

import pytest


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on exit: nothing listens there


@pytest.fixture
def outage_app(user, build_app):
    # `user` first (the default app); then an app whose database refuses every connection.
    return build_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_AUTH="3/minute",
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg2://nobody@127.0.0.1:{_closed_port()}/gone",
        SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": True, "connect_args": {"connect_timeout": 2}},
    )


def test_sign_in_during_an_outage_answers_503_with_the_handlers_retry_after(outage_app):
    client = outage_app.test_client()
    response = client.post("/api/v1/auth/login", json={"email": "alex@example.com", "password": "whatever it is"})
    assert response.status_code == 503
    assert response.json["code"] == 503
    assert response.headers["Retry-After"] == "5"
    # The limiter did run on this route: its headers are there, only its Retry-After was replaced.
    assert response.headers["X-RateLimit-Limit"] == "3"


def test_a_page_during_an_outage_answers_503_with_the_handlers_retry_after(outage_app):
    page = outage_app.test_client().post("/login", data={"email": "alex@example.com", "password": "whatever it is"})
    assert page.status_code == 503
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Retry-After"] == "5"


def test_the_limiters_429_still_carries_its_own_window(outage_app):
    client = outage_app.test_client()
    statuses = [
        client.post("/api/v1/auth/login", json={"email": "alex@example.com", "password": "whatever it is"})
        for _ in range(4)
    ]
    assert [response.status_code for response in statuses] == [503, 503, 503, 429]
    assert 1 <= int(statuses[-1].headers["Retry-After"]) <= 60
