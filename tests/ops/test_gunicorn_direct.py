"""Straight to gunicorn, as `make run` and the compose file serve it (issue 16's "done when").

A real gunicorn (gunicorn.conf.py, the default settings: PROXY_HOPS 0, no TRUSTED_PROXIES, the
limiter on, two workers sharing Redis as in production, one worker in memory without it) is sent
twenty wrong passwords for one account, each with a different `X-Forwarded-For`: the header is
not believed, so the per-address sign-in limit holds. Then guesses from several real addresses
(loopback aliases 127.0.0.x, each within its own address budget) reach the per-account limit, and
the real owner, from yet another address, gets the clear lockout message.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = "13"
START_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _flush_redis_db() -> None:
    with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
        sock.sendall(f"SELECT {REDIS_DB}\r\nFLUSHDB\r\n".encode())
        sock.recv(64)


def login(port: int, email: str, password: str, *, source: str = "127.0.0.1", forwarded: str | None = None):
    # Generous: the first requests wait for a worker's first import and argon2's 64 MiB hashes.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    try:
        connection.request("POST", "/api/v1/auth/login", json.dumps({"email": email, "password": password}), headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")
    finally:
        connection.close()


@pytest.fixture
def gunicorn(database_url, user, tmp_path):
    shared = _redis_available()
    if shared:
        _flush_redis_db()
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PROXY_HOPS", "TRUSTED_PROXIES", "RATELIMIT_ENABLED", "ACCOUNT_LOCKOUT", "RATELIMIT_AUTH"}
    }
    # Development, not production: the same limits and proxy defaults without HTTPS in the way.
    env.update(
        ENV="development",
        DEBUG="false",
        DATABASE_URL=database_url,
        PORT=str(port),
        WEB_CONCURRENCY="2" if shared else "1",
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:6379/{REDIS_DB}" if shared else "memory://",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        LOG_LEVEL="WARNING",
    )
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text())
    yield port
    process.terminate()
    process.wait(timeout=10)
    log.close()
    if shared:
        _flush_redis_db()


def test_twenty_spoofed_addresses_are_throttled_and_the_owner_gets_a_clear_message(gunicorn, user):
    port = gunicorn
    started = time.monotonic()
    statuses = [login(port, user.email, "wrong password here", forwarded=f"203.0.113.{n}")[0] for n in range(1, 21)]
    # RATELIMIT_AUTH is 5/minute per client address; the header did not make twenty clients.
    assert statuses.count(401) == 5 and statuses.count(429) == 15, statuses
    status, headers, body = login(port, user.email, PASSWORD)
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert "wait a minute" in body["message"]

    # Credential stuffing from many real addresses: ACCOUNT_LOCKOUT (10 per 15 minutes) locks the
    # account whatever the address. The five 401s above counted; five more addresses, one guess each.
    for number in range(2, 7):
        assert login(port, user.email, "wrong password here", source=f"127.0.0.{number}")[0] == 401
    assert login(port, user.email, "wrong password here", source="127.0.0.7")[0] == 429
    status, headers, body = login(port, user.email, PASSWORD, source="127.0.0.20")
    assert status == 429
    assert body["message"].startswith("Too many failed sign-in attempts for this account. Wait ")
    assert "reset your password" in body["message"]
    assert 60 <= int(headers["Retry-After"]) <= 15 * 60
    # An unknown email at the same point is answered the same way as a known one.
    assert login(port, "nobody@example.com", "wrong password here", source="127.0.0.21")[0] == 401
    assert time.monotonic() - started < 45  # quick: the suite must not grow by minutes
