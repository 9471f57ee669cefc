"""The JSON API under /api/v1 (flask-smorest), and its OpenAPI documentation under /api."""

from flask import Flask

from expense_app.extensions import api, csrf

SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}


def register_api(app: Flask) -> None:
    """Bind the Api, register every blueprint under /api/v1, and exempt them from CSRF.

    The API authenticates with bearer tokens only, never the session cookie, so cookie-based
    CSRF cannot reach it.
    """
    from expense_app.api import analytics, auth, budgets, categories, expenses, recurring, tags, users

    api.init_app(app, spec_kwargs={"info": {"description": app.config["API_DESCRIPTION"]}})
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEMES["bearerAuth"])
    for module in (auth, users, categories, expenses, tags, analytics, budgets, recurring):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.URL_PREFIX}")
        csrf.exempt(module.blp)
    # Docs pages, asset routes, tags of every area and the /docs-style redirects (expense_app.ops.api_docs).
    from expense_app.ops.api_docs import register_api_docs

    register_api_docs(app, api)
