"""The bench database: the guard that keeps the harness off any other database, its creation, and
the few direct reads and writes the harness needs (the Food category's id, removing the POSTs).
"""

from __future__ import annotations

import urllib.parse

import psycopg2
import sqlalchemy as sa

from bench.report import log
from bench.scenarios import POST_MARKER
from bench.seeding import HEAVY_EMAIL

DEFAULT_DATABASE_URL = "postgresql://root@127.0.0.1:5432/expense_bench"


def database_name(url: str) -> str:
    """The database part of a URL (`expense_bench`)."""
    return urllib.parse.urlsplit(url).path.lstrip("/")


def check_database_url(url: str) -> None:
    """Refuse anything but a dedicated bench database: the seed and POSTs write to it."""
    name = database_name(url)
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg2://")):
        raise SystemExit(f"bench needs PostgreSQL, got {url!r}")
    if "test" in name or "bench" not in name:
        raise SystemExit(f"refusing database {name!r}: use a dedicated one whose name contains 'bench'")


def ensure_database(url: str) -> None:
    """Create the database of `url` if it does not exist (connecting to `postgres` to do so)."""
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


def heavy_food_category(database_url: str) -> int | None:
    """The id of the heavy user's Food category (the search scenario filters on it), None before the seed."""
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


def cleanup_posts(engine) -> int:
    """Delete the expenses the POST scenario added, so every run measures the same data."""
    with engine.begin() as connection:
        return connection.execute(
            sa.text(
                "DELETE FROM expenses WHERE description = :marker AND user_id = "
                "(SELECT id FROM users WHERE email = :email)"
            ),
            {"marker": POST_MARKER, "email": HEAVY_EMAIL},
        ).rowcount


def remove_posts(database_url: str) -> int:
    """`cleanup_posts` on a short-lived engine of its own (after gunicorn has stopped)."""
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    try:
        return cleanup_posts(engine)
    finally:
        engine.dispose()
