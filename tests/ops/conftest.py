"""Fixtures of the operations tests: apps built with settings that must be known at start-up.

Extensions read their settings in `init_app` (the limiter's switch and storage, Talisman's HTTPS
redirect, the metrics mode), so `app_factory`'s overrides, applied after `create_app`, come too late
for them. `build_app` puts the settings into the config object first. Apps it builds share the
suite's database; asking for `app_factory` makes its teardown empty the tables afterwards.
"""

from __future__ import annotations

import io
import logging

import pytest

from config import ARGON2_CHEAP, ProductionConfig, TestingConfig
from expense_app import create_app
from expense_app.ops.logging import HANDLER_NAME

PRODUCTION_SECRET = "s3cr3t-" + "k" * 40
METRICS_SECRET = "metrics-" + "m" * 32  # production refuses to start without a METRICS_TOKEN


@pytest.fixture
def build_app(database_url, app_factory):
    """`build_app(production=False, **settings)`: an app on the test database with `settings`."""

    def build(production: bool = False, **settings):
        if production:
            config = ProductionConfig(
                {"SECRET_KEY": PRODUCTION_SECRET, "DATABASE_URL": database_url, "METRICS_TOKEN": METRICS_SECRET}
            )
        else:
            config = TestingConfig()
        config.SQLALCHEMY_DATABASE_URI = database_url
        config.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
        config.PASSWORD_HASHER = dict(ARGON2_CHEAP)
        config.WTF_CSRF_ENABLED = False
        for key, value in settings.items():
            setattr(config, key, value)
        return create_app(config)

    return build


@pytest.fixture
def log_output():
    """Return a function giving everything the app's log handler wrote since the app was built.

    Reads the real handler (formatter, filters, redaction), not pytest's capture. Call
    `log_output.attach()` after building the app, `log_output()` for the text.
    """
    stream = io.StringIO()

    def attach():
        for handler in logging.getLogger().handlers:
            if handler.get_name() == HANDLER_NAME:
                handler.setStream(stream)
                return
        raise AssertionError("the app installed no log handler")

    def read() -> str:
        return stream.getvalue()

    read.attach = attach
    return read
