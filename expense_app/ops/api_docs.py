"""API documentation pages: Swagger UI at /api/docs, ReDoc at /api/redoc, the spec at /api/openapi.json.

flask-smorest serves the pages and the spec (see the `OPENAPI_*` settings in config.py). Their
assets come from installed packages, never a CDN: Swagger UI from the flask-swagger-ui wheel's
`dist/` directory (served here under /api/docs/assets/), ReDoc from npm via static/vendor/ (a
missing file is a 404 JSON, and `expense_app.ops.assets` warns about it at start-up). The
page templates (templates/swagger_ui.html, templates/redoc.html) override smorest's so that no
inline script is needed under the Content-Security-Policy. `/docs`, `/redoc` and `/openapi.json`
redirect to the real locations.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request
from flask_smorest import Api

from expense_app.ops.assets import SWAGGER_UI_DIST

REDOC_BUNDLE = Path("vendor") / "redoc" / "redoc.standalone.js"
# ReDoc's sidebar shows its maker's logo from their CDN; under img-src 'self' data: that is a CSP
# violation (and a third-party request). An empty data: image fails to load and ReDoc hides it.
REDOC_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"

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


def redoc_bundle() -> Response:
    """ReDoc's standalone bundle (npm, static/vendor) without its one third-party URL.

    Aborts with 404 when the bundle is not installed (the start-up warning says how to install it).
    """
    cache = current_app.extensions.setdefault("api_docs", {})
    if "redoc" not in cache:
        source = Path(current_app.static_folder) / REDOC_BUNDLE
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            abort(404)
        cache["redoc"] = text.replace(REDOC_LOGO_URL, "data:,")
    response = Response(cache["redoc"], mimetype="text/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()
    return response.make_conditional(request)


def register_api_docs(app: Flask, api: Api) -> None:
    """Serve the Swagger UI assets, add the tag list and the short redirects."""
    assets = Blueprint(
        "swagger_ui_assets", __name__, static_folder=str(SWAGGER_UI_DIST), static_url_path="/api/docs/assets"
    )
    app.register_blueprint(assets)
    add_missing_tags(api)

    redirects = Blueprint("docs_redirects", __name__)
    redirects.add_url_rule("/api/redoc/assets/redoc.standalone.js", endpoint="redoc_bundle", view_func=redoc_bundle)
    for source, target in DOC_REDIRECTS.items():
        redirects.add_url_rule(
            source, endpoint=source.strip("/").replace(".", "_"), view_func=lambda target=target: redirect(target, 301)
        )
    app.register_blueprint(redirects)
