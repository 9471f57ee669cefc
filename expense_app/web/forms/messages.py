"""The checks the HTML forms make themselves, each with a message that says what to do.

WTForms' own messages ("This field is required.", "Field must be between 8 and 128 characters
long.") describe the failure, not the way out; every form builds its validators here instead, so
the wording lives in one place. The rules themselves (password length, which email is valid)
are the services'; these only catch what a form can see before calling one.
"""

from __future__ import annotations

from wtforms import ValidationError
from wtforms.validators import DataRequired


def required(what: str) -> DataRequired:
    """`what` is needed: "Enter your password."."""
    return DataRequired(message=f"Enter {what}.")


class AtMost:
    """At most `limit` characters, and the message says how many were typed.

    Never the `maxlength` attribute as well: a browser would cut a longer text without a word.
    """

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field) -> None:
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(f"Use at most {self.limit} characters (you typed {length}).")
