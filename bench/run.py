"""The benchmark harness behind `make bench`: data at scale, load, query plans, memory, page weight.

Steps (each documented in bench/README.md):
1. create the dedicated PostgreSQL database `expense_bench` if needed (never a test database),
   migrate it and seed it (`flask seed-bench`, idempotent: a re-run inserts nothing);
2. capture each scenario's SQL in-process and record `EXPLAIN (ANALYZE, BUFFERS)` of every
   statement, flagging sequential scans of `expenses` and counting queries per request;
3. start gunicorn with ENV=production on loopback, log in (API token and browser session),
   warm up, then drive each scenario with wrk at a fixed concurrency and duration;
4. run `ab -n 1000 -c 10` against the expense list;
5. restart gunicorn and read each worker's resident memory after 5,000 and 10,000 requests;
6. load the dashboard in Chromium (Playwright) and add up the bytes and requests of a first load;
7. write bench/results/<date>.json and bench/results/<date>.md (table, machine, targets).

A scenario whose endpoint does not exist yet is reported as "not available", never a crash.
Standard library only (plus the app's own dependencies and Playwright, when installed).
"""

# ruff: noqa: S603, S607 (the harness starts fixed local tools: wrk, ab, gunicorn, flask)

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
WRK_DIR = BENCH_DIR / "wrk"
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgresql://root@127.0.0.1:5432/expense_bench"
HEAVY_EMAIL = "bench-heavy@bench.local"
ORDINARY_EMAIL = "bench-000@bench.local"
POST_MARKER = "bench POST scenario"

# Targets of issue 7, checked against the measured figures in the report.
LIST_VS_HEALTH_MIN = 0.40
API_VS_HEALTH_MIN = 0.20
TAIL_RATIO_MAX = 10.0
RSS_MAX_MB = 150.0
RSS_GROWTH_MAX = 0.10
PAGE_BYTES_MAX = 400 * 1024
PAGE_REQUESTS_MAX = 15


@dataclass
class Scenario:
    """One thing a client does, repeated by wrk: `auth` is none, heavy, ordinary or session."""

    name: str
    title: str
    path: str
    auth: str
    kind: str  # baseline, api or html
    method: str = "GET"
    body: dict | None = None
    results: dict = field(default_factory=dict)


def scenarios(period: tuple[str, str], food_id: int | None) -> list[Scenario]:
    date_from, date_to = period
    window = f"date_from={date_from}&date_to={date_to}"
    search = "q=coffee&payment_method=credit_card" + (f"&category_id={food_id}" if food_id else "")
    today = dt.date.today().isoformat()
    return [
        Scenario("health", "/health (baseline)", "/health", "none", "baseline"),
        Scenario("list_page1", "Expense list, page 1", "/api/v1/expenses?page=1&per_page=20", "heavy", "api"),
        Scenario("list_search", "List: text search + 2 filters", f"/api/v1/expenses?{search}", "heavy", "api"),
        Scenario("list_page400", "Expense list, page 400", "/api/v1/expenses?page=400&per_page=20", "heavy", "api"),
        Scenario(
            "post_expense",
            "POST an expense",
            "/api/v1/expenses",
            "heavy",
            "api",
            method="POST",
            body={
                "amount": "12.34",
                "date": today,
                "category_id": food_id,
                "description": POST_MARKER,
                "payment_method": "debit_card",
                "tags": ["weekly", "family"],
            },
        ),
        Scenario(
            "analytics_summary", "Analytics summary (12 months)", f"/api/v1/analytics/summary?{window}", "heavy", "api"
        ),
        Scenario(
            "analytics_by_category",
            "Analytics by category (12 months)",
            f"/api/v1/analytics/by-category?{window}",
            "heavy",
            "api",
        ),
        Scenario(
            "analytics_trend",
            "Analytics trend, monthly (12 months)",
            f"/api/v1/analytics/trend?interval=month&{window}",
            "heavy",
            "api",
        ),
        Scenario("dashboard_html", "Dashboard HTML (session)", "/", "session", "html"),
        Scenario("expenses_html", "Expenses HTML page (session)", "/expenses", "session", "html"),
        Scenario(
            "list_ordinary", "Expense list, ordinary user", "/api/v1/expenses?page=1&per_page=20", "ordinary", "api"
        ),
    ]


