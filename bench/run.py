"""The benchmark harness behind `make bench`: data at scale, load, query plans, memory, page weight.

Run from the repository root: `python -m bench.run [options]` (`--help` lists them).

Steps (each documented in bench/README.md), each in its own module:
1. create the dedicated PostgreSQL database `expense_bench` if needed (never a test database),
   migrate it and seed it (`flask seed-bench`, idempotent: a re-run inserts nothing) — database, server;
2. capture each scenario's SQL in-process and record `EXPLAIN (ANALYZE, BUFFERS)` of every
   statement, flagging sequential scans of `expenses` and counting queries per request — plans;
3. start gunicorn with ENV=production on loopback, log in (API token and browser session),
   warm up, then drive each scenario with wrk at a fixed concurrency and duration — server, load;
4. run `ab -n 1000 -c 10` against the expense list — load;
5. restart gunicorn and read each worker's resident memory after 5,000 and 10,000 requests — load;
6. load the dashboard in Chromium (Playwright) and add up the bytes and requests of a first load — page_weight;
7. start PgBouncer (scripts/pgbouncer.sh) and a second gunicorn through it; measure the floor and
   the list page 1 there — pgbouncer;
8. time the batch jobs in-process on the currency-mix user: import, rules dry run, base-currency
   change (each leaves the data as found) — batches;
9. write bench/results/<date>.json and bench/results/<date>.md (table, ratios, targets) — report.
What is measured is in `scenarios`.

A scenario whose endpoint does not exist yet is reported as "not available", never a crash.
Standard library only (plus the app's own dependencies and Playwright, when installed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from bench.batches import ensure_mix_user, run_batches
from bench.database import DEFAULT_DATABASE_URL, check_database_url, ensure_database, heavy_food_category, remove_posts
from bench.load import run_ab, run_load, run_memory
from bench.page_weight import page_weight
from bench.pgbouncer import SCRIPT as PGBOUNCER_SCRIPT
from bench.pgbouncer import run_pgbouncer
from bench.plans import capture_plans, in_process_app
from bench.report import RESULTS_DIR, log, machine, scenario_report, settings, write_results
from bench.scenarios import MIX_EMAIL, ORDINARY_EMAIL, Scenario, scenarios, twelve_months
from bench.seeding import BENCH_PASSWORD, HEAVY_EMAIL
from bench.server import Client, Server, flask_command, server_env

# The tools each step needs, so a run that skips those steps (a quick check) needs none of them.
TOOLS = {"load": "wrk", "ab": "ab", "memory": "ab", "pgbouncer": "wrk"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
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
    parser.add_argument(
        "--skip", default=env("BENCH_SKIP", ""), help="steps to skip: seed,plans,load,ab,memory,page,pgbouncer,batches"
    )
    parser.add_argument("--pgbouncer-script", default=env("BENCH_PGBOUNCER_SCRIPT", str(PGBOUNCER_SCRIPT)))
    parser.add_argument("--pgbouncer-port", type=int, default=int(env("BENCH_PGBOUNCER_PORT", "6439")))
    parser.add_argument(
        "--batch-repeat", type=int, default=int(env("BENCH_BATCH_REPEAT", "1")), help="runs of each batch job (median)"
    )
    parser.add_argument(
        "--import-rows", type=int, default=int(env("BENCH_IMPORT_ROWS", "10000")), help="rows of the imported CSV"
    )
    parser.add_argument("--results-dir", default=str(RESULTS_DIR))
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run every step not skipped, write the results and return the exit status (0)."""
    args = parse_args(argv)
    skip = {step.strip() for step in args.skip.split(",") if step.strip()}
    check_database_url(args.database_url)
    for step, tool in TOOLS.items():
        if step not in skip and not shutil.which(tool):
            raise SystemExit(
                f"{tool} is not installed (Debian: apt-get install -y wrk apache2-utils), or skip {step!r}"
            )
    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y-%m-%d-%H%M")
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    env = server_env(args, secrets.token_urlsafe(48), metrics_dir)
    report: dict = {"started_at": started.isoformat(timespec="seconds"), "settings": settings(args)}

    ensure_database(args.database_url)
    log("migrating")
    flask_command(env, "db", "upgrade")
    if "seed" not in skip:
        report["seed"] = seed(args, env)
        report["seed"] += seed_mix(args, env)
    report["machine"] = machine(args, args.database_url)

    scenario_list = scenarios(twelve_months(dt.date.today()), heavy_food_category(args.database_url))
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")} | {"health"}
        scenario_list = [scenario for scenario in scenario_list if scenario.name in wanted]

    if "plans" not in skip:
        log("capturing SQL and EXPLAIN (ANALYZE, BUFFERS) per scenario")
        report["plans"] = capture_plans(args, env, scenario_list)

    server = Server(args, env, Path(tempfile.gettempdir()) / f"bench-gunicorn-{stamp}.log")
    try:
        measure_server(args, server, scenario_list, skip, report)
        server.stop()
        if "pgbouncer" not in skip:
            log_path = Path(tempfile.gettempdir()) / f"bench-gunicorn-pgbouncer-{stamp}.log"
            report["pgbouncer"], measured = run_pgbouncer(args, env, scenario_list, log_path)
            report.setdefault("scenarios", []).extend(scenario_report(scenario) for scenario in measured)
        if "batches" not in skip:
            log(f"batch jobs on {MIX_EMAIL} ({args.batch_repeat} run(s) each, median)")
            report["batches"] = run_batches(in_process_app(env), repeat=args.batch_repeat, import_rows=args.import_rows)
    finally:
        server.stop()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            log(f"removed {remove_posts(args.database_url)} expenses added by the POST scenario")

    report["machine"]["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    report["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_results(report, Path(args.results_dir), stamp)
    return 0


def seed(args, env: dict) -> list[str]:
    """Run `flask seed-bench` with the run's sizes; return its summary lines (also logged)."""
    log(f"seeding (users={args.users}, per-user={args.per_user}, heavy={args.heavy}); a complete database is skipped")
    output = flask_command(
        env, "seed-bench", "--users", str(args.users), "--per-user", str(args.per_user), "--heavy", str(args.heavy)
    )
    lines = [line for line in output.splitlines() if line and not line.startswith("Inserting") and not is_log(line)]
    for line in lines:
        log(line)
    return lines


def is_log(line: str) -> bool:
    """A log record the app printed (`2026-12-02 16:18:00,312 WARNING ...`), not the command's output."""
    return re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line) is not None


