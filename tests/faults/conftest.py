"""Fault tests: the app in a real server process, talking to PostgreSQL through a proxy we control.

The shared PostgreSQL server is never stopped (other suites use it). An outage is simulated by a
TCP proxy between the app and the database: `database_proxy.stop()` refuses new connections and
cuts the open ones, exactly what the app sees when the database goes away; `start()` brings it
back on the same port. The server process (`flask run`, threaded) can be SIGKILLed and restarted.

`pg_locks` lets a test freeze a request at a known point: the test takes a table lock, the
request blocks on it inside its transaction, and `wait_for_blocked(...)` returns once PostgreSQL
reports the request waiting. Whatever the test then does to the request (cut the database, kill
the server, drop the client) happens mid-transaction, deterministically.

PostgreSQL only: skipped with one line elsewhere, a failure under CI=true (tests/requirements.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.requirements import require_postgres

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "test-artifacts" / "faults"
START_TIMEOUT = 30.0
WAIT_TIMEOUT = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TcpProxy:
    """Forward 127.0.0.1:`port` to `target`; `stop()` cuts every connection, `start()` resumes."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = _free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class AppServer:
    """`flask run` (threaded) serving the app on the proxied database; killable and restartable."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = LOGS / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "ENV": "testing",
            "TEST_DATABASE_URL": self.database_url,
            # Fail fast while the database is away, instead of the 30 s production timeout.
            "DATABASE_TIMEOUT": "3",
            "PROXY_HOPS": "0",
            "FLASK_DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
        }
        flask = Path(sys.executable).with_name("flask")
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                [
                    str(flask),
                    "--app",
                    "expense_app:create_app()",
                    "run",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the app server exited with {self.process.returncode}; see {self.log}")
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"{self.url}/health", timeout=1)
                return
            time.sleep(0.1)
        pytest.fail(f"the app server did not start within {START_TIMEOUT:.0f} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback by the app; the database must clean up after it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def postgres_url(database_url) -> str:
    require_postgres(database_url)
    return database_url


@pytest.fixture(scope="module")
def database_proxy(postgres_url) -> Iterator[TcpProxy]:
    url = sa.make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def server(postgres_url, database_proxy) -> Iterator[AppServer]:
    proxied = sa.make_url(postgres_url).set(host="127.0.0.1", port=database_proxy.port)
    app_server = AppServer(proxied.render_as_string(hide_password=False))
    app_server.start()
    yield app_server
    app_server.stop()


@pytest.fixture
def live(server, database_proxy, app) -> Iterator[AppServer]:
    """The running server with the database reachable, restarted if a test killed it.

    Asking for `app` makes the suite's teardown empty the tables after the test.
    """
    if database_proxy._listener is None:
        database_proxy.start()
    if server.process is None or server.process.poll() is not None:
        server.start()
    yield server
    if database_proxy._listener is None:
        database_proxy.start()


@pytest.fixture
def direct_db(postgres_url) -> Iterator[sa.Engine]:
    """An engine straight to the database (not through the proxy), for locks and checks."""
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@contextlib.contextmanager
def table_lock(engine: sa.Engine, table: str, mode: str = "SHARE") -> Iterator[None]:
    """Hold `LOCK TABLE table IN mode MODE` until the block ends (writers of the table wait)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.exec_driver_sql(f"LOCK TABLE {table} IN {mode} MODE")
        try:
            yield
        finally:
            transaction.rollback()


def wait_for_blocked(engine: sa.Engine, statement: str, count: int = 1) -> None:
    """Return once `count` backends are waiting on a lock while running `statement...`."""
    pattern = re.sub(r"\s+", " ", statement).strip() + "%"
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query ILIKE :pattern"
    )
    deadline = time.monotonic() + WAIT_TIMEOUT
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            blocked = connection.execute(query, {"pattern": pattern}).scalar()
            connection.rollback()  # pg_stat_activity is a snapshot per transaction
            if blocked >= count:
                return
            time.sleep(0.05)
    with engine.connect() as connection:
        activity = connection.execute(
            sa.text(
                "SELECT state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    pytest.fail(f"no request blocked on {statement!r} within {WAIT_TIMEOUT:.0f} s; backends: {activity}")


def wait_until_idle(engine: sa.Engine) -> None:
    """Return once no other backend of this database is running a statement or holding a transaction."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
    )
    deadline = time.monotonic() + WAIT_TIMEOUT
    with engine.connect() as connection:
        while connection.execute(query).scalar():
            connection.rollback()  # pg_stat_activity is a snapshot per transaction
            if time.monotonic() > deadline:
                pytest.fail(f"the database was still busy after {WAIT_TIMEOUT:.0f} s")
            time.sleep(0.05)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def web_session(base_url: str, email: str, password: str) -> requests.Session:
    """A browser-like session logged in through the login page."""
    session = requests.Session()
    token = csrf_token(session.get(f"{base_url}/login", timeout=10).text)
    response = session.post(
        f"{base_url}/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def api_token(base_url: str, email: str, password: str) -> dict:
    response = requests.post(f"{base_url}/api/v1/auth/login", json={"email": email, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
