"""Does a sign-in or a registration take longer for an existing account? (issue 16's timing finding)

    .venv/bin/python -m bench.auth_timing                      # a throwaway SQLite database
    .venv/bin/python -m bench.auth_timing --database-url postgresql://root@127.0.0.1:5432/auth_bench --tries 50

Builds the app in-process with the PRODUCTION argon2 parameters (`config.ARGON2_DEFAULT`), the
per-address limiter and the per-account lockout off (they would turn the later tries into fast
429s and measure nothing), migrates the database, and times through the API face:

- `POST /api/v1/auth/login` with an unknown email, and with a known email and a wrong password;
- `POST /api/v1/auth/register` with a taken email (409), and with a new email each time (201).

The pairs are interleaved (one of each, then the next), so drift in the machine's load hits both
alike. Prints the median and p90 of each in milliseconds, and the ratio of the medians.
The database must be empty or a throwaway one: the run registers users in it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from config import ARGON2_DEFAULT, TestingConfig, normalize_database_url
from expense_app import create_app
from expense_app.extensions import db

PASSWORD = "correct horse battery"  # noqa: S105 (the bench's own throwaway user)


def build_app(database_url: str):
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = normalize_database_url(database_url)
    config.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
    config.PASSWORD_HASHER = dict(ARGON2_DEFAULT)
    config.RATELIMIT_ENABLED = False
    config.ACCOUNT_LOCKOUT_ENABLED = False
    config.LOG_LEVEL = "WARNING"
    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def timed(call) -> tuple[float, int]:
    start = time.perf_counter()
    status = call()
    return (time.perf_counter() - start) * 1000, status


def summary(name: str, samples: list[float], statuses: set[int]) -> dict:
    ordered = sorted(samples)
    p90 = ordered[max(0, round(0.9 * len(ordered)) - 1)]
    row = {"name": name, "median": statistics.median(ordered), "p90": p90, "statuses": sorted(statuses)}
    print(f"  {name:<40} median {row['median']:7.1f} ms   p90 {p90:7.1f} ms   status {row['statuses']}")
    return row


def run(database_url: str, tries: int) -> list[dict]:
    app = build_app(database_url)
    client = app.test_client()
    suffix = int(time.time())
    known = f"bench-known-{suffix}@example.com"
    assert client.post("/api/v1/auth/register", json={"email": known, "password": PASSWORD}).status_code == 201

    def login(email):
        return lambda: (
            client.post("/api/v1/auth/login", json={"email": email, "password": "wrong password here"}).status_code
        )

    def register(email):
        return lambda: client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).status_code

    # One warm-up of each path: the first call pays imports, the dummy hash and connection set-up.
    for call in (login("bench-nobody@example.com"), login(known), register(known)):
        call()
    results: dict[str, tuple[list[float], set[int]]] = {
        name: ([], set())
        for name in (
            "login unknown email",
            "login known email, wrong password",
            "register taken email",
            "register new email",
        )
    }
    for number in range(tries):
        for name, call in (
            ("login unknown email", login(f"bench-nobody-{number}@example.com")),
            ("login known email, wrong password", login(known)),
            ("register taken email", register(known)),
            ("register new email", register(f"bench-new-{suffix}-{number}@example.com")),
        ):
            elapsed, status = timed(call)
            results[name][0].append(elapsed)
            results[name][1].add(status)
    print(f"argon2 {ARGON2_DEFAULT}, {tries} tries each, {database_url.split('://')[0]}")
    rows = [summary(name, samples, statuses) for name, (samples, statuses) in results.items()]
    login_ratio = rows[0]["median"] / rows[1]["median"]
    register_ratio = rows[2]["median"] / rows[3]["median"]
    print(f"  unknown / known login median: {login_ratio:.2f}; taken / new registration median: {register_ratio:.2f}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a throwaway database (default: a temporary SQLite file)")
    parser.add_argument("--tries", type=int, default=50)
    args = parser.parse_args(argv)
    if args.database_url:
        run(args.database_url, args.tries)
    else:
        with tempfile.TemporaryDirectory() as directory:
            run(f"sqlite:///{Path(directory) / 'auth_timing.db'}", args.tries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
