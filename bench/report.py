"""The run's output: progress lines, the machine it ran on, the targets checked against the
measured figures, and the results written as bench/results/<date>.json and .md.
"""

# ruff: noqa: S607 (reads the version of a fixed local tool: wrk)

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path

import psycopg2

from bench.scenarios import FLOOR, Scenario

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Targets of issue 17 (item 9), checked against the measured figures in the report: throughput as
# a share of /health's (and of the floor's) in the same run, so a busy machine cannot fake them.
LIST_VS_HEALTH_MIN = 0.40  # the heavy user's list, page 1
READ_VS_HEALTH_MIN = 0.25  # every other API read
POST_VS_HEALTH_MIN = 0.20
HTML_VS_HEALTH_MIN = 0.15
VS_FLOOR_MIN = 0.50  # the list and analytics reads against the floor (the cheapest database request)
TAIL_RATIO_MAX = 5.0
RSS_MAX_MB = 150.0
RSS_GROWTH_MAX = 0.05
# The batch jobs' existing promises (docs/PERFORMANCE.md): seconds, PostgreSQL.
# A label is formatted with the job's last run (its row and expense counts).
BATCH_PROMISES = {
    ("import", "preview_s"): ("Import of a {rows:,}-row CSV: preview", 10.0),
    ("import", "commit_s"): ("Import of a {rows:,}-row CSV: commit", 10.0),
    ("dry_run", "dry_run_s"): ("Rules dry run, {rules} rules over {scanned:,} expenses", 15.0),
    ("base_change", "to_USD_s"): ("Base-currency change EUR -> USD, {expenses:,} expenses", 30.0),
    ("base_change", "to_EUR_s"): ("Base-currency change USD -> EUR, {expenses:,} expenses", 30.0),
}
PAGE_BYTES_MAX = 400 * 1024
PAGE_REQUESTS_MAX = 15


def log(message: str) -> None:
    """Print one progress line, with the time, at once (the run takes minutes)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def errors_of(result: dict) -> int:
    """The failed requests of one wrk result: socket errors, timeouts and statuses outside 2xx."""
    errors = result["errors"]
    return errors["connect"] + errors["read"] + errors["write"] + errors["timeout"] + errors["non_2xx"]


def machine(args, database_url: str) -> dict:
    """What the figures were measured on: CPU, memory, OS, Python, PostgreSQL, workers, wrk, load."""
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
    wrk = None
    if shutil.which("wrk"):
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        wrk = (version.stdout or version.stderr).splitlines()[0]
    return {
        "cpu_cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "postgresql_shared_buffers": shared_buffers,
        "gunicorn_workers": args.workers,
        "wrk": wrk,
        "load_average_start": [round(value, 2) for value in os.getloadavg()],
    }


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


def rate(row: dict | None) -> float | None:
    """A scenario row's requests/s, None when it did not run."""
    if not row or not row.get("available") or "wrk" not in row:
        return None
    return row["wrk"]["requests_per_s"]


def floor_row(rows: dict) -> dict | None:
    """The floor scenario's row: FLOOR, or /health/db when FLOOR did not run."""
    for name in (FLOOR, "health_db"):
        if rate(rows.get(name)):
            return rows[name]
    return None


def throughput_minimum(row: dict) -> tuple[float, str] | None:
    """The share of /health's req/s a scenario must reach (item 9), with its label; None: no target."""
    if row["kind"] == "html":
        return HTML_VS_HEALTH_MIN, "HTML page"
    if row["kind"] != "api":
        return None
    if row["method"] != "GET":
        return POST_VS_HEALTH_MIN, "write"
    if row["name"] == "list_page1":
        return LIST_VS_HEALTH_MIN, "list page 1"
    return READ_VS_HEALTH_MIN, "API read"


def shares_floor_target(row: dict) -> bool:
    """The list and analytics reads must reach VS_FLOOR_MIN of the floor."""
    return row["kind"] == "api" and row["method"] == "GET" and row["name"].startswith(("list_", "analytics_"))


