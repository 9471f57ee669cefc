"""Jinja helpers shared by every page: money formatting in the user's currency."""

from decimal import Decimal

from babel.numbers import format_currency
from flask import Flask


def money(amount: Decimal | None, currency: str = "USD") -> str:
    """Format `amount` in `currency`, e.g. `$1,234.50` (en locale)."""
    return format_currency(amount or Decimal("0"), currency, locale="en_US")


# Main navigation, in order. A link shows once its endpoint is registered, so a page
# blueprint only has to exist to appear in the menu.
NAV_LINKS = (
    ("dashboard.index", "Dashboard"),
    ("expenses.index", "Expenses"),
    ("categories.index", "Categories"),
    ("budgets.index", "Budgets"),
    ("recurring.index", "Recurring"),
)


def _nav_links_for(app: Flask):
    def nav_links() -> list[tuple[str, str]]:
        return [(endpoint, label) for endpoint, label in NAV_LINKS if endpoint in app.view_functions]

    return nav_links


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_global(_nav_links_for(app), "nav_links")
