"""The amount box of the HTML forms: typed the user's way (`1.234,56` in de_DE), sent on plain.

`LocalAmountField` reads the text with `locales.parse_local_amount` when the form is validated, so
the service receives `1234.56` and stays the judge of the value (places, range, sign). A text that
cannot be read, or could be read two ways (`1.234` in de_DE), is a field error: the form is shown
again with the message and nothing reaches the service. What the user typed is shown back as typed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from wtforms import StringField, ValidationError

from expense_app.services.locales import amount_example, parse_local_amount
from expense_app.web.filters import current_locale

# An amount as the services give it to a form to show (`1234.56`).
_PLAIN_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


class LocalAmountField(StringField):
    """A text box for an amount in the user's locale; `data` is plain ASCII text once validated.

    `example` (a plain decimal such as `12.50`) becomes the placeholder, written the user's way;
    `{example}` in the description is replaced with it too.
    """

    def __init__(self, label=None, validators=None, *, example: str | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.example = amount_example(example, current_locale()) if example else None
        if self.example and self.description:
            self.description = self.description.replace("{example}", self.example)

    def pre_validate(self, form) -> None:
        try:
            self.data = parse_local_amount(self.data or "", current_locale())
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal) or (isinstance(self.data, str) and _PLAIN_AMOUNT.fullmatch(self.data)):
            # A stored amount (an edit form) is shown the way the user would type it: 12,50 in de_DE.
            return amount_example(self.data, current_locale())
        return self.data or ""

    def __call__(self, **kwargs):
        if self.example:
            kwargs.setdefault("placeholder", self.example)
        return super().__call__(**kwargs)