def targets(report: dict) -> list[dict]:
    """Every target of item 9 against this run's figures: {target, measured, met (None: not judged)}."""
    checks: list[dict] = []
    rows = {row["name"]: row for row in report.get("scenarios", [])}
    health = rate(rows.get("health"))
    floor = floor_row(rows)
    floor_rate = rate(floor)

    def add(target: str, measured: str, met: bool | None) -> None:
        checks.append({"target": target, "measured": measured, "met": met})

    for row in rows.values():
        minimum = throughput_minimum(row)
        if minimum and health:
            share, _ = minimum
            if rate(row) is None:
                add(f"{row['title']}: ≥ {share:.0%} of /health req/s", "not available", None)
            else:
                ratio = rate(row) / health
                add(
                    f"{row['title']}: ≥ {share:.0%} of /health req/s",
                    f"{ratio:.0%} ({rate(row):.0f} / {health:.0f})",
                    ratio >= share,
                )
        if shares_floor_target(row) and floor_rate and rate(row) is not None:
            ratio = rate(row) / floor_rate
            add(
                f"{row['title']}: ≥ {VS_FLOOR_MIN:.0%} of the floor ({floor['name']}) req/s",
                f"{ratio:.0%} ({rate(row):.0f} / {floor_rate:.0f})",
                ratio >= VS_FLOOR_MIN,
            )
    for row in rows.values():
        if rate(row) is None:
            continue
        latency = row["wrk"]["latency_ms"]
        tail = latency["p99"] / latency["p50"] if latency["p50"] else float("inf")
        add(f"{row['title']}: p99 < {TAIL_RATIO_MAX:.0f} x p50", f"{tail:.1f}x", tail < TAIL_RATIO_MAX)
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
        add("RSS growth 5,000 → 10,000 requests < 5 %", f"max {growth:+.1%}", growth < RSS_GROWTH_MAX)
    batches = report.get("batches", {})
    for (job, key), (_label, promise) in BATCH_PROMISES.items():
        if job not in batches:
            continue
        entry = batches[job]
        if not entry.get("available"):
            add(f"{job}: {key.removesuffix('_s')} ≤ {promise:.0f} s", f"not available ({entry.get('reason')})", None)
            continue
        seconds = entry["median_s"][key]
        add(f"{batch_label(job, key, entry)} ≤ {promise:.0f} s", f"{seconds:.2f} s", seconds <= promise)
    if batches.get("base_change", {}).get("available"):
        exact = all(
            value for run in batches["base_change"]["runs"] for k, value in run.items() if k.startswith("stats_")
        )
        add("Base-currency change keeps expense_stats exact (both ways)", "yes" if exact else "no", exact)
    if batches.get("import", {}).get("available"):
        kept = all(run["expenses_after"] == run["expenses_before"] for run in batches["import"]["runs"])
        last = batches["import"]["runs"][-1]
        add(
            "Import then undo leaves the user's expenses as found",
            f"{last['expenses_before']:,} before, {last['created']:,} committed, {last['expenses_after']:,} after undo",
            kept,
        )
    direct, pooled = rate(rows.get("list_page1")), rate(rows.get("list_page1_pgbouncer"))
    if direct and pooled:
        add("List page 1 through PgBouncer (no target: its cost)", f"{pooled / direct:.0%} of direct", None)
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


def target_cell(row: dict, health: float | None, floor: float | None) -> str:
    """The throughput targets of one scenario and whether this run met them, for the table."""
    parts = []
    minimum = throughput_minimum(row)
    if minimum and health:
        share = minimum[0]
        parts.append(f"≥ {share:.0%} /health " + ("met" if rate(row) / health >= share else "**missed**"))
    if shares_floor_target(row) and floor:
        parts.append(f"≥ {VS_FLOOR_MIN:.0%} floor " + ("met" if rate(row) / floor >= VS_FLOOR_MIN else "**missed**"))
    return "; ".join(parts)


def batch_label(job: str, key: str, entry: dict) -> str:
    """A batch step's name with the counts of its last run, e.g. "Import of a 10,000-row CSV: commit"."""
    template = BATCH_PROMISES.get((job, key), (f"{job}: {key.removesuffix('_s')}", None))[0]
    try:
        return template.format(**entry["runs"][-1])
    except (KeyError, ValueError):
        return template


