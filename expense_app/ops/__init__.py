"""Operations: logging, health checks, metrics, error tracking, API docs and security headers."""

import logging

from flask import Flask

logger = logging.getLogger(__name__)


def register_ops(app: Flask) -> None:
    """Install the guarded JSON decoder, the health endpoints, `/metrics` and (when configured)
    Sentry; warn of missing assets."""
    from expense_app.ops import request_guards
    from expense_app.ops.assets import warn_missing_assets
    from expense_app.ops.error_tracking import init_sentry
    from expense_app.ops.health import bp as health_bp
    from expense_app.ops.metrics import register_metrics

    request_guards.install(app)
    app.register_blueprint(health_bp)
    register_metrics(app)
    init_sentry(app)
    warn_missing_assets(app)
    if app.config["ENV"] == "production" and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        logger.warning(
            "rate limits are counted per worker process (RATELIMIT_STORAGE_URI=memory://); "
            "set RATELIMIT_STORAGE_URI=redis://... so all workers share one budget"
        )
