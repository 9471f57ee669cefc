"""The bench's pure parts (bench/report.py, bench/scenarios.py, bench/pgbouncer.py): the targets of
issue 17 judged as ratios to /health and to the floor, the cursor walk, PgBouncer's URL.

No server and no database: the figures are made up, the rules are the harness's.
"""

from bench.pgbouncer import pgbouncer_scenarios, through
from bench.report import batch_lines, floor_row, render_markdown, targets
from bench.scenarios import CURSOR_START, FLOOR, follow_cursor, scenarios


def _row(name, kind="api", rps=100.0, p50=10.0, p99=20.0, method="GET", non_2xx=0, available=True):
    row = {"name": name, "title": name, "kind": kind, "method": method, "available": available}
    if available:
        row["wrk"] = {
            "requests_per_s": rps,
            "latency_ms": {"p50": p50, "p95": p99, "p99": p99},
            "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0, "non_2xx": non_2xx},
        }
    return row


def _checks(rows, **extra):
    return {check["target"]: check for check in targets({"scenarios": rows, **extra})}


def test_each_kind_of_scenario_has_its_share_of_health():
    rows = [
        _row("health", "baseline", rps=1000),
        _row(FLOOR, "floor", rps=300),
        _row("list_page1", rps=390),
        _row("list_search", rps=250),
        _row("post_expense", method="POST", rps=199),
        _row("dashboard_html", "html", rps=150),
    ]
    checks = _checks(rows)

    assert checks["list_page1: ≥ 40% of /health req/s"]["met"] is False  # 39 %
    assert checks["list_search: ≥ 25% of /health req/s"]["met"] is True
    assert checks["post_expense: ≥ 20% of /health req/s"]["met"] is False
    assert checks["dashboard_html: ≥ 15% of /health req/s"]["met"] is True
    assert checks["list_search: ≥ 25% of /health req/s"]["measured"] == "25% (250 / 1000)"
    # The floor and the baseline have no throughput target of their own.
    assert not any(target.startswith((FLOOR + ":", "health:")) and "req/s" in target for target in checks)


def test_list_and_analytics_reads_are_judged_against_the_floor():
    rows = [
        _row("health", "baseline", rps=1000),
        _row(FLOOR, "floor", rps=400),
        _row("list_page1", rps=200),
        _row("analytics_trend", rps=199),
        _row("post_expense", method="POST", rps=100),
        _row("dashboard_html", "html", rps=100),
    ]
    checks = _checks(rows)

    assert checks[f"list_page1: ≥ 50% of the floor ({FLOOR}) req/s"]["met"] is True
    assert checks[f"analytics_trend: ≥ 50% of the floor ({FLOOR}) req/s"]["met"] is False
    assert not any("floor" in target for target in checks if target.startswith(("post_expense", "dashboard_html")))


def test_without_the_floor_scenario_health_db_is_the_floor():
    rows = [_row("health", "baseline"), _row(FLOOR, "floor", available=False), _row("health_db", "floor", rps=50)]
    assert floor_row({row["name"]: row for row in rows})["name"] == "health_db"
    assert floor_row({"health": rows[0]}) is None


def test_tails_errors_and_unavailable_scenarios():
    rows = [
        _row("health", "baseline", rps=1000),
        _row("list_page1", rps=500, p50=10, p99=50),  # exactly 5 x: missed (strictly below)
        _row("list_search", rps=500, p50=10, p99=49, non_2xx=3),
        _row("list_cursor400", available=False),
    ]
    checks = _checks(rows)

    assert checks["list_page1: p99 < 5 x p50"]["met"] is False
    assert checks["list_search: p99 < 5 x p50"]["met"] is True
    assert checks["list_search: zero errors"]["met"] is False
    assert checks["list_cursor400: ≥ 25% of /health req/s"] == {
        "target": "list_cursor400: ≥ 25% of /health req/s",
        "measured": "not available",
        "met": None,
    }
    assert "list_cursor400: zero errors" not in checks


def test_memory_targets_use_the_second_half():
    memory = {
        "after": {
            "5000": [{"pid": 1, "rss_mb": 100.0}, {"pid": 2, "rss_mb": 100.0}],
            "10000": [{"pid": 1, "rss_mb": 104.0}, {"pid": 2, "rss_mb": 106.0}],
        }
    }
    checks = _checks([], memory=memory)
    assert checks["Each worker < 150 MB RSS after 10,000 requests"]["met"] is True
    assert checks["RSS growth 5,000 → 10,000 requests < 5 %"]["met"] is False  # +6 %


def _batches(preview=4.0, commit=2.5, dry=11.0, to_usd=22.0, to_eur=31.0, exact=True, after=100):
    return {
        "import": {
            "available": True,
            "runs": [
                {
                    "rows": 10_000,
                    "expenses_before": 100,
                    "preview_s": preview,
                    "commit_s": commit,
                    "created": 50,
                    "undo_s": 0.8,
                    "expenses_after": after,
                }
            ],
            "median_s": {"preview_s": preview, "commit_s": commit, "undo_s": 0.8},
        },
        "dry_run": {
            "available": True,
            "runs": [{"dry_run_s": dry, "rules": 50, "scanned": 100_000, "would_change": 7}],
            "median_s": {"dry_run_s": dry},
        },
        "base_change": {
            "available": True,
            "runs": [
                {
                    "to_USD_s": to_usd,
                    "expenses": 100_000,
                    "stats_exact_USD": True,
                    "to_EUR_s": to_eur,
                    "stats_exact_EUR": exact,
                }
            ],
            "median_s": {"to_EUR_s": to_eur, "to_USD_s": to_usd},
        },
    }