def batch_lines(batches: dict) -> list[str]:
    """The batch jobs' table: the median seconds of each timed step against its promise."""
    lines = ["| Batch job (mix user, in-process) | median s | runs | promise | met |", "|---|---:|---:|---|---|"]
    for job, entry in batches.items():
        if not entry.get("available"):
            lines.append(f"| {job} | not available ({entry.get('reason')}) | | | |")
            continue
        for key in (key for key in entry["runs"][0] if key.endswith("_s")):
            seconds = entry["median_s"][key]
            promise = BATCH_PROMISES.get((job, key), (None, None))[1]
            met = "" if promise is None else ("yes" if seconds <= promise else "**no**")
            limit = "" if promise is None else f"≤ {promise:.0f} s"
            lines.append(f"| {batch_label(job, key, entry)} | {seconds:.2f} | {len(entry['runs'])} | {limit} | {met} |")
    facts = [
        f"{job}: " + ", ".join(f"{key} {value}" for key, value in entry["runs"][-1].items() if not key.endswith("_s"))
        for job, entry in batches.items()
        if entry.get("available")
    ]
    if facts:
        lines += ["", "Last run of each: " + "; ".join(facts) + "."]
    return [*lines, ""]


def render_markdown(report: dict) -> str:
    machine_info = report["machine"]
    settings_info = report["settings"]
    lines = [
        f"# Benchmark {report['started_at']}",
        "",
        f"Machine: {machine_info['cpu_cores']} cores ({machine_info['cpu_model']}), {machine_info['memory_gb']} GB RAM, "
        f"PostgreSQL {machine_info['postgresql']} (shared_buffers {machine_info['postgresql_shared_buffers']}), "
        f"Python {machine_info['python']}, {machine_info.get('wrk') or 'wrk not installed'}.",
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
        rows = {row["name"]: row for row in report["scenarios"]}
        base, floor = rate(rows.get("health")), floor_row(rows)
        floor_rate = rate(floor)
        lines += [
            f"Ratios: each scenario's req/s as a share of `/health` and of the floor "
            f"(`{floor['name'] if floor else FLOOR}`, the cheapest request that touches the database) in this run.",
            "",
            "| Scenario | req/s | vs /health | vs floor | target | p50 ms | p95 ms | p99 ms | p99/p50 | errors | queries |",
            "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        plans = report.get("plans", {})
        for row in report["scenarios"]:
            queries = plans.get(row["name"], {}).get("queries", "-" if row["name"] != "health" else 0)
            if rate(row) is None:
                lines.append(f"| {row['title']} | not available | | | | | | | | | {queries} |")
                continue
            result = row["wrk"]
            latency = result["latency_ms"]
            ratio = f"{result['requests_per_s'] / base:.0%}" if base else ""
            to_floor = f"{result['requests_per_s'] / floor_rate:.0%}" if floor_rate else ""
            tail = latency["p99"] / latency["p50"] if latency["p50"] else 0
            lines.append(
                f"| {row['title']} | {result['requests_per_s']:.1f} | {ratio} | {to_floor} | "
                f"{target_cell(row, base, floor_rate)} | {latency['p50']:.1f} | "
                f"{latency['p95']:.1f} | {latency['p99']:.1f} | {tail:.1f} | {errors_of(result)} | {queries} |"
            )
        lines.append("")
    if report.get("pgbouncer") and not report["pgbouncer"].get("available"):
        lines += [f"PgBouncer scenarios: not available ({report['pgbouncer'].get('reason')}).", ""]
    if report.get("batches"):
        lines += batch_lines(report["batches"])
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


def write_results(report: dict, results_dir: Path, stamp: str) -> Path:
    """Check the targets, write `<stamp>.json` and `<stamp>.md` into `results_dir`, print the
    Markdown and return the JSON file's path."""
    report["targets"] = targets(report)
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path = results_dir / f"{stamp}.json"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    markdown = render_markdown(report)
    json_path.with_suffix(".md").write_text(markdown)
    print(markdown)
    log(f"wrote {json_path} and {json_path.with_suffix('.md')}")
    return json_path
