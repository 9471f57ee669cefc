"""The first-statement retry that replaced `pool_pre_ping` (expense_app/ops/reconnect.py).

PostgreSQL only: the pooled connections' server processes are killed with `pg_terminate_backend`,
which is what a database restart (or a PgBouncer / proxy dropping idle connections) does to them.
A request whose first statement meets a dead connection is served on a new one, at the first try; a
connection that dies after its transaction has done work is not retried: the request answers 503
and nothing of it is written. Nor is a connection in autocommit mode, where each statement commits
on its own.
"""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.ops import reconnect
from tests.conftest import bearer

pytestmark = pytest.mark.postgres

RETRY_MESSAGE = "database connection lost before the first statement; retrying once"


@pytest.fixture
def direct(database_url):
    """An engine of its own (no pool) for killing the app's backends."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def terminate(direct: sa.Engine, pids: list[int]) -> None:
    """Kill the server processes `pids` and return once PostgreSQL no longer lists them."""
    with direct.connect() as connection:
        for pid in pids:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while connection.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"), {"pids": pids}
        ).scalar():
            assert time.monotonic() < deadline, f"backends {pids} did not exit"
            time.sleep(0.02)


def pooled_backend_pids(app) -> list[int]:
    """The server process of every connection the app's pool holds (none checked out)."""
    with app.app_context():
        pool = db.engine.pool
        connections = [pool.connect() for _ in range(pool.checkedin())]
        try:
            return [connection.dbapi_connection.info.backend_pid for connection in connections]
        finally:
            for connection in connections:
                connection.close()


def test_killed_pooled_connections_are_replaced_at_the_first_statement(app, client, make_full_user, direct, caplog):
    full = make_full_user(history=True)
    headers = bearer(full.access_token)
    before = client.get("/api/v1/expenses?per_page=50", headers=headers)
    assert before.status_code == 200
    killed = pooled_backend_pids(app)
    assert killed, "the request left no connection in the pool"

    terminate(direct, killed)
    with caplog.at_level(logging.WARNING, logger="expense_app.ops.reconnect"):
        after = client.get("/api/v1/expenses?per_page=50", headers=headers)

    assert after.status_code == 200, after.text
    assert after.json == before.json
    assert any(RETRY_MESSAGE in record.getMessage() for record in caplog.records)
    assert not set(pooled_backend_pids(app)) & set(killed)
    # A write after the same kind of loss is served too (its first statement is a read).
    terminate(direct, pooled_backend_pids(app))
    created = client.post(
        "/api/v1/expenses",
        json={"amount": "4.20", "date": "2026-01-05", "category_id": full.ids["category_id"], "currency": "EUR"},
        headers=headers,
    )
    assert created.status_code == 201, created.text


def test_a_connection_lost_in_the_middle_of_a_transaction_is_not_retried(app, client, make_full_user, direct, caplog):
    full = make_full_user()
    headers = bearer(full.access_token)
    assert client.get("/api/v1/expenses", headers=headers).status_code == 200
    inserts: list[str] = []

    def kill_own_backend(connection, _cursor, statement, _parameters, _context, _many):
        # The request has already read (the token, the category) in this transaction; its INSERT
        # would run on a dead connection.
        if statement.startswith("INSERT INTO expenses"):
            inserts.append(statement)
            terminate(direct, [connection.connection.dbapi_connection.info.backend_pid])

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", kill_own_backend)
    try:
        with caplog.at_level(logging.WARNING, logger="expense_app.ops.reconnect"):
            cut = client.post(
                "/api/v1/expenses",
                json={"amount": "33.30", "date": "2026-01-06", "category_id": full.ids["category_id"]},
                headers=headers,
            )
    finally:
        sa.event.remove(engine, "before_cursor_execute", kill_own_backend)

    assert cut.status_code == 503, cut.text
    assert cut.json["code"] == 503
    assert len(inserts) == 1
    assert not any(RETRY_MESSAGE in record.getMessage() for record in caplog.records)
    with direct.connect() as connection:
        written = connection.execute(
            sa.text("SELECT count(*) FROM expenses WHERE user_id = :user AND amount = 33.30"), {"user": full.id}
        ).scalar()
    assert written == 0
    again = client.post(
        "/api/v1/expenses",
        json={"amount": "33.30", "date": "2026-01-06", "category_id": full.ids["category_id"]},
        headers=headers,
    )
    assert again.status_code == 201, again.text


def test_an_autocommit_connection_is_not_retried(database_url, direct, caplog):
    # In autocommit mode every statement commits on its own: one cut after it ran must not run twice.
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    reconnect.install(engine)
    try:
        with engine.connect() as connection:
            pid = connection.connection.dbapi_connection.info.backend_pid
        terminate(direct, [pid])
        with (
            caplog.at_level(logging.WARNING, logger="expense_app.ops.reconnect"),
            pytest.raises(sa.exc.OperationalError) as raised,
            engine.connect() as connection,
        ):
            connection.execute(sa.text("SELECT 1"))
        assert raised.value.connection_invalidated
        assert not any(RETRY_MESSAGE in record.getMessage() for record in caplog.records)
        with engine.connect() as connection:  # the pool replaced the dead connection
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
