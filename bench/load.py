"""The load drivers: wrk for each scenario's throughput and latency, ab for the fixed-count runs
(the seed plan's `ab -n 1000 -c 10`, and the memory step's exact request counts).

wrk's Lua scripts live in bench/wrk/: they add the authentication and `X-Forwarded-Proto`, count
any status outside 2xx as an error and print one `BENCH_JSON` line that is parsed here.
"""

# ruff: noqa: S603 (the harness starts fixed local tools: wrk, ab)

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path

from bench.report import errors_of, log
from bench.scenarios import CURSOR_HOPS, CURSOR_START, Scenario, auth_headers, follow_cursor
from bench.server import Client, Server, rss_mb

WRK_DIR = Path(__file__).resolve().parent / "wrk"


def auth_env(scenario: Scenario, credentials: dict) -> tuple[str, dict]:
    """The wrk script for `scenario`'s authentication and the environment it reads the secret from."""
    if scenario.auth == "none":
        return "plain.lua", {}
    if scenario.auth.startswith("session"):
        return "session.lua", {"BENCH_COOKIE": credentials[scenario.auth]}
    return "bearer.lua", {"BENCH_TOKEN": credentials[scenario.auth]}


def run_wrk(args, scenario: Scenario, credentials: dict, duration: int) -> dict:
    """Run wrk on `scenario` for `duration` seconds; return report.lua's figures (RuntimeError without them)."""
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
    """Run `ab -k -n requests -c concurrency` on `path`; return its counts, rate and percentiles."""
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


def resolve_cursor(client: Client, scenario: Scenario, credentials: dict) -> None:
    """Find the cursor scenario's path by following `next_cursor` from page 1 (bench.scenarios)."""
    headers = auth_headers(scenario, credentials)

    def get_json(path: str):
        status, _, body = client.request("GET", path, headers=headers)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None

    path, hops, status = follow_cursor(get_json, CURSOR_START, CURSOR_HOPS)
    scenario.path = path
    scenario.results["cursor_hops"] = hops
    scenario.results["cursor_status"] = status
    if path and hops < CURSOR_HOPS:
        log(f"{scenario.name}: the list ends after {hops + 1} pages; measuring its last page")


def run_load(
    args, client: Client, scenario_list: list[Scenario], credentials: dict, *, port: int | None = None
) -> None:
    """Probe each scenario (404: not available), warm up, then run wrk; the figures go into `scenario.results`.

    A scenario without a path (the cursor one) is resolved first; if the API has no cursor it is
    "not available", as for a 404. `port` points wrk at another server (the PgBouncer one).
    """
    if port is not None:
        args = copy.copy(args)
        args.port = port
    for scenario in scenario_list:
        if scenario.results.get("available") is False:
            log(f"{scenario.name}: not available ({scenario.results.get('reason')})")
            continue
        if scenario.name == "list_cursor400" and scenario.path is None:
            resolve_cursor(client, scenario, credentials)
        if scenario.path is None:
            scenario.results.update(available=False, probe_status=scenario.results.get("cursor_status"))
            log(f"{scenario.name}: not available (no cursor pagination: {scenario.results['probe_status']})")
            continue
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


def run_memory(args, server: Server, scenario_list: list[Scenario], credentials: dict) -> dict:
    """Drive a mix of the GET scenarios with ab in two halves; read each worker's RSS after each."""
    mix = [
        s
        for s in scenario_list
        if s.method == "GET"
        and s.auth in ("heavy", "session")
        and s.kind in ("api", "html")
        and s.path
        and s.memory_mix
    ]
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
