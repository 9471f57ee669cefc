"""Database plumbing shared by the app and the migrations."""

import sqlite3

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from expense_app.services.unit_of_work import install_sqlite_transactions

_installed = False


def _configure_sqlite(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless asked, per connection; PostgreSQL always enforces them.
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead logging: a request reading in its transaction never blocks a writer's commit
        # (an in-memory database stays in its own mode).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def register_database_events(app: Flask) -> None:
    """Listen once per process (the listener is global to all engines)."""
    global _installed
    if not _installed:
        sa.event.listen(Engine, "connect", _configure_sqlite)
        install_sqlite_transactions()
        _installed = True
