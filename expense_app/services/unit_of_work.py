"""The unit of work: every use case that writes does so inside one `with transaction():`.

In the spirit of cosmicpython's unit of work: the block commits once when it ends, and rolls back
when anything is raised inside it, so HTTP and CLI callers alike never see half a change and no
service writes its own try/commit/except/rollback. A `transaction()` inside another one joins it
(the outer block commits), so a use case may call another service's helpers freely.

An `IntegrityError` at the commit (a unique or foreign key the database refused, e.g. a name taken
by a concurrent request, or an account deleted while its expenses were being posted) becomes the
`conflict` given (a `Conflict` by default): a 409 with a clear message, never a 500.

Writes outside a unit of work are refused (`WriteOutsideUnitOfWork`, raised at the flush or the
bulk statement): on PostgreSQL they would be lost at the end of the request, on SQLite committed
statement by statement, so either way they would be a bug that only one database shows.

SQLite: writers are serialised from their first statement. pysqlite's own transaction handling
starts a transaction only at the first INSERT/UPDATE/DELETE, so two requests that read the same
row before either writes both went on to write from a stale read (12 concurrent PATCHes of one
expense gave 9 `StaleDataError`s). `install()` takes the transaction handling
over: a unit of work begins with `BEGIN IMMEDIATE`, which waits (up to the busy timeout) for the
other writer to finish instead of failing; plain reads stay in autocommit, as before.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expense_app.errors import Conflict
from expense_app.extensions import db

logger = logging.getLogger(__name__)

CONCURRENT_CHANGE = "This change clashes with another change made at the same time; reload and try again."

_ACTIVE = "unit_of_work_active"


class WriteOutsideUnitOfWork(RuntimeError):
    """A session wrote (flushed, or ran an INSERT/UPDATE/DELETE) outside `transaction()`."""


# Read by the SQLite begin listener: does the transaction being begun belong to a unit of work?
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_installed = False


@contextlib.contextmanager
def transaction(*, conflict: Exception | None = None) -> Iterator[Session]:
    """Run the block as one transaction: commit at its end, roll back on any exception.

    Yields the session. An IntegrityError raised inside the block or by its commit is re-raised
    as `conflict` (default: a `Conflict` saying the change clashed with another one).
    """
    session = db.session()
    if session.info.get(_ACTIVE):
        yield session  # joins the enclosing unit of work, which commits or rolls back
        return
    token = _write_intent.set(True)
    session.info[_ACTIVE] = True
    try:
        _begin_immediately(session)
        yield session
        session.commit()
    except IntegrityError as error:
        rollback_quietly(session)
        logger.info("write refused by a constraint: %s", type(error.orig).__name__ if error.orig else "unknown")
        raise (conflict or Conflict(CONCURRENT_CHANGE)) from None
    except BaseException:
        rollback_quietly(session)
        raise
    finally:
        session.info.pop(_ACTIVE, None)
        _write_intent.reset(token)


def rollback_quietly(session: Session) -> None:
    """Roll back; a rollback that itself fails (the connection is gone) is logged, never raised,
    so the error that caused it is the one the caller sees."""
    try:
        session.rollback()
    except Exception as error:
        logger.warning("rollback failed: %s", type(error).__name__)


def _begin_immediately(session: Session) -> None:
    # On SQLite the session may already be "in a transaction" for its reads (the request looked
    # the user up), which holds nothing at the database (autocommit); end it, so that the unit of
    # work's own transaction begins now, with BEGIN IMMEDIATE, before its first read.
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()
    session.connection()


def _refuse_flush_outside(session: Session, _flush_context, _instances) -> None:
    if not session.info.get(_ACTIVE):
        raise WriteOutsideUnitOfWork("Changes must be written inside `with transaction():` (services.unit_of_work).")


def _refuse_dml_outside(state) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and not state.session.info.get(_ACTIVE):
        raise WriteOutsideUnitOfWork("INSERT, UPDATE and DELETE must run inside `with transaction():`.")


def _sqlite_connect(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Autocommit at the driver level: SQLAlchemy's begin event below emits the BEGIN.
        dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:
    # Only a unit of work opens a database transaction; a plain read runs in the driver's autocommit
    # mode, as it did under pysqlite's own handling, so it always sees the latest commit (a long
    # read transaction would pin a stale snapshot). Emitted on the driver's connection: it is
    # transaction control, not a statement of the use case.
    if connection.dialect.name == "sqlite" and _write_intent.get():
        connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE")


def install() -> None:
    """Take over SQLite's transaction handling and refuse writes outside a unit of work (see the
    module docstring); once per process, for every engine and session."""
    global _installed
    if not _installed:
        sa.event.listen(Engine, "connect", _sqlite_connect)
        sa.event.listen(Engine, "begin", _sqlite_begin)
        sa.event.listen(Session, "before_flush", _refuse_flush_outside)
        sa.event.listen(Session, "do_orm_execute", _refuse_dml_outside)
        _installed = True
