"""Sentry error tracking, switched on only when `SENTRY_DSN` is set.

Flask and SQLAlchemy integrations; `send_default_pii` stays off, so Sentry receives no cookies,
no user IP or e-mail, and its scrubber masks Authorization and password-like fields.
"""

from __future__ import annotations

from flask import Flask


def init_sentry(app: Flask) -> bool:
    """Initialise the Sentry SDK for `app` when `SENTRY_DSN` is set; return whether it was."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration(), SqlalchemyIntegration()],
        environment=app.config["ENV"],
        release=app.config["API_VERSION"],
        send_default_pii=False,
        traces_sample_rate=app.config.get("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )
    return True