def twelve_months(today: dt.date) -> tuple[str, str]:
    """The last 12 calendar months including the current one (the dashboard's `last_12_months`)."""
    index = today.year * 12 + today.month - 1 - 11
    start = dt.date(index // 12, index % 12 + 1, 1)
    return start.isoformat(), today.isoformat()


# --- small helpers ----------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def check_database_url(url: str) -> None:
    """Refuse anything but a dedicated bench database: the seed and POSTs write to it."""
    name = database_name(url)
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg2://")):
        raise SystemExit(f"bench needs PostgreSQL, got {url!r}")
    if "test" in name or "bench" not in name:
        raise SystemExit(f"refusing database {name!r}: use a dedicated one whose name contains 'bench'")


def ensure_database(url: str) -> None:
    import psycopg2

    name = database_name(url)
    parts = urllib.parse.urlsplit(url.replace("postgresql+psycopg2://", "postgresql://"))
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                log(f"creating database {name}")
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


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
        # The pool holds the connections wrk's concurrency needs per worker without waiting.
        "DATABASE_POOL_MIN": str(max(2, args.connections)),
        "DATABASE_POOL_MAX": str(max(10, args.connections * 2)),
        "ACCESS_TOKEN_EXPIRE_MINUTES": "240",
        # Rate limits stay on (their Redis round trip is part of production's cost) but cannot
        # throttle: a budget no run reaches, counted in a Redis database of the bench's own.
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_STORAGE_URI": args.ratelimit_storage,
        "RATELIMIT_DEFAULT": "100000000/minute",
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


def machine(args, database_url: str) -> dict:
    import psycopg2

    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo.read())
        model = match.group(1).strip() if match else ""
    memory_kb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as meminfo:
        match = re.search(r"MemTotal:\s*(\d+)", meminfo.read())
        memory_kb = int(match.group(1)) if match else 0
    connection = psycopg2.connect(database_url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
            cursor.execute("SHOW shared_buffers")
            shared_buffers = cursor.fetchone()[0]
    finally:
        connection.close()
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return {
        "cpu_cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "postgresql_shared_buffers": shared_buffers,
        "gunicorn_workers": args.workers,
        "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0] if shutil.which("wrk") else None,
        "load_average_start": [round(value, 2) for value in os.getloadavg()],
    }


# --- HTTP against the running server ---------------------------------------------------------------


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


# --- wrk and ab ------------------------------------------------------------------------------------


def auth_env(scenario: Scenario, credentials: dict) -> tuple[str, dict]:
    if scenario.auth == "none":
        return "plain.lua", {}
    if scenario.auth == "session":
        return "session.lua", {"BENCH_COOKIE": credentials["session"]}
    return "bearer.lua", {"BENCH_TOKEN": credentials[scenario.auth]}


def auth_headers(scenario: Scenario, credentials: dict) -> dict:
    if scenario.auth == "session":
        return {"Cookie": credentials["session"]}
    if scenario.auth in ("heavy", "ordinary"):
        return {"Authorization": f"Bearer {credentials[scenario.auth]}"}
    return {}


def run_wrk(args, scenario: Scenario, credentials: dict, duration: int) -> dict:
    script, extra = auth_env(scenario, credentials)
    env = {
        **os.environ,
        **extra,
        "BENCH_WRK_DIR": str(WRK_DIR),
        "BENCH_METHOD": scenario.method,
        "BENCH_BODY": json.dumps(scenario.body) if scenario.body else "",
    }
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(WRK_DIR / script),
        f"http://127.0.0.1:{args.port}{scenario.path}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk gave no report: {result.stdout}\n{result.stderr}")