def test_batch_jobs_are_held_to_their_promises():
    checks = _checks([], batches=_batches())

    assert checks["Import of a 10,000-row CSV: preview ≤ 10 s"]["met"] is True
    assert checks["Rules dry run, 50 rules over 100,000 expenses ≤ 15 s"]["met"] is True
    assert checks["Base-currency change EUR -> USD, 100,000 expenses ≤ 30 s"]["met"] is True
    assert checks["Base-currency change USD -> EUR, 100,000 expenses ≤ 30 s"]["met"] is False
    assert checks["Base-currency change keeps expense_stats exact (both ways)"]["met"] is True
    assert checks["Import then undo leaves the user's expenses as found"]["met"] is True

    broken = _checks([], batches=_batches(exact=False, after=101))
    assert broken["Base-currency change keeps expense_stats exact (both ways)"]["met"] is False
    assert broken["Import then undo leaves the user's expenses as found"]["met"] is False


def test_an_unavailable_batch_job_is_reported_not_judged():
    batches = {"import": {"available": False, "reason": "bench-mix@bench.local is not seeded"}}
    checks = _checks([], batches=batches)
    assert {check["met"] for check in checks.values()} == {None}
    assert "| import | not available (bench-mix@bench.local is not seeded) | | | |" in batch_lines(batches)


def test_the_table_shows_both_ratios_and_the_targets():
    rows = [_row("health", "baseline", rps=1000), _row(FLOOR, "floor", rps=400), _row("list_page1", rps=300)]
    report = {
        "started_at": "2026-12-02T16:00:00+00:00",
        "machine": {
            "cpu_cores": 2,
            "cpu_model": "x",
            "memory_gb": 1,
            "postgresql": "15",
            "python": "3.11",
            "postgresql_shared_buffers": "128MB",
            "load_average_start": [1, 1, 1],
        },
        "settings": {
            "workers": 2,
            "wrk_threads": 2,
            "connections": 8,
            "duration_s": 15,
            "warmup_s": 3,
            "ratelimit": "on",
            "data": {"users": 1, "per_user": 1, "heavy": 1},
        },
        "scenarios": rows,
        "batches": _batches(),
    }
    report["targets"] = targets(report)
    markdown = render_markdown(report)

    assert "| list_page1 | 300.0 | 30% | 75% | ≥ 40% /health **missed**; ≥ 50% floor met |" in markdown
    assert "| Import of a 10,000-row CSV: preview | 4.00 | 1 | ≤ 10 s | yes |" in markdown


def _pages(count, *, field=True):
    """A fake list API of `count` pages: page n's cursor is "c<n>"."""

    def get_json(path):
        number = int(path.rsplit("after=c", 1)[1]) + 1 if "after=" in path else 1
        body = {"items": [number]}
        if field:
            body["next_cursor"] = f"c{number}" if number < count else None
        return 200, body

    return get_json


def test_following_the_cursor_reaches_the_page_asked_for():
    path, hops, status = follow_cursor(_pages(500), CURSOR_START, 399)
    assert (path, hops, status) == (f"{CURSOR_START}&after=c399", 399, 200)


def test_a_short_list_stops_at_its_last_page():
    path, hops, _ = follow_cursor(_pages(10), CURSOR_START, 399)
    assert (path, hops) == (f"{CURSOR_START}&after=c9", 9)


def test_no_cursor_in_the_api_means_not_available():
    assert follow_cursor(_pages(500, field=False), CURSOR_START, 399) == (None, 0, 200)
    assert follow_cursor(lambda path: (422, {"errors": {"after": ["unknown"]}}), CURSOR_START, 399) == (None, 0, 422)
    refused = follow_cursor(
        lambda path: (200, {"next_cursor": "x"}) if "after" not in path else (422, {}), CURSOR_START, 5
    )
    assert refused == (None, 0, 422)


def test_the_cursor_is_url_encoded():
    seen = []

    def get_json(path):
        seen.append(path)
        return 200, {"next_cursor": "a+b/c=" if len(seen) == 1 else None}

    path, hops, _ = follow_cursor(get_json, CURSOR_START, 399)
    assert path == f"{CURSOR_START}&after=a%2Bb%2Fc%3D" and hops == 1


def test_pgbouncer_takes_the_host_and_port_and_keeps_user_and_database():
    assert (
        through("postgresql://root@127.0.0.1:5432/expense_bench", 6439)
        == "postgresql://root@127.0.0.1:6439/expense_bench"
    )
    assert through("postgresql://db.example:5432/x_bench", 6500) == "postgresql://127.0.0.1:6500/x_bench"


def test_pgbouncer_measures_the_floor_and_the_list():
    chosen = pgbouncer_scenarios(scenarios(("2026-01-01", "2026-12-02"), 7))
    assert [(s.name, s.kind, s.auth) for s in chosen] == [
        ("users_me_pgbouncer", "pgbouncer", "heavy"),
        ("list_page1_pgbouncer", "pgbouncer", "heavy"),
    ]
