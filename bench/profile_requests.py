"""In-process timings and a cProfile of single requests against the bench database.

    .venv/bin/python -m bench.profile_requests                 # median ms per scenario (from the repo root)
    .venv/bin/python -m bench.profile_requests --profile list  # plus the top functions of one

Builds the app as production does (ENV=production) against `expense_bench`, logs the heavy user
in, and times each request through the test client, so the figures contain the framework and
the database but no HTTP server. Useful between `make bench` runs; the load figures come from
`python -m bench.run`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import time

from bench.database import DEFAULT_DATABASE_URL
from bench.seeding import BENCH_PASSWORD, HEAVY_EMAIL
from expense_app import create_app

SCENARIOS = {
    "health": "/health",
    "me": "/api/v1/users/me",
    "list": "/api/v1/expenses?page=1&per_page=20",
    "page400": "/api/v1/expenses?page=400&per_page=20",
    "search": "/api/v1/expenses?q=coffee&payment_method=credit_card",
    "summary": "/api/v1/analytics/summary?date_from=2025-12-01&date_to=2026-11-30",
    "by_category": "/api/v1/analytics/by-category?date_from=2025-12-01&date_to=2026-11-30",
}


def build_client(database_url: str):
    os.environ.update(
        {
            "ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOG_LEVEL": "WARNING",
            # Production refuses to start without a metrics token; this process serves no /metrics.
            "METRICS_ENABLED": "false",
            # Hundreds of timed requests from one client would meet the per-user API limit.
            "RATELIMIT_ENABLED": "false",
        }
    )
    app = create_app()
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    response = client.post(
        "/api/v1/auth/login", json={"email": HEAVY_EMAIL, "password": BENCH_PASSWORD}, base_url="https://localhost"
    )
    token = response.json["access_token"]
    return client, {"Authorization": f"Bearer {token}"}


def timed(client, headers: dict, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path, headers=headers, base_url="https://localhost")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_requests", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--profile", choices=sorted(SCENARIOS), help="cProfile this scenario")
    args = parser.parse_args()
    client, headers = build_client(args.database_url)
    for name, path in SCENARIOS.items():
        timed(client, headers, path, 5)  # warm-up: connections, caches, JIT-free but lazy imports
        times = timed(client, headers, path, args.repeat)
        print(f"{name:12} median {statistics.median(times):6.1f} ms   min {min(times):6.1f} ms")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        timed(client, headers, SCENARIOS[args.profile], args.repeat)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