def run_ab(port: int, path: str, headers: dict, *, requests: int, concurrency: int) -> dict:
    command = ["ab", "-q", "-k", "-n", str(requests), "-c", str(concurrency), "-H", "X-Forwarded-Proto: https"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    out = result.stdout

    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, out)
        return float(match.group(1)) if match else default

    percentiles = {f"p{p}": float(ms) for p, ms in re.findall(r"^\s+(\d+)%\s+(\d+)", out, re.MULTILINE)}
    return {
        "command": " ".join(command).replace(headers.get("Authorization", "\0"), "Bearer <token>"),
        "complete_requests": int(number(r"Complete requests:\s+(\d+)")),
        "failed_requests": int(number(r"Failed requests:\s+(\d+)")),
        "non_2xx": int(number(r"Non-2xx responses:\s+(\d+)")),
        "requests_per_s": number(r"Requests per second:\s+([\d.]+)"),
        "mean_ms": number(r"Time per request:\s+([\d.]+) \[ms\] \(mean\)"),
        "latency_ms": {key: percentiles[key] for key in ("p50", "p95", "p99") if key in percentiles},
        "exit_code": result.returncode,
    }


# --- query plans (in-process) ----------------------------------------------------------------------


def capture_plans(args, env: dict, scenario_list: list[Scenario]) -> dict:
    """Run each scenario once through the app in this process; EXPLAIN every statement it sent."""
    import sqlalchemy as sa

    from config import load_config
    from expense_app import create_app
    from expense_app.extensions import db
    from expense_app.seeding import BENCH_PASSWORD

    saved = dict(os.environ)
    os.environ.update({key: value for key, value in env.items() if key != "PROMETHEUS_MULTIPROC_DIR"})
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    try:
        config = load_config()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    config.RATELIMIT_ENABLED = False
    config.WTF_CSRF_ENABLED = False
    app = create_app(config)
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    token = {}
    for label, email in (("heavy", HEAVY_EMAIL), ("ordinary", ORDINARY_EMAIL)):
        response = client.post("/api/v1/auth/login", json={"email": email, "password": BENCH_PASSWORD}, **https)
        token[label] = response.get_json()["access_token"]
    client.post("/login", data={"email": HEAVY_EMAIL, "password": BENCH_PASSWORD}, **https)

    plans = {}
    with app.app_context():
        engine = db.engine
        captured: list[tuple[str, object]] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        for scenario in scenario_list:
            if scenario.name == "health":
                continue
            headers = {}
            if scenario.auth in token:
                headers["Authorization"] = f"Bearer {token[scenario.auth]}"
            captured.clear()
            sa.event.listen(engine, "before_cursor_execute", listener)
            try:
                response = client.open(
                    scenario.path, method=scenario.method, headers=headers, json=scenario.body, **https
                )
            finally:
                sa.event.remove(engine, "before_cursor_execute", listener)
            statements = list(captured)
            entry = {"status": response.status_code, "queries": len(statements), "statements": []}
            if response.status_code == 404:
                entry["available"] = False
                plans[scenario.name] = entry
                continue
            for statement, parameters in statements:
                entry["statements"].append(explain(engine, statement, parameters))
            entry["seq_scans_on_expenses"] = sum(item["seq_scan_on_expenses"] for item in entry["statements"])
            plans[scenario.name] = entry
        cleanup_posts(engine)
    return plans


