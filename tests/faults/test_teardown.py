"""The database is cut after a request committed, before the request ended: teardown never raises.

A request that commits and then reads again (the API serializes the saved row, which reloads it)
still holds a transaction when Flask tears the app context down. If the database goes away in
between, the session's closing rollback fails; raised from a teardown function, that error
escaped Flask and the client got a bare server 500 instead of the saved result. The app's own
teardown (`expense_app.ops.database`) closes the session quietly and logs the failure.

These run the app in-process (the test client) on a connection through the cuttable proxy, and
cut it from an `after_request` hook: after the response is built, before the teardown.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import request

from expense_app.extensions import db
from tests.conftest import PASSWORD, bearer, make_app


@pytest.fixture
def proxied_app(app, postgres_url, database_proxy):
    """An app on the database through the proxy; asking for `app` empties the tables afterwards.

    `proxied_app.cut_after` is a set of paths: once a non-GET response to one of them is built
    (the request's work is done, its teardown still to come), the database is cut.
    """
    url = sa.make_url(postgres_url).set(host="127.0.0.1", port=database_proxy.port)
    proxied = make_app(url.render_as_string(hide_password=False), PROPAGATE_EXCEPTIONS=False)
    proxied.cut_after = set()

    @proxied.after_request
    def cut(response):
        if request.path in proxied.cut_after and request.method != "GET":
            database_proxy.stop()
        return response

    if database_proxy._listener is None:
        database_proxy.start()
    yield proxied
    if database_proxy._listener is None:
        database_proxy.start()
    with proxied.app_context():
        db.engine.dispose()


def count(engine_url: str, sql: str, **params) -> int:
    engine = sa.create_engine(engine_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def test_api_write_then_cut_returns_the_saved_result(proxied_app, database_proxy, postgres_url, user, caplog):
    client = proxied_app.test_client()
    login = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    headers = bearer(login.json["access_token"])
    food = next(c["id"] for c in client.get("/api/v1/categories", headers=headers).json if c["name"] == "Food")
    proxied_app.cut_after.add("/api/v1/expenses")

    with caplog.at_level(logging.WARNING, logger="expense_app.ops.database"):
        response = client.post(
            "/api/v1/expenses",
            json={"amount": "41.00", "date": "2026-01-07", "category_id": food},
            headers=headers,
        )

    assert response.status_code == 201, response.text
    assert response.json["amount"] == "41.00"
    assert count(postgres_url, "SELECT count(*) FROM expenses WHERE amount = 41.00") == 1  # it was committed
    assert any("closing the database session failed" in r.getMessage() for r in caplog.records)

    database_proxy.start()
    # The same app recovers: the dead connection was discarded, not handed to the next request.
    assert client.get("/api/v1/expenses", headers=headers).status_code == 200


def test_database_still_away_on_the_next_request_is_a_json_503(proxied_app, database_proxy, user):
    client = proxied_app.test_client()
    headers = bearer(
        client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json["access_token"]
    )
    proxied_app.cut_after.add("/api/v1/categories")
    assert client.post("/api/v1/categories", json={"name": "Cut"}, headers=headers).status_code == 201

    response = client.get("/api/v1/categories", headers=headers)
    assert response.status_code == 503
    assert response.json["code"] == 503
    assert response.headers["Retry-After"]


def test_page_write_then_cut_still_redirects(proxied_app, database_proxy, postgres_url, user):
    client = proxied_app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    food = count(postgres_url, "SELECT id FROM categories WHERE user_id = :user AND name = 'Food'", user=user.id)
    proxied_app.cut_after.add("/expenses")

    response = client.post(
        "/expenses",
        data={"quick-amount": "42.00", "quick-date": "2026-01-08", "quick-category_id": food, "quick-description": "x"},
    )

    assert response.status_code == 302, response.text
    assert count(postgres_url, "SELECT count(*) FROM expenses WHERE amount = 42.00") == 1
