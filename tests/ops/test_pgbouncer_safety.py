"""The app keeps no session state across transactions, so PgBouncer's transaction pooling is safe.

In transaction mode a server connection belongs to a client for one transaction; the next
transaction of the same client may run on another server connection. Whatever a session carries
(a `SET`, a session advisory lock, a `LISTEN`, a temporary table, a `WITH HOLD` cursor, a
prepared statement) would then leak to another client or be missing. The audit for issue 17 found
none (DEPLOYMENT.md, "Scaling out"); these checks keep it so, on the code that talks to the
database. The smoke test of CI (.ci/smoke) runs the app through a real PgBouncer in that mode.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import load_config

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [*(ROOT / "expense_app").rglob("*.py"), *(ROOT / "migrations").rglob("*.py"), ROOT / "config.py", ROOT / "wsgi.py"]
)

# Upper-case SQL only (the code base writes SQL keywords in capitals), so Python's own `listen(`
# and prose do not match. Each pattern is a construct that outlives its transaction.
SESSION_STATE = {
    "session advisory lock (use pg_advisory_xact_lock)": re.compile(r"pg_(try_)?advisory_(un)?lock(_shared)?\s*\("),
    "LISTEN / UNLISTEN": re.compile(r"\b(UN)?LISTEN\s+[\w\"*]"),
    "temporary table": re.compile(r"\bCREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\s+TABLE\b"),
    "WITH HOLD cursor": re.compile(r"\bWITH\s+HOLD\b"),
    "server-side PREPARE": re.compile(r"""["']\s*(PREPARE|DEALLOCATE)\s"""),
    # A statement that starts with SET (not SET LOCAL / SET TRANSACTION, which end with the
    # transaction, nor a foreign key's ondelete="SET NULL").
    "session SET": re.compile(r"""["']\s*SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b|NULL\b|DEFAULT\b)"""),
    "set_config(..., false) (session-wide)": re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", re.IGNORECASE),
}


@pytest.mark.parametrize("construct", sorted(SESSION_STATE))
def test_no_session_state_in_the_code(construct):
    pattern = SESSION_STATE[construct]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in SOURCES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"{construct} breaks PgBouncer's transaction pooling:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        'op.execute("SELECT pg_advisory_lock(42)")',
        'connection.exec_driver_sql("LISTEN expense_changes")',
        'op.execute("CREATE TEMP TABLE scratch (id int)")',
        'cursor.execute("DECLARE c CURSOR WITH HOLD FOR SELECT 1")',
        'cursor.execute("PREPARE q AS SELECT 1")',
        'session.execute(sa.text("SET statement_timeout = 5000"))',
        "session.execute(sa.text(\"SELECT set_config('app.user', '1', false)\"))",
    ],
)
def test_the_checks_catch_session_state(line):
    assert any(pattern.search(line) for pattern in SESSION_STATE.values()), line


@pytest.mark.parametrize(
    "line",
    [
        '"ON CONFLICT (user_id) DO UPDATE SET expense_count = expense_count + 1, "',
        'session.execute(sa.text("SET LOCAL statement_timeout = 5000"))',
        'op.execute("SELECT pg_advisory_xact_lock(42)")',
        'sa.event.listen(Engine, "connect", _configure_sqlite)',
        'sa.ForeignKey("categories.id", ondelete="SET NULL")',
    ],
)
def test_the_checks_let_transaction_scoped_sql_through(line):
    assert not any(pattern.search(line) for pattern in SESSION_STATE.values()), line


def test_postgresql_connections_send_no_startup_parameters():
    # PgBouncer refuses a startup parameter it does not know (`options`, `search_path`, ...) unless
    # told to ignore it; libpq's connect_timeout is a client-side setting, never sent.
    config = load_config({"DATABASE_URL": "postgresql://app@db.example.com:5432/expenses"})
    assert set(config.SQLALCHEMY_ENGINE_OPTIONS["connect_args"]) == {"connect_timeout"}