def explain(engine, statement: str, parameters) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) one captured statement, inside a transaction that is rolled back."""
    text = statement.strip()
    item = {"sql": " ".join(text.split())[:2000]}
    if not re.match(r"(?is)^(select|insert|update|delete|with)\b", text) or "alembic_version" in text:
        item.update(plan=None, seq_scan_on_expenses=False, nodes=[])
        return item
    # A write already happened during the request; replaying it could collide with its own rows
    # (the tag links' primary key), so writes get their plan without ANALYZE.
    options = "ANALYZE, BUFFERS" if re.match(r"(?is)^(select|with)\b", text) else "COSTS"
    item["analyzed"] = options != "COSTS"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"EXPLAIN ({options}, FORMAT JSON) " + text, parameters or None)
        plan_json = cursor.fetchone()[0][0]
        cursor.execute(f"EXPLAIN ({options}) " + text, parameters or None)
        plan_text = "\n".join(row[0] for row in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()
    nodes = list(walk(plan_json["Plan"]))
    item.update(
        plan=plan_text,
        execution_ms=plan_json.get("Execution Time"),
        nodes=sorted(
            {
                f"{node['Node Type']}" + (f" on {node['Relation Name']}" if "Relation Name" in node else "")
                for node in nodes
            }
        ),
        seq_scan_on_expenses=any(
            node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "expenses" for node in nodes
        ),
    )
    return item


def walk(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


def cleanup_posts(engine) -> int:
    """Delete the expenses the POST scenario added, so every run measures the same data."""
    import sqlalchemy as sa

    with engine.begin() as connection:
        return connection.execute(
            sa.text(
                "DELETE FROM expenses WHERE description = :marker AND user_id = "
                "(SELECT id FROM users WHERE email = :email)"
            ),
            {"marker": POST_MARKER, "email": HEAVY_EMAIL},
        ).rowcount


def heavy_food_category(database_url: str) -> int | None:
    import psycopg2

    connection = psycopg2.connect(database_url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id FROM categories c JOIN users u ON u.id = c.user_id WHERE u.email = %s AND c.name = 'Food'",
                (HEAVY_EMAIL,),
            )
            row = cursor.fetchone()
            return row[0] if row else None
    finally:
        connection.close()


# --- page weight -----------------------------------------------------------------------------------


def page_weight(port: int, cookie: str, path: str = "/") -> dict:
    """First load of `path` in a fresh Chromium profile: bytes on the wire, requests, caching headers."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"available": False, "reason": "playwright is not installed"}
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return {"available": False, "reason": "no /usr/bin/chromium"}
    name, _, value = cookie.partition("=")
    responses = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https"})
            context.add_cookies([{"name": name, "value": value, "domain": "127.0.0.1", "path": "/"}])
            page = context.new_page()
            page.on("requestfinished", lambda request: responses.append(request))
            page.goto(f"http://127.0.0.1:{port}{path}", wait_until="networkidle")
            entries = []
            for request in responses:
                response = request.response()
                sizes = request.sizes()
                headers = response.all_headers() if response else {}
                entries.append(
                    {
                        "url": request.url.replace(f"http://127.0.0.1:{port}", ""),
                        "status": response.status if response else None,
                        "transferred_bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                        "body_bytes": sizes["responseBodySize"],
                        "content_encoding": headers.get("content-encoding", ""),
                        "cache_control": headers.get("cache-control", ""),
                    }
                )
            final_url = page.url
        finally:
            browser.close()
    static = [entry for entry in entries if "/static/" in entry["url"]]
    # Files under COMPRESS_MIN_SIZE (500 bytes: the favicon, theme.js) gain nothing from compression.
    compressible = [entry for entry in static if entry["body_bytes"] >= 1024]
    return {
        "available": True,
        "final_url": final_url.replace(f"http://127.0.0.1:{port}", ""),
        "requests": len(entries),
        "transferred_bytes": sum(entry["transferred_bytes"] for entry in entries),
        "static_compressed": bool(compressible) and all(entry["content_encoding"] for entry in compressible),
        "static_long_cache": bool(static) and all(long_cache(entry["cache_control"]) for entry in static),
        "entries": entries,
    }


def long_cache(cache_control: str) -> bool:
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return bool(match) and int(match.group(1)) >= 30 * 24 * 3600


