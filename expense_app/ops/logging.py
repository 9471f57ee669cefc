"""Logging set-up: one stdout handler at `LOG_LEVEL`, text or JSON lines by `LOG_FORMAT`."""

import logging
import sys

from flask import Flask
from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def setup_logging(app: Flask) -> None:
    """Configure the root logger once per app; SQLAlchemy's engine stays at WARNING."""
    level = getattr(logging, app.config.get("LOG_LEVEL", "INFO"), logging.INFO)
    handler = logging.StreamHandler(sys.stdout)
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter(JSON_FORMAT, rename_fields={"asctime": "time", "levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.set_name("expense_app")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "expense_app":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