def seed_mix(args, env: dict) -> list[str]:
    """Seed the currency-mix user (as many expenses as the heavy one) and load the ECB rates; the lines."""
    log(f"seeding {MIX_EMAIL} ({args.heavy} expenses in a currency mix, 50 rules); a complete user is skipped")
    app = in_process_app(env)
    with app.app_context():
        done = ensure_mix_user(args.heavy)
    lines = [
        f"{MIX_EMAIL}: {'created' if done['created'] else 'found'} with {done['expenses_before']} expenses, "
        f"{done['inserted']} inserted, {done['rules']} rules."
    ]
    log("flask rates load (the bundled ECB history; a repeat writes nothing)")
    lines += [line for line in flask_command(env, "rates", "load").splitlines() if line and not is_log(line)]
    for line in lines:
        log(line)
    return lines


def measure_server(args, server: Server, scenario_list: list[Scenario], skip: set[str], report: dict) -> None:
    """Start gunicorn, log the bench users in and run the load, ab, page and memory steps into `report`."""
    log(f"starting gunicorn ({args.workers} workers) on 127.0.0.1:{args.port}")
    server.start()
    client = Client(args.port)
    credentials = {
        "heavy": client.api_token(HEAVY_EMAIL, BENCH_PASSWORD),
        "ordinary": client.api_token(ORDINARY_EMAIL, BENCH_PASSWORD),
        "session": client.session_cookie(HEAVY_EMAIL, BENCH_PASSWORD),
    }
    # The currency-mix user exists once the data step has run (not when it is skipped on a fresh database).
    with contextlib.suppress(SystemExit):
        credentials["mix"] = client.api_token(MIX_EMAIL, BENCH_PASSWORD)
        credentials["session_mix"] = client.session_cookie(MIX_EMAIL, BENCH_PASSWORD)
    for scenario in scenario_list:
        if scenario.auth != "none" and scenario.auth not in credentials:
            scenario.results.update(available=False, reason=f"no {scenario.auth} user (the data step was skipped)")
    if "load" not in skip:
        run_load(args, client, scenario_list, credentials)
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


if __name__ == "__main__":
    sys.exit(main())
