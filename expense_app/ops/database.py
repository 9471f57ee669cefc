"""Database plumbing shared by the app and the migrations."""

import sqlite3

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

_installed = False


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked, per connection; PostgreSQL always enforces them.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_database_events(app: Flask) -> None:
    """Listen once per process (the listener is global to all engines)."""
    global _installed
    if not _installed:
        sa.event.listen(Engine, "connect", _enable_sqlite_foreign_keys)
        _installed = True
