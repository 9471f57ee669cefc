"""Health checks for load balancers and operators.

- `/health` (liveness): the process serves requests; never touches the database, so a database
  outage does not get healthy workers restarted.
- `/health/db` (readiness): `SELECT 1`, then the database's alembic revision against the code's
  migration head. 200 when both are fine; 503 `"unhealthy"` when the database is unreachable or
  the schema is behind (or ahead of) the code. The body never contains an exception's text.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app

from expense_app.extensions import db, limiter

bp = Blueprint("health", __name__)
limiter.exempt(bp)
logger = logging.getLogger(__name__)


@bp.get("/health")
def health():
    """Liveness: the process serves requests. Returns status, version and a UTC timestamp."""
    return {
        "status": "healthy",
        "version": current_app.config["API_VERSION"],
        "timestamp": datetime.now(UTC).isoformat(),
    }


def code_heads() -> set[str]:
    """The migration head revision(s) shipped with this code (read once per app)."""
    cache = current_app.extensions.setdefault("health", {})
    if "heads" not in cache:
        directory = current_app.extensions["migrate"].directory
        cache["heads"] = set(ScriptDirectory(directory).get_heads())
    return cache["heads"]


def database_heads() -> set[str]:
    """`SELECT 1`, then the revision(s) recorded in the database's alembic_version table."""
    with db.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
        return set(MigrationContext.configure(connection).get_current_heads())


@bp.get("/health/db")
def health_db():
    """Readiness: database reachable and migrated to the code's head; 503 otherwise."""
    try:
        current = database_heads()
    except Exception as error:  # any failure to reach the database means "not ready"
        logger.error("health check: database unreachable (%s)", type(error).__name__)
        return {"status": "unhealthy", "database": "unreachable", "migrations": "unknown"}, 503
    expected = code_heads()
    if current != expected:
        logger.error(
            "health check: migrations not current",
            extra={"database_revision": sorted(current), "code_revision": sorted(expected)},
        )
        return {"status": "unhealthy", "database": "connected", "migrations": "pending"}, 503
    return {"status": "healthy", "database": "connected", "migrations": "current"}
