"""marshmallow schemas of the JSON API: shape and type only, rules live in the services."""

from marshmallow import RAISE, Schema

from expense_app.responses import ApiErrorSchema  # the one error model; lives with its renderer

__all__ = ["ApiErrorSchema", "StrictSchema"]


class StrictSchema(Schema):
    """Unknown fields are an error (422), so a typo or a mass-assignment attempt is never ignored."""

    class Meta:
        unknown = RAISE
        ordered = True
