"""The one place that turns any error into a response (installed by `create_app`).

Domain errors (`expense_app.errors`), HTTP exceptions, database outages and crashes each become one
response: JSON `{"code", "status", "message", "errors"?}` under `/api`, an HTML page in the site
layout elsewhere (`expense_app.responses.error_response`). Every handler rolls the session back
first, quietly: a rollback on a connection that just died must not turn the answer into a crash.
"""

from __future__ import annotations

import logging

from flask import Flask, g
from sqlalchemy.exc import DBAPIError, OperationalError

from expense_app.errors import ServiceError
from expense_app.extensions import db, login_manager
from expense_app.ops.rate_limits import error_headers, keep_retry_after
from expense_app.responses import error_response
from expense_app.services.unit_of_work import rollback_quietly

logger = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for domain errors, database outages and unexpected crashes."""

    @app.errorhandler(ServiceError)
    def handle_service_error(error: ServiceError):
        rollback_quietly(db.session)
        headers = error_headers(error)  # TooManyAttempts: its window, not the limiter's
        return error_response(error.status_code, error.message, error.errors or None, headers=headers or None)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def handle_database_down(error: DBAPIError):
        # A lost or refused connection: say "try again", never the driver's message.
        rollback_quietly(db.session)
        if isinstance(error, OperationalError) or error.connection_invalidated:
            logger.error("database unavailable: %s", type(error.orig).__name__ if error.orig else "unknown")
            # The page layout asks flask-login for the current user, which would query the database
            # that just failed (and turn this 503 into a crash): show the page as to a visitor.
            g._login_user = login_manager.anonymous_user()
            # Kept over the limiter's own window (32-60 s) by rate_limits.fix_retry_after.
            return error_response(
                503, "The database is unavailable; please try again shortly.", headers=keep_retry_after(5)
            )
        logger.exception("database error")
        return error_response(500)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # HTTPExceptions never get here: smorest's more specific HTTPException handler wins.
        logger.exception("unhandled error")
        rollback_quietly(db.session)
        return error_response(500)
