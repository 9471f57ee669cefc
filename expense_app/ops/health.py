"""Liveness check: `/health` answers without touching the database."""

from datetime import UTC, datetime

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """Liveness: the process serves requests. Returns status, version and a UTC timestamp."""
    return {
        "status": "healthy",
        "version": current_app.config["API_VERSION"],
        "timestamp": datetime.now(UTC).isoformat(),
    }
