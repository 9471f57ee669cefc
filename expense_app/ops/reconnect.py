"""Recover from a dead pooled PostgreSQL connection by retrying a transaction's first statement once.

This replaces `pool_pre_ping`, which paid a `SELECT 1` round trip on every pool checkout (every
request) to find out what the first real statement finds out anyway. SQLAlchemy has no transparent
reconnect, by design: once a transaction has done work, a lost connection loses that work, and only
the application can redo it (SQLAlchemy FAQ, "How Do I 'Retry' a Statement Execution
Automatically?"). One case is safe, though, and it is the one pre-ping covered: the statement about to
run is the first of its transaction. Then the database has nothing of this transaction to lose -- an
uncommitted transaction of a dead connection is rolled back by the server, so even a first INSERT that
reached the server cannot take effect twice -- and the statement can run again on a new connection.

`install(engine)` hooks the dialect's `do_execute` / `do_execute_no_params` events (the documented
place to take over `cursor.execute()`, used by the FAQ's own retry recipe). The handler acts only when

- psycopg2 reports no transaction open on the connection (`info.transaction_status` is IDLE: a local
  check, no round trip) and the connection is not in autocommit mode (where every statement commits
  on its own, so a statement cut after it ran must not run again);
- the error is one the dialect classifies as a disconnect (`dialect.is_disconnect`).

It then invalidates the dead connection's pool record, reconnects that record (the pool's `connect`
events run as for any new connection), points the checked-out connection at it and runs the statement
once more. Any other failure, a second failure, or a failed reconnect goes the ordinary way: SQLAlchemy
invalidates the connection and raises, and the error handlers answer 503. A disconnect in the middle of
a transaction is therefore never retried.

`executemany` is not retried: a driver may have sent part of its parameter sets.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

logger = logging.getLogger(__name__)


def _first_statement_of_transaction(dbapi_connection) -> bool:
    return not dbapi_connection.autocommit and dbapi_connection.info.transaction_status == TRANSACTION_STATUS_IDLE


def _reconnect(context, error: BaseException):
    """Swap the checked-out connection's dead DBAPI connection for a new one; return a new cursor."""
    proxied = context.root_connection.connection  # the pool's checked-out connection ("fairy")
    record = proxied._connection_record
    record.invalidate(error)  # closes the dead connection; the record keeps its place in the pool
    proxied.dbapi_connection = record.get_connection()  # reconnects, running the pool's connect events
    context.cursor = context.create_cursor()  # a named (server-side) cursor stays one
    return context.cursor


def _execute(cursor, statement: str, parameters, context) -> None:
    if parameters is None:
        context.dialect.do_execute_no_params(cursor, statement, context)
    else:
        context.dialect.do_execute(cursor, statement, parameters, context)


def _run(cursor, statement: str, parameters, context) -> bool:
    dialect = context.dialect
    if not _first_statement_of_transaction(cursor.connection):
        return False  # mid-transaction: SQLAlchemy executes it, and a disconnect is an error
    try:
        _execute(cursor, statement, parameters, context)
    except dialect.loaded_dbapi.Error as error:
        if not dialect.is_disconnect(error, cursor.connection, cursor):
            raise
        logger.warning("database connection lost before the first statement; retrying once: %s", type(error).__name__)
        try:
            cursor = _reconnect(context, error)
        except dialect.loaded_dbapi.Error:
            # Still unreachable (the database is down): the original disconnect goes the ordinary
            # way, SQLAlchemy invalidates the connection and the error handlers answer 503.
            raise error from None
        _execute(cursor, statement, parameters, context)
    return True


def _do_execute(cursor, statement, parameters, context) -> bool:
    return _run(cursor, statement, parameters, context)


def _do_execute_no_params(cursor, statement, context) -> bool:
    return _run(cursor, statement, None, context)


def install(engine: sa.Engine) -> None:
    """Retry the first statement of each transaction once on a disconnect (psycopg2 engines only)."""
    if engine.dialect.driver != "psycopg2":
        return
    if not sa.event.contains(engine, "do_execute", _do_execute):
        sa.event.listen(engine, "do_execute", _do_execute)
        sa.event.listen(engine, "do_execute_no_params", _do_execute_no_params)
