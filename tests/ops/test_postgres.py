"""PostgreSQL-only operations: migrations from empty to head, down to base and up again; recovery
after the database goes away and comes back, without restarting the app.

Each test gets a database of its own on the PostgreSQL server of `TEST_DATABASE_URL`. Without
one these tests are skipped, except under `CI=true`, where they use the server on 127.0.0.1:5432
and fail if it is not there.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import threading
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from config import normalize_database_url
from expense_app.extensions import db

CI_SERVER = "postgresql://{user}@127.0.0.1:5432/postgres"


def postgres_server_url() -> str:
    """The PostgreSQL server to use, as a URL of its `postgres` database; skip or fail without one."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        return normalize_database_url(url)
    if os.environ.get("CI") == "true":
        return normalize_database_url(CI_SERVER.format(user=getpass.getuser()))
    pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL=postgresql://... (required under CI=true)")


@pytest.fixture
def fresh_database():
    """A new, empty database on the server; dropped afterwards. Yields its URL."""
    server = make_url(postgres_server_url())
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"expense_ops_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at {server.host}:{server.port} is unreachable: {type(error.orig).__name__}")
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def table_names(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_migrations_upgrade_downgrade_upgrade_on_empty_postgres(build_app, fresh_database):
    app = build_app(SQLALCHEMY_DATABASE_URI=fresh_database)
    client = app.test_client()
    assert table_names(app) == set()
    assert client.get("/health/db").json["migrations"] == "pending"

    with app.app_context():
        upgrade()
        db.engine.dispose()
    model_tables = set(db.metadata.tables)
    assert table_names(app) == model_tables | {"alembic_version"}
    assert client.get("/health/db").status_code == 200

    with app.app_context():
        downgrade(revision="base")
        db.engine.dispose()
    assert table_names(app) <= {"alembic_version"}
    assert client.get("/health/db").status_code == 503

    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert table_names(app) == model_tables | {"alembic_version"}
    assert client.get("/health/db").json == {"status": "healthy", "database": "connected", "migrations": "current"}
    registered = client.post("/api/v1/auth/register", json={"email": "a@example.com", "password": "long enough pw"})
    assert registered.status_code == 201


class TcpProxy:
    """A loopback TCP forwarder that can be cut off and restored, standing in for a database outage."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and break the open ones, as a stopped server would."""
        if self.listener is not None:
            # shutdown() wakes the accepting thread; close() alone leaves the socket listening on Linux.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)


def test_database_outage_gives_503_and_the_app_recovers_without_restart(build_app, fresh_database):
    url = make_url(fresh_database)
    migrator = build_app(SQLALCHEMY_DATABASE_URI=fresh_database)
    with migrator.app_context():
        upgrade()
        db.engine.dispose()

    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    app = build_app(
        SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        # The production engine options (config.py): no pre-ping; the first statement of a request
        # that meets a dead pooled connection is retried on a new one (expense_app.ops.reconnect).
        SQLALCHEMY_ENGINE_OPTIONS={
            "hide_parameters": True,
            "connect_args": {"connect_timeout": 3},
        },
    )
    client = app.test_client()

    def login():
        return client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "long enough pw"})

    try:
        assert client.get("/health/db").status_code == 200
        assert login().status_code == 401

        proxy.stop()
        down = client.get("/health/db")
        assert down.status_code == 503
        assert down.json["status"] == "unhealthy"
        refused = login()
        assert refused.status_code == 503
        assert refused.json["code"] == 503
        assert "psycopg2" not in refused.text and str(proxy.port) not in refused.text

        proxy.start()
        assert client.get("/health/db").status_code == 200
        assert login().status_code == 401
    finally:
        proxy.stop()
        with app.app_context():
            db.engine.dispose()
