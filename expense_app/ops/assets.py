"""Third-party front-end assets: which files the app serves itself, and a start-up check for them.

Nothing comes from a CDN: Bootstrap, Chart.js and ReDoc are copied from npm into `static/vendor/`
(git-ignored) by `make install` (`npm ci`, then `scripts/vendor_assets.py`), and Swagger UI comes
from the flask-swagger-ui wheel. A fresh clone that skipped that step would serve broken pages, so
the app logs one warning at start-up naming every missing file and the command that installs it;
a request for a missing file is a 404, never a crash.
"""

from __future__ import annotations

import logging
from pathlib import Path

import flask_swagger_ui
from flask import Flask

logger = logging.getLogger(__name__)

INSTALL_HINT = "run `make install` (npm ci, then python scripts/vendor_assets.py)"

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
# The files smorest's Swagger UI page loads from OPENAPI_SWAGGER_UI_URL.
SWAGGER_UI_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")
# The files under static/vendor/ that the pages load (the accessibility tests' axe is not served).
VENDOR_FILES = (
    "bootstrap/bootstrap.min.css",
    "bootstrap/bootstrap.bundle.min.js",
    "chartjs/chart.umd.min.js",
    "redoc/redoc.standalone.js",
)


def missing_assets(app: Flask) -> list[str]:
    """The vendored files that are not installed, as paths relative to the project (or the wheel)."""
    vendor = Path(app.static_folder) / "vendor"
    missing = [f"static/vendor/{name}" for name in VENDOR_FILES if not (vendor / name).is_file()]
    missing += [f"flask_swagger_ui/dist/{name}" for name in SWAGGER_UI_FILES if not (SWAGGER_UI_DIST / name).is_file()]
    return missing


def warn_missing_assets(app: Flask) -> None:
    """Log one warning naming every missing front-end file and how to install them."""
    missing = missing_assets(app)
    if missing:
        logger.warning("front-end assets missing: %s; %s", ", ".join(missing), INSTALL_HINT)
