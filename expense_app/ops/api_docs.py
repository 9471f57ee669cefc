"""API documentation pages: Swagger UI at /api/docs, ReDoc at /api/redoc, the spec at /api/openapi.json.

flask-smorest serves the pages and the spec (see the `OPENAPI_*` settings in config.py). Their
assets come from installed packages, never a CDN: Swagger UI from the flask-swagger-ui wheel's
`dist/` directory (served here under /api/docs/assets/), ReDoc from npm via static/vendor/. The
page templates (templates/swagger_ui.html, templates/redoc.html) override smorest's so that no
inline script is needed under the Content-Security-Policy. `/docs`, `/redoc` and `/openapi.json`
redirect to the real locations.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask, redirect
from flask_smorest import Api

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"

# The API's areas in the order the docs show them, including those whose endpoints land later.
TAGS = (
    ("Authentication", "Create an account, exchange credentials for tokens, refresh and revoke them."),
    ("Users", "The authenticated user's profile, password and account."),
    ("Categories", "Expense categories: the starter set every account gets, and your own."),
    ("Expenses", "Record, list, filter, update and delete expenses. Amounts are decimal strings."),
    ("Analytics", "Totals and trends over your expenses: by category, by month, summaries."),
)

DOC_REDIRECTS = {"/docs": "/api/docs", "/redoc": "/api/redoc", "/openapi.json": "/api/openapi.json"}


def add_missing_tags(api: Api) -> None:
    """Declare each area's tag unless a registered blueprint already did, then order them.

    flask-smorest adds a tag per blueprint (name and description); the areas that have no
    blueprint yet still get listed, so the documented structure does not depend on what landed.
    """
    spec = api.spec
    present = {tag["name"] for tag in spec._tags}  # apispec keeps tags in this list only
    for name, description in TAGS:
        if name not in present:
            spec.tag({"name": name, "description": description})
    order = {name: position for position, (name, _) in enumerate(TAGS)}
    spec._tags.sort(key=lambda tag: order.get(tag["name"], len(order)))


def register_api_docs(app: Flask, api: Api) -> None:
    """Serve the Swagger UI assets, add the tag list and the short redirects."""
    assets = Blueprint(
        "swagger_ui_assets", __name__, static_folder=str(SWAGGER_UI_DIST), static_url_path="/api/docs/assets"
    )
    app.register_blueprint(assets)
    add_missing_tags(api)

    redirects = Blueprint("docs_redirects", __name__)
    for source, target in DOC_REDIRECTS.items():
        redirects.add_url_rule(
            source, endpoint=source.strip("/").replace(".", "_"), view_func=lambda target=target: redirect(target, 301)
        )
    app.register_blueprint(redirects)
