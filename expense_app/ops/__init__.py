"""Operations: logging, health checks, metrics and database plumbing."""

from flask import Flask


def register_ops(app: Flask) -> None:
    """Install the health endpoints."""
    from expense_app.ops.health import bp as health_bp

    app.register_blueprint(health_bp)
