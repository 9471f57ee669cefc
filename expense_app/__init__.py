"""Expense Manager: one Flask app with server-rendered pages and a JSON API under /api/v1.

`create_app` is the only entry point; it is a short list of `register_*` steps so each concern
(configuration, extensions, errors, API, web pages, CLI) is wired in one obvious place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from config import Config, ConfigError, load_config


def create_app(config: Config | Mapping | None = None) -> Flask:
    """Build the app. `config` is a Config instance, a mapping of overrides, or None (from `ENV`).

    An invalid configuration ends the process with one line naming the variable.
    """
    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_relative_config=True)
    register_config(app, config)
    register_url_converters(app)
    register_logging(app)
    register_extensions(app)
    register_security_headers(app)
    register_error_handlers(app)
    register_ops(app)
    register_api(app)
    register_web(app)
    register_cli(app)
    return app


def register_config(app: Flask, config: Config | Mapping | None) -> None:
    try:
        base = config if isinstance(config, Config) else load_config()
    except ConfigError as exc:
        raise SystemExit(f"Configuration error: {exc}") from None
    app.config.from_object(base)
    if isinstance(config, Mapping):
        app.config.update(config)
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])


def _ensure_sqlite_folder(uri: str) -> None:
    # SQLite creates the file but not its folder (instance/ on a fresh clone).
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def register_url_converters(app: Flask) -> None:
    from expense_app.converters import register_url_converters as install

    install(app)


def register_logging(app: Flask) -> None:
    from expense_app.ops.logging import setup_logging

    setup_logging(app)


def register_extensions(app: Flask) -> None:
    from expense_app.extensions import compress, csrf, db, jwt, limiter, login_manager, mail, migrate
    from expense_app.ops.database import register_database_events

    db.init_app(app)
    register_database_events(app)
    migrate.init_app(app, db, compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    jwt.init_app(app)
    login_manager.init_app(app)
    compress.init_app(app)
    mail.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def register_security_headers(app: Flask) -> None:
    from expense_app.ops.security_headers import register_security_headers as install

    install(app)


def register_error_handlers(app: Flask) -> None:
    from expense_app import security
    from expense_app.error_handlers import register_error_handlers as install

    install(app)
    security.init_app(app)


def register_ops(app: Flask) -> None:
    from expense_app.ops import register_ops as install

    install(app)


def register_api(app: Flask) -> None:
    from expense_app.api import register_api as install

    install(app)


def register_web(app: Flask) -> None:
    from expense_app.web import register_web as install

    install(app)


def register_cli(app: Flask) -> None:
    from expense_app.cli import register_cli as install

    install(app)