# --- the run ---------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get
    parser.add_argument("--database-url", default=env("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--users", type=int, default=int(env("BENCH_USERS", "100")))
    parser.add_argument("--per-user", type=int, default=int(env("BENCH_PER_USER", "10000")))
    parser.add_argument("--heavy", type=int, default=int(env("BENCH_HEAVY", "100000")))
    parser.add_argument("--workers", type=int, default=int(env("BENCH_WORKERS", "2")))
    parser.add_argument("--threads", type=int, default=int(env("BENCH_THREADS", "2")))
    parser.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", "8")))
    parser.add_argument("--duration", type=int, default=int(env("BENCH_DURATION", "15")), help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=int(env("BENCH_WARMUP", "3")), help="seconds per scenario")
    parser.add_argument("--port", type=int, default=int(env("BENCH_PORT", "8765")))
    parser.add_argument("--memory-requests", type=int, default=int(env("BENCH_MEMORY_REQUESTS", "10000")))
    parser.add_argument("--ratelimit-storage", default=env("BENCH_RATELIMIT_STORAGE", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--log-level", default=env("BENCH_LOG_LEVEL", "INFO"))
    parser.add_argument("--only", default=env("BENCH_ONLY", ""), help="comma-separated scenario names")
    parser.add_argument("--skip", default=env("BENCH_SKIP", ""), help="steps to skip: seed,plans,load,ab,memory,page")
    parser.add_argument("--results-dir", default=str(RESULTS_DIR))
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    skip = {step.strip() for step in args.skip.split(",") if step.strip()}
    check_database_url(args.database_url)
    for tool in ("wrk", "ab"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (Debian: apt-get install -y wrk apache2-utils)")
    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y-%m-%d-%H%M")
    results_dir = Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    env = server_env(args, secrets.token_urlsafe(48), metrics_dir)
    report: dict = {"started_at": started.isoformat(timespec="seconds"), "settings": settings(args)}

    ensure_database(args.database_url)
    log("migrating")
    flask_command(env, "db", "upgrade")
    if "seed" not in skip:
        log(
            f"seeding (users={args.users}, per-user={args.per_user}, heavy={args.heavy}); a complete database is skipped"
        )
        output = flask_command(
            env, "seed-bench", "--users", str(args.users), "--per-user", str(args.per_user), "--heavy", str(args.heavy)
        )
        report["seed"] = [line for line in output.splitlines() if line and not line.startswith("Inserting")]
        for line in report["seed"]:
            log(line)
    report["machine"] = machine(args, args.database_url)

    period = twelve_months(dt.date.today())
    scenario_list = scenarios(period, heavy_food_category(args.database_url))
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")} | {"health"}
        scenario_list = [scenario for scenario in scenario_list if scenario.name in wanted]

    if "plans" not in skip:
        log("capturing SQL and EXPLAIN (ANALYZE, BUFFERS) per scenario")
        report["plans"] = capture_plans(args, env, scenario_list)

    server = Server(args, env, Path(tempfile.gettempdir()) / f"bench-gunicorn-{stamp}.log")
    from expense_app.seeding import BENCH_PASSWORD

    try:
        log(f"starting gunicorn ({args.workers} workers) on 127.0.0.1:{args.port}")
        server.start()
        client = Client(args.port)
        credentials = {
            "heavy": client.api_token(HEAVY_EMAIL, BENCH_PASSWORD),
            "ordinary": client.api_token(ORDINARY_EMAIL, BENCH_PASSWORD),
            "session": client.session_cookie(HEAVY_EMAIL, BENCH_PASSWORD),
        }
        if "load" not in skip:
            run_load(args, server, client, scenario_list, credentials)
            report["scenarios"] = [scenario_report(scenario) for scenario in scenario_list]
        if "ab" not in skip:
            log("ab -n 1000 -c 10 on the expense list")
            report["ab"] = run_ab(
                args.port,
                "/api/v1/expenses?page=1&per_page=20",
                {"Authorization": f"Bearer {credentials['heavy']}"},
                requests=1000,
                concurrency=10,
            )
        if "page" not in skip:
            log("page weight of the dashboard (Chromium)")
            try:
                report["page_weight"] = page_weight(args.port, credentials["session"])
            except Exception as error:  # a browser problem must not lose the rest of the run
                report["page_weight"] = {"available": False, "reason": f"{type(error).__name__}: {error}"}
        if "memory" not in skip:
            server.stop()
            log(f"memory: fresh gunicorn, RSS after {args.memory_requests // 2} and {args.memory_requests} requests")
            server.start()
            credentials["heavy"] = Client(args.port).api_token(HEAVY_EMAIL, BENCH_PASSWORD)
            report["memory"] = run_memory(args, server, scenario_list, credentials)
    finally:
        server.stop()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            import sqlalchemy as sa

            engine = sa.create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
            removed = cleanup_posts(engine)
            engine.dispose()
            log(f"removed {removed} expenses added by the POST scenario")

    report["machine"]["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    report["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report["targets"] = targets(report)
    json_path = results_dir / f"{stamp}.json"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    markdown = render_markdown(report)
    (results_dir / f"{stamp}.md").write_text(markdown)
    print(markdown)
    log(f"wrote {json_path} and {json_path.with_suffix('.md')}")
    return 0


def settings(args) -> dict:
    return {
        "workers": args.workers,
        "wrk_threads": args.threads,
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "data": {"users": args.users, "per_user": args.per_user, "heavy": args.heavy},
        "ratelimit": f"enabled, {args.ratelimit_storage}, default 100000000/minute (cannot throttle)",
    }


def run_load(args, server: Server, client: Client, scenario_list: list[Scenario], credentials: dict) -> None:
    for scenario in scenario_list:
        body = json.dumps(scenario.body).encode() if scenario.body else None
        headers = auth_headers(scenario, credentials)
        if body:
            headers["Content-Type"] = "application/json"
        status, _, _ = client.request(scenario.method, scenario.path, headers=headers, body=body)
        scenario.results["probe_status"] = status
        if status == 404:
            scenario.results["available"] = False
            log(f"{scenario.name}: not available (404)")
            continue
        scenario.results["available"] = True
        if args.warmup:
            run_wrk(args, scenario, credentials, args.warmup)
        log(f"{scenario.name}: wrk -c{args.connections} -d{args.duration}s {scenario.method} {scenario.path}")
        scenario.results["wrk"] = run_wrk(args, scenario, credentials, args.duration)
        result = scenario.results["wrk"]
        log(
            f"  {result['requests_per_s']:.1f} req/s, p50 {result['latency_ms']['p50']:.1f} ms, "
            f"p99 {result['latency_ms']['p99']:.1f} ms, errors {errors_of(result)}"
        )


def errors_of(result: dict) -> int:
    errors = result["errors"]
    return errors["connect"] + errors["read"] + errors["write"] + errors["timeout"] + errors["non_2xx"]


def scenario_report(scenario: Scenario) -> dict:
    return {
        "name": scenario.name,
        "title": scenario.title,
        "kind": scenario.kind,
        "method": scenario.method,
        "path": scenario.path,
        "auth": scenario.auth,
        **scenario.results,
    }


def run_memory(args, server: Server, scenario_list: list[Scenario], credentials: dict) -> dict:
    """Drive a mix of the GET scenarios with ab in two halves; read each worker's RSS after each."""
    mix = [s for s in scenario_list if s.method == "GET" and s.auth in ("heavy", "session") and s.kind != "baseline"]
    half = args.memory_requests // 2
    readings = {"workers": server.worker_pids(), "after": {}}
    served = 0
    for _ in range(2):
        share, extra = divmod(half, len(mix))
        for index, scenario in enumerate(mix):
            count = share + (1 if index < extra else 0)
            result = run_ab(
                args.port, scenario.path, auth_headers(scenario, credentials), requests=count, concurrency=8
            )
            served += result["complete_requests"]
            readings.setdefault("failed", 0)
            readings["failed"] += result["failed_requests"] + result["non_2xx"]
        readings["after"][str(served)] = [rss_mb(pid) for pid in server.worker_pids()]
    readings["mix"] = [s.name for s in mix]
    readings["same_workers"] = readings["workers"] == server.worker_pids()
    return readings


# --- targets and the Markdown report ---------------------------------------------------------------


def targets(report: dict) -> list[dict]:
    checks: list[dict] = []
    rows = {row["name"]: row for row in report.get("scenarios", [])}
    health = rows.get("health", {}).get("wrk", {}).get("requests_per_s")

    def add(target: str, measured: str, met: bool | None) -> None:
        checks.append({"target": target, "measured": measured, "met": met})

    if health:
        for row in rows.values():
            if row["kind"] != "api":
                continue
            if not row.get("available"):
                add(f"{row['title']}: ≥ 20 % of /health req/s", "not available", None)
                continue
            ratio = row["wrk"]["requests_per_s"] / health
            minimum = LIST_VS_HEALTH_MIN if row["name"] == "list_page1" else API_VS_HEALTH_MIN
            add(
                f"{row['title']}: ≥ {minimum:.0%} of /health req/s",
                f"{ratio:.0%} ({row['wrk']['requests_per_s']:.0f} / {health:.0f})",
                ratio >= minimum,
            )
    for row in rows.values():
        if not row.get("available"):
            continue
        latency = row["wrk"]["latency_ms"]
        tail = latency["p99"] / latency["p50"] if latency["p50"] else float("inf")
        add(f"{row['title']}: p99 < 10 x p50", f"{tail:.1f}x", tail < TAIL_RATIO_MAX)
        add(f"{row['title']}: zero errors", str(errors_of(row["wrk"])), errors_of(row["wrk"]) == 0)
    if "ab" in report:
        ab = report["ab"]
        failures = ab["failed_requests"] + ab["non_2xx"]
        add(
            "ab -n 1000 -c 10 expense list: zero errors",
            f"{failures} failed of {ab['complete_requests']}",
            failures == 0,
        )
    plans = report.get("plans", {})
    if plans:
        seq = {
            name: entry.get("seq_scans_on_expenses", 0) for name, entry in plans.items() if entry.get("available", True)
        }
        bad = [name for name, count in seq.items() if count]
        add("No sequential scan of expenses (EXPLAIN)", "none" if not bad else "in " + ", ".join(bad), not bad)
        counts = ", ".join(
            f"{name} {entry['queries']}" for name, entry in plans.items() if entry.get("available", True)
        )
        add("Bounded queries per request (counted; test_query_budget.py)", counts, None)
    memory = report.get("memory")
    if memory and len(memory["after"]) == 2:
        first, second = (memory["after"][key] for key in sorted(memory["after"], key=int))
        peak = max(item["rss_mb"] for item in second)
        growth = max(
            (b["rss_mb"] - a["rss_mb"]) / a["rss_mb"]
            for a, b in zip(first, second, strict=False)
            if a["pid"] == b["pid"]
        )
        add("Each worker < 150 MB RSS after 10,000 requests", f"max {peak:.1f} MB", peak < RSS_MAX_MB)
        add("RSS growth 5,000 → 10,000 requests < 10 %", f"max {growth:+.1%}", growth < RSS_GROWTH_MAX)
    page = report.get("page_weight")
    if page and page.get("available"):
        add(
            "Dashboard first load < 400 KB",
            f"{page['transferred_bytes'] / 1024:.0f} KB",
            page["transferred_bytes"] < PAGE_BYTES_MAX,
        )
        add("Dashboard first load < 15 requests", str(page["requests"]), page["requests"] < PAGE_REQUESTS_MAX)
        add("Static assets compressed", "yes" if page["static_compressed"] else "no", page["static_compressed"])
        add(
            "Static assets cached (long max-age)",
            "yes" if page["static_long_cache"] else "no",
            page["static_long_cache"],
        )
    return checks


def render_markdown(report: dict) -> str:
    machine_info = report["machine"]
    settings_info = report["settings"]
    lines = [
        f"# Benchmark {report['started_at']}",
        "",
        f"Machine: {machine_info['cpu_cores']} cores ({machine_info['cpu_model']}), {machine_info['memory_gb']} GB RAM, "
        f"PostgreSQL {machine_info['postgresql']} (shared_buffers {machine_info['postgresql_shared_buffers']}), "
        f"Python {machine_info['python']}, {machine_info.get('wrk')}.",
        f"Load average at start {machine_info['load_average_start']}, at end {machine_info.get('load_average_end')} "
        "(the machine is shared: compare ratios within this run, not absolute figures across runs).",
        f"gunicorn: {settings_info['workers']} sync workers, ENV=production. wrk: {settings_info['wrk_threads']} threads, "
        f"{settings_info['connections']} connections, {settings_info['duration_s']} s per scenario after "
        f"{settings_info['warmup_s']} s of warm-up. Rate limit: {settings_info['ratelimit']}.",
        f"Data: {settings_info['data']['users']} users x {settings_info['data']['per_user']} expenses + "
        f"the heavy user's {settings_info['data']['heavy']}.",
        "",
    ]
    if report.get("seed"):
        lines += ["Seed: " + " ".join(report["seed"]), ""]
    if report.get("scenarios"):
        health = next((r for r in report["scenarios"] if r["name"] == "health" and r.get("available")), None)
        base = health["wrk"]["requests_per_s"] if health else None
        lines += [
            "| Scenario | req/s | vs /health | p50 ms | p95 ms | p99 ms | p99/p50 | errors | queries |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        plans = report.get("plans", {})
        for row in report["scenarios"]:
            queries = plans.get(row["name"], {}).get("queries", "-" if row["name"] != "health" else 0)
            if not row.get("available"):
                lines.append(f"| {row['title']} | not available | | | | | | | {queries} |")
                continue
            result = row["wrk"]
            latency = result["latency_ms"]
            ratio = f"{result['requests_per_s'] / base:.0%}" if base else ""
            tail = latency["p99"] / latency["p50"] if latency["p50"] else 0
            lines.append(
                f"| {row['title']} | {result['requests_per_s']:.1f} | {ratio} | {latency['p50']:.1f} | "
                f"{latency['p95']:.1f} | {latency['p99']:.1f} | {tail:.1f} | {errors_of(result)} | {queries} |"
            )
        lines.append("")
    if "ab" in report:
        ab = report["ab"]
        lines += [
            f"ab -n 1000 -c 10 (expense list, heavy user): {ab['requests_per_s']:.1f} req/s, "
            f"mean {ab['mean_ms']:.1f} ms, p50 {ab['latency_ms'].get('p50')} ms, p95 {ab['latency_ms'].get('p95')} ms, "
            f"p99 {ab['latency_ms'].get('p99')} ms, {ab['failed_requests']} failed, {ab['non_2xx']} non-2xx "
            f"of {ab['complete_requests']}.",
            "",
        ]
    if report.get("memory"):
        memory = report["memory"]
        lines.append("Worker memory (VmRSS, fresh gunicorn, mix: " + ", ".join(memory["mix"]) + "):")
        for served, readings in sorted(memory["after"].items(), key=lambda item: int(item[0])):
            values = ", ".join(f"pid {r['pid']} {r['rss_mb']} MB" for r in readings)
            lines.append(f"- after {served} requests: {values}")
        lines.append("")
    page = report.get("page_weight")
    if page:
        if page.get("available"):
            lines.append(
                f"Dashboard first load: {page['transferred_bytes'] / 1024:.0f} KB transferred in {page['requests']} requests "
                f"(static compressed: {page['static_compressed']}, long cache: {page['static_long_cache']})."
            )
            for entry in page["entries"]:
                lines.append(
                    f"- {entry['url']}: {entry['status']}, {entry['transferred_bytes'] / 1024:.1f} KB, "
                    f"encoding {entry['content_encoding'] or 'none'}, cache-control {entry['cache_control'] or 'none'}"
                )
        else:
            lines.append(f"Dashboard page weight: not available ({page.get('reason')}).")
        lines.append("")
    if report.get("plans"):
        lines.append("Query plans (EXPLAIN ANALYZE, BUFFERS; full text in the JSON):")
        for name, entry in report["plans"].items():
            if not entry.get("available", True):
                lines.append(f"- {name}: not available")
                continue
            lines.append(
                f"- {name}: {entry['queries']} queries, seq scans on expenses: {entry['seq_scans_on_expenses']}"
            )
            for statement in entry["statements"]:
                if statement.get("plan") is None:
                    continue
                ms = statement.get("execution_ms")
                timing = f"{ms:.2f} ms" if ms is not None else "not analyzed (write)"
                lines.append(f"  - {timing}: {', '.join(statement['nodes'])}")
        lines.append("")
    lines += ["## Targets", "", "| Target | Measured | Met |", "|---|---|---|"]
    for check in report.get("targets", []):
        met = {True: "yes", False: "**no**", None: "n/a"}[check["met"]]
        lines.append(f"| {check['target']} | {check['measured']} | {met} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
