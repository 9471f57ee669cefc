"""The PgBouncer scenario: the heavy user's list page 1 and the floor served by a second gunicorn
whose DATABASE_URL goes through PgBouncer in transaction pooling (issue 17, item 6).

PgBouncer is started and stopped by `scripts/pgbouncer.sh start DIR PORT` / `stop DIR` (the ops
part of the issue owns it); without that script the scenarios are reported "not available".
"""

# ruff: noqa: S603 (the harness starts a fixed local script: scripts/pgbouncer.sh)

from __future__ import annotations

import copy
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

from bench.load import run_load
from bench.report import log
from bench.scenarios import Scenario
from bench.seeding import BENCH_PASSWORD, HEAVY_EMAIL
from bench.server import ROOT, Client, Server

SCRIPT = ROOT / "scripts" / "pgbouncer.sh"
BASH = shutil.which("bash") or "/bin/bash"
# What runs through PgBouncer: the floor and the list, the pair whose ratio shows the pooler's cost.
MEASURED = ("users_me", "list_page1")


def through(database_url: str, port: int) -> str:
    """`database_url` with its host and port replaced by PgBouncer's on loopback."""
    parts = urllib.parse.urlsplit(database_url)
    user = f"{parts.username}@" if parts.username else ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))


def pgbouncer_scenarios(scenario_list: list[Scenario]) -> list[Scenario]:
    """Copies of the measured scenarios, renamed `<name>_pgbouncer`, of kind `pgbouncer`."""
    chosen = [scenario for scenario in scenario_list if scenario.name in MEASURED]
    return [
        Scenario(
            f"{scenario.name}_pgbouncer",
            f"{scenario.title}, through PgBouncer",
            scenario.path,
            scenario.auth,
            "pgbouncer",
            scenario.method,
            scenario.body,
        )
        for scenario in chosen
    ]


def run_pgbouncer(args, env: dict, scenario_list: list[Scenario], log_path: Path) -> tuple[dict, list[Scenario]]:
    """Start PgBouncer and a gunicorn behind it (port + 1), measure; return (facts, scenarios measured)."""
    script = Path(args.pgbouncer_script)
    if not script.exists():
        return {"available": False, "reason": f"{script} is missing"}, []
    measured = pgbouncer_scenarios(scenario_list)
    if not measured:
        return {"available": False, "reason": "none of its scenarios selected"}, []
    folder = tempfile.mkdtemp(prefix="bench-pgbouncer-")
    metrics = tempfile.mkdtemp(prefix="bench-metrics-pgbouncer-")
    server_args = copy.copy(args)
    server_args.port = args.port + 1
    url = through(args.database_url, args.pgbouncer_port)
    facts = {"available": True, "pgbouncer_port": args.pgbouncer_port, "gunicorn_port": server_args.port}
    started = subprocess.run(
        [BASH, str(script), "start", folder, str(args.pgbouncer_port)], capture_output=True, text=True, check=False
    )
    facts["start_output"] = (started.stdout + started.stderr).strip()[-500:]
    if started.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(metrics, ignore_errors=True)
        return {"available": False, "reason": f"pgbouncer.sh start failed: {facts['start_output']}"}, []
    server = Server(server_args, {**env, "DATABASE_URL": url, "PROMETHEUS_MULTIPROC_DIR": metrics}, log_path)
    try:
        log(f"PgBouncer on 127.0.0.1:{args.pgbouncer_port} (transaction pooling), gunicorn on {server_args.port}")
        server.start()
        client = Client(server_args.port)
        credentials = {"heavy": client.api_token(HEAVY_EMAIL, BENCH_PASSWORD)}
        run_load(args, client, measured, credentials, port=server_args.port)
    finally:
        server.stop()
        stopped = subprocess.run([BASH, str(script), "stop", folder], capture_output=True, text=True, check=False)
        facts["stop_output"] = (stopped.stdout + stopped.stderr).strip()[-500:]
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(metrics, ignore_errors=True)
    return facts, measured
