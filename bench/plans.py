"""Query plans, in-process: each scenario once through the app's test client against the bench
database, every statement it sent captured and run again under `EXPLAIN (ANALYZE, BUFFERS)`.
"""

from __future__ import annotations

import os
import re

import sqlalchemy as sa

from bench.database import cleanup_posts
from bench.scenarios import CURSOR_HOPS, CURSOR_START, MIX_EMAIL, ORDINARY_EMAIL, Scenario, follow_cursor
from bench.seeding import BENCH_PASSWORD, HEAVY_EMAIL
from config import load_config
from expense_app import create_app
from expense_app.extensions import db


def in_process_app(env: dict):
    """The app in this process with the bench server's settings (`env`), without rate limits or CSRF."""
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
    return create_app(config)


def capture_plans(args, env: dict, scenario_list: list[Scenario]) -> dict:
    """Run each scenario once through the app in this process; EXPLAIN every statement it sent.

    Returns {scenario name: {status, queries, statements: [explain(...)], seq_scans_on_expenses}}.
    """
    app = in_process_app(env)
    https = {"base_url": "https://localhost"}
    token = {}
    for label, email in (("heavy", HEAVY_EMAIL), ("ordinary", ORDINARY_EMAIL), ("mix", MIX_EMAIL)):
        response = app.test_client().post(
            "/api/v1/auth/login", json={"email": email, "password": BENCH_PASSWORD}, **https
        )
        if response.status_code == 200:
            token[label] = response.get_json()["access_token"]
    # One test client (cookie jar) per browser session; the bearer scenarios use the first.
    clients = {"session": app.test_client(), "session_mix": app.test_client()}
    clients["session"].post("/login", data={"email": HEAVY_EMAIL, "password": BENCH_PASSWORD}, **https)
    clients["session_mix"].post("/login", data={"email": MIX_EMAIL, "password": BENCH_PASSWORD}, **https)

    plans = {}
    with app.app_context():
        engine = db.engine
        captured: list[tuple[str, object]] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        for scenario in scenario_list:
            if scenario.name == "health":
                continue
            if scenario.auth in ("heavy", "ordinary", "mix") and scenario.auth not in token:
                plans[scenario.name] = {"available": False, "queries": 0, "statements": []}
                continue
            headers = {}
            if scenario.auth in token:
                headers["Authorization"] = f"Bearer {token[scenario.auth]}"
            client = clients.get(scenario.auth, clients["session"])
            path = scenario.path
            if path is None:  # the cursor scenario: follow next_cursor through the test client

                def get_json(url, headers=headers, client=client):
                    response = client.get(url, headers=headers, **https)
                    return response.status_code, response.get_json(silent=True)

                path, _, _ = follow_cursor(get_json, CURSOR_START, CURSOR_HOPS)
                if path is None:
                    plans[scenario.name] = {"available": False, "queries": 0, "statements": []}
                    continue
            captured.clear()
            sa.event.listen(engine, "before_cursor_execute", listener)
            try:
                response = client.open(path, method=scenario.method, headers=headers, json=scenario.body, **https)
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
