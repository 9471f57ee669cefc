"""The server-rendered HTML face: flask-login sessions, Flask-WTF forms, Jinja templates."""

from flask import Flask


def register_web(app: Flask) -> None:
    """Register the page blueprints and the template helpers they share."""
    from expense_app.web import (
        access_tokens,
        auth,
        budgets,
        categories,
        dashboard,
        expenses,
        imports,
        password_reset,
        recurring,
        rules,
        security_settings,
        settings,
        two_factor,
    )
    from expense_app.web.assets import register_assets
    from expense_app.web.filters import register_template_helpers

    for module in (
        auth,
        dashboard,
        settings,
        access_tokens,
        two_factor,
        expenses,
        categories,
        budgets,
        recurring,
        rules,
        imports,
    ):
        app.register_blueprint(module.bp)
    for module in (password_reset, security_settings):
        app.register_blueprint(module.bp)
    register_template_helpers(app)
    register_assets(app)
