"""Jinja helpers shared by every page: amounts, numbers and dates written in the user's locale.

The locale is the signed-in user's (`users.locale`, a Babel id); a visitor who is not signed in
gets `DEFAULT_LOCALE`. Only what a person reads changes: values a machine reads (`data-`
attributes, `<input type="date">`, links) stay plain decimals and ISO dates.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_interval, format_skeleton
from babel.numbers import NumberPattern, format_currency, format_decimal
from flask import Flask, has_request_context
from flask_login import current_user

from expense_app.services.locales import DEFAULT_LOCALE, bcp47, locale_id


def current_locale() -> str:
    """The Babel id of the signed-in user's locale; `DEFAULT_LOCALE` for a visitor (or a bad value)."""
    signed_in = has_request_context() and current_user.is_authenticated
    locale = getattr(current_user, "locale", None) if signed_in else None
    return (locale_id(locale) if locale else None) or DEFAULT_LOCALE


def money(amount: Decimal | None, currency: str = "USD") -> str:
    """`amount` in `currency`, the user's way: `$1,234.50` (en_US), `1.234,50 €` (de_DE)."""
    return format_currency(amount or Decimal("0"), currency, locale=current_locale())


def number(value: Decimal | int | None) -> str:
    """A count or plain figure with the locale's digit grouping: `1,234` (en_US), `1.234` (de_DE)."""
    return format_decimal(value or 0, locale=current_locale())


def exchange_rate(value: Decimal | None) -> str:
    """An exchange rate with every stored decimal that matters (up to 10), the locale's way:
    `0.9181050312` (en_US), `0,9181050312` (de_DE); plain `number` would round it to 3 places."""
    return format_decimal(value or 0, format="#,##0.##########", locale=current_locale())


def percent(value: Decimal | int | None, places: int = 1) -> str:
    """A percentage given in percent (`27.2` means 27.2 %) with `places` decimals, the locale's way:
    `27.2%` (en_US), `27,2 %` (de_DE), `%27,2` (tr_TR). The services round; the places here only
    keep `79.0` from shrinking to `79`.
    """
    return _percent_pattern(current_locale(), places).apply(
        Decimal(str(value or 0)) / 100, Locale.parse(current_locale())
    )


@cache
def _percent_pattern(identifier: str, places: int) -> NumberPattern:
    pattern = copy.copy(Locale.parse(identifier).percent_formats[None])
    pattern.frac_prec = (places, places)
    return pattern


def date(value: dt.date | None, style: str = "medium") -> str:
    """A date the locale's way: `Mar 15, 2024` (en_US), `15.03.2024` (de_DE), `2024/03/15` (ja_JP).

    `style` is a Babel format (`short`, `medium`, `long`, `full`) or `weekday`: `Fri, Mar 15, 2024`.
    """
    if value is None:
        return ""
    if style == "weekday":
        return format_skeleton("yMMMEd", value, locale=current_locale())
    return format_date(value, style, locale=current_locale())


def day_and_month(value: dt.date) -> str:
    """A day without its year, for chart labels: `Mar 15` (en_US), `15. März` (de_DE)."""
    return format_skeleton("MMMd", value, locale=current_locale())


def month(value: dt.date | None, style: str = "long") -> str:
    """A month and year: `March 2024`, `März 2024`; `style="short"` gives `Mar 2024`, `März 2024`."""
    return (
        "" if value is None else format_skeleton("yMMMM" if style == "long" else "yMMM", value, locale=current_locale())
    )


def date_range(date_from: dt.date, date_to: dt.date) -> str:
    """A period such as `Nov 1 - 30, 2026` (en_US, with an en dash) or `1.-30. Nov. 2026` (de_DE); one date when equal."""
    if date_from == date_to:
        return date(date_from)
    return format_interval(date_from, date_to, "yMMMd", locale=current_locale())


def html_lang() -> str:
    """The page's `lang` attribute: the user's locale as a BCP 47 tag (`de-DE`)."""
    return bcp47(current_locale())


# Main navigation, in order. A link shows once its endpoint is registered, so a page
# blueprint only has to exist to appear in the menu.
NAV_LINKS = (
    ("dashboard.index", "Dashboard"),
    ("expenses.index", "Expenses"),
    ("categories.index", "Categories"),
    ("budgets.index", "Budgets"),
    ("recurring.index", "Recurring"),
    ("rules.index", "Rules"),
)


def _nav_links_for(app: Flask):
    def nav_links() -> list[tuple[str, str]]:
        return [(endpoint, label) for endpoint, label in NAV_LINKS if endpoint in app.view_functions]

    return nav_links


def register_template_helpers(app: Flask) -> None:
    for name, helper in {
        "money": money,
        "number": number,
        "exchange_rate": exchange_rate,
        "percent": percent,
        "date": date,
        "month": month,
        "date_range": date_range,
    }.items():
        app.add_template_filter(helper, name)
    app.add_template_global(html_lang, "html_lang")
    app.add_template_global(_nav_links_for(app), "nav_links")
