"""The options of the forms' select boxes, defined once for every page that shows them.

Labels only: which values are valid is the services' rule (`models.PAYMENT_METHODS`,
`rules.iso_currencies`, `locales.clean_locale`, the user's own categories).
"""

from __future__ import annotations

from babel.numbers import get_currency_name
from wtforms import SelectChoice

from expense_app.models import PAYMENT_METHODS
from expense_app.services.categories import CategoryOption
from expense_app.services.locales import COMMON_LOCALES, locale_names
from expense_app.services.rules import iso_currencies


def payment_method_label(method: str) -> str:
    """`credit_card` -> `Credit card`."""
    return method.replace("_", " ").capitalize()


PAYMENT_METHOD_CHOICES = [SelectChoice(method, payment_method_label(method)) for method in PAYMENT_METHODS]
PAYMENT_METHOD_LABELS = {choice.value: choice.label for choice in PAYMENT_METHOD_CHOICES}


def currency_choices() -> list[SelectChoice]:
    """Every ISO 4217 code, sorted (a callable: WTForms builds the list when the form is rendered)."""
    return [SelectChoice(code) for code in sorted(iso_currencies())]


def named_currency_choices(locale: str) -> list[SelectChoice]:
    """Every ISO 4217 code with its name in `locale`, sorted by code: `EUR — Euro` (`Euro` in
    de_DE too, `US-Dollar` for USD), so a newcomer recognises theirs without knowing the code."""
    return [
        SelectChoice(code, f"{code} — {get_currency_name(code, locale=locale)}") for code in sorted(iso_currencies())
    ]


def locale_choices() -> dict[str, list[SelectChoice]]:
    """Every Babel locale, named in its own language: the common ones first, then all by name."""
    names = locale_names()
    return {
        "Common": [SelectChoice(identifier, name) for identifier, name in names[: len(COMMON_LOCALES)]],
        "All locales": [SelectChoice(identifier, name) for identifier, name in names[len(COMMON_LOCALES) :]],
    }


def category_choices(options: list[CategoryOption]) -> list[SelectChoice]:
    """The user's categories as options (value = id as text)."""
    return [SelectChoice(str(option.id), option.name) for option in options]
