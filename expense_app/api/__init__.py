"""The JSON API under /api/v1 (flask-smorest), and its OpenAPI documentation under /api.

What applies to every operation is installed here once, never per route: the API rate-limit budget
(`expense_app.ops.rate_limits`), `Idempotency-Key` on POSTs (`expense_app.api.idempotency`) and
the document's cross-cutting rules for generated clients (`expense_app.api.spec`).
"""

import copy

from flask import Flask

from expense_app.extensions import api, csrf

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "Either credential, as `Authorization: Bearer <credential>`: a JWT access token from "
            "`POST /auth/login` (30 minutes; renew it with `POST /auth/refresh`), or a personal access "
            "token `em_pat_...` from `POST /tokens` (long-lived, for scripts). A token with only the "
            "`read` scope may send GET requests only; any other method answers 403."
        ),
    }
}


def register_api(app: Flask) -> None:
    """Bind the Api, register every blueprint under /api/v1, and exempt them from CSRF.

    The API authenticates with bearer tokens only, never the session cookie, so cookie-based
    CSRF cannot reach it.
    """
    from expense_app.api import (
        access_tokens,
        analytics,
        auth,
        budgets,
        categories,
        expenses,
        idempotency,
        import_presets,
        imports,
        recurring,
        rules,
        suggestions,
        tags,
        two_factor,
        users,
    )
    from expense_app.api.spec import ClientFriendlySpec, enum_attributes, servers
    from expense_app.ops import rate_limits

    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": app.config["API_DESCRIPTION"]},
            "servers": servers(app),
            "extra_plugins": [ClientFriendlySpec()],
        },
    )
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEMES["bearerAuth"])
    api.ma_plugin.converter.add_attribute_function(enum_attributes)
    # The document is the same for every app built with the same API settings: build it once per
    # process and hand later apps a copy. The test suite builds an app per test, and building the
    # document was three quarters of that (0.7 s of 0.9 s); a worker builds one app and is unaffected.
    cached = _DOCUMENTS.get(_document_key(app))
    for module in (
        auth,
        users,
        two_factor,
        categories,
        expenses,
        tags,
        analytics,
        budgets,
        recurring,
        rules,
        suggestions,
        imports,
        import_presets,
        access_tokens,
    ):
        rate_limits.limit_api_blueprint(module.blp)
        if cached is None:
            api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.URL_PREFIX}")
        else:  # flask-smorest's registration without the documentation step
            app.extensions["flask-smorest"]["blp_name_to_api"][module.blp.name] = api
            app.register_blueprint(module.blp, url_prefix=f"/api/v1{module.URL_PREFIX}")
        csrf.exempt(module.blp)
    idempotency.install(app)
    # Said once at start, where the two-factor endpoints are wired in (expense_app.crypto).
    from expense_app.crypto import warn_without_dedicated_key

    warn_without_dedicated_key(app)
    rate_limits.install(app)
    # Docs pages, asset routes, tags of every area and the /docs-style redirects (expense_app.ops.api_docs).
    from expense_app.ops.api_docs import register_api_docs

    register_api_docs(app, api)
    if cached is None:
        _DOCUMENTS[_document_key(app)] = cached = api.spec.to_dict()
    api.spec.to_dict = lambda: copy.deepcopy(cached)


# The OpenAPI document per set of API settings, built once per process (see `register_api`).
_DOCUMENTS: dict[tuple, dict] = {}


def _document_key(app: Flask) -> tuple:
    """What the document depends on: the API's settings (title, version, servers, docs paths...)."""
    return tuple(
        sorted((key, repr(value)) for key, value in app.config.items() if key.startswith(("API_", "OPENAPI_")))
    )
