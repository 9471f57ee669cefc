"""The app under load: gunicorn with ENV=production on loopback, started and stopped by the
harness, the `flask` commands run before it, and a small client for the set-up requests.
"""

# ruff: noqa: S603 (the harness starts fixed local tools: gunicorn, flask)

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def server_env(args, secret_key: str, metrics_dir: str) -> dict:
    """The environment of every app process of the bench: production settings on the bench database."""
    env = {
        **os.environ,
        "ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": args.database_url,
        "WEB_CONCURRENCY": str(args.workers),
        "PORT": str(args.port),
        "LOG_LEVEL": args.log_level,
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        # Production requires a token for /metrics; the bench never scrapes it, so any fresh one does.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or secrets.token_urlsafe(32),
        # The pool holds the connections wrk's concurrency needs per worker without waiting.
        "DATABASE_POOL_MIN": str(max(2, args.connections)),
        "DATABASE_POOL_MAX": str(max(10, args.connections * 2)),
        "ACCESS_TOKEN_EXPIRE_MINUTES": "240",
        # Rate limits stay on (their Redis round trip is part of production's cost) but cannot
        # throttle: a budget no run reaches, counted in a Redis database of the bench's own.
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_STORAGE_URI": args.ratelimit_storage,
        "RATELIMIT_DEFAULT": "100000000/minute",
        # The per-user API limit (600/minute by default) would throttle wrk's one user the same way.
        "RATELIMIT_API": "100000000/minute",
        "RATELIMIT_AUTH": "10000/minute",
        "PROXY_HOPS": "1",
        "FORWARDED_ALLOW_IPS": "127.0.0.1,::1",
    }
    env.pop("TEST_DATABASE_URL", None)
    return env


def flask_command(env: dict, *command: str) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"flask {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Client:
    """A tiny HTTP client for the set-up requests (login, probes); wrk and ab do the measuring."""

    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers={"X-Forwarded-Proto": "https", **(headers or {})})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def api_token(self, email: str, password: str) -> str:
        status, _, body = self.request(
            "POST",
            "/api/v1/auth/login",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"email": email, "password": password}).encode(),
        )
        if status != 200:
            raise SystemExit(f"API login of {email} failed: {status} {body[:200]!r}")
        return json.loads(body)["access_token"]

    def session_cookie(self, email: str, password: str) -> str:
        """Log in through the login page and return the session cookie as `name=value`."""
        status, headers, body = self.request("GET", "/login")
        if status != 200:
            raise SystemExit(f"GET /login failed: {status}")
        cookie = _cookie(headers)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', body
        )
        form = {"email": email, "password": password, "csrf_token": match.group(1).decode() if match else ""}
        status, headers, body = self.request(
            "POST",
            "/login",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                # Flask-WTF's HTTPS check wants a same-origin Referer.
                "Referer": f"https://127.0.0.1:{self.port}/login",
                "Host": f"127.0.0.1:{self.port}",
            },
            body=urllib.parse.urlencode(form).encode(),
        )
        if status not in (302, 303):
            raise SystemExit(f"web login of {email} failed: {status} {body[:300]!r}")
        return _cookie(headers) or cookie


def _cookie(headers) -> str:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return ""


class Server:
    """gunicorn with ENV=production on 127.0.0.1, as `make bench` runs it."""

    def __init__(self, args, env: dict, log_path: Path):
        self.args, self.env, self.log_path = args, env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_file = open(self.log_path, "a")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.args.port}",
                "--workers",
                str(self.args.workers),
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=self.log_file,
        )
        client = Client(self.args.port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError):
                if client.request("GET", "/health")[0] == 200 and len(self.worker_pids()) == self.args.workers:
                    return
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer /health within 60 s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in path.read_text().split()]
        return []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        with contextlib.suppress(AttributeError):
            self.log_file.close()


def rss_mb(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {key: int(re.search(rf"{key}:\s*(\d+)", status).group(1)) / 1024 for key in ("VmRSS", "VmHWM")}
    return {"pid": pid, "rss_mb": round(values["VmRSS"], 1), "peak_rss_mb": round(values["VmHWM"], 1)}
