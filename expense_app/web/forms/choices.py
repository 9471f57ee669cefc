"""The options of the forms' select boxes, defined once for every page that shows them.

Labels only: which values are valid is the services' rule (`models.PAYMENT_METHODS`,
`rules.iso_currencies`, the user's own categories).
"""

from __future__ import annotations

from wtforms import SelectChoice

from expense_app.models import PAYMENT_METHODS
from expense_app.services.categories import CategoryOption
from expense_app.services.rules import iso_currencies


def payment_method_label(method: str) -> str:
    """`credit_card` -> `Credit card`."""
    return method.replace("_", " ").capitalize()


PAYMENT_METHOD_CHOICES = [SelectChoice(method, payment_method_label(method)) for method in PAYMENT_METHODS]
PAYMENT_METHOD_LABELS = {choice.value: choice.label for choice in PAYMENT_METHOD_CHOICES}


def currency_choices() -> list[SelectChoice]:
    """Every ISO 4217 code, sorted (a callable: WTForms builds the list when the form is rendered)."""
    return [SelectChoice(code) for code in sorted(iso_currencies())]


def category_choices(options: list[CategoryOption]) -> list[SelectChoice]:
    """The user's categories as options (value = id as text)."""
    return [SelectChoice(str(option.id), option.name) for option in options]
