"""Database plumbing shared by the app and the migrations: SQLite settings and a quiet teardown."""

import logging
import sqlite3

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from expense_app.extensions import db
from expense_app.ops import reconnect
from expense_app.services import conversions, unit_of_work

logger = logging.getLogger(__name__)

_installed = False


def _configure_sqlite(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless asked, per connection; PostgreSQL always enforces them.
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead logging: reads never wait for a writer's commit, nor a commit for readers
        # (an in-memory database stays in its own mode).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # Exact decimal conversion for set-based updates (SQLite's own arithmetic is binary float).
        conversions.register_sqlite_functions(dbapi_connection)


def remove_session_quietly(_error: BaseException | None = None) -> None:
    """End the app context's session; a failure is logged, never raised.

    A request that committed and then read again (serializing the saved row reloads it) still
    holds a transaction here. If the database went away in between, the closing rollback fails,
    and an error raised from a teardown escapes Flask: the client would get a bare server 500
    instead of the response already built. The failure invalidates the connection, so the pool
    never hands it to another request.
    """
    try:
        db.session.remove()
    except Exception as error:
        logger.warning("closing the database session failed: %s", type(error).__name__)
        try:
            db.session.remove()  # the failed rollback ended the transaction; this releases the session
        except Exception:
            db.session.registry.clear()


def register_database_events(app: Flask) -> None:
    """Install the quiet session teardown and the first-statement retry (`ops.reconnect`, in
    place of a pre-ping) on `app`; listen to engines once per process (those listeners are global
    to all engines).

    Call after `db.init_app(app)`: teardowns run in reverse order, so this one ends the session
    before flask-sqlalchemy's own, which then has nothing left to close and cannot raise.
    """
    global _installed
    app.teardown_appcontext(remove_session_quietly)
    with app.app_context():
        for engine in db.engines.values():
            reconnect.install(engine)
    if not _installed:
        sa.event.listen(Engine, "connect", _configure_sqlite)
        unit_of_work.install()
        _installed = True
