"""marshmallow schemas of the JSON API: shape and type only, rules live in the services."""

from marshmallow import RAISE, Schema, fields


class StrictSchema(Schema):
    """Unknown fields are an error (422), so a typo or a mass-assignment attempt is never ignored."""

    class Meta:
        unknown = RAISE
        ordered = True


class ApiErrorSchema(Schema):
    """The body of every API error."""

    code = fields.Integer(required=True, metadata={"example": 422})
    status = fields.String(required=True, metadata={"example": "Unprocessable Entity"})
    message = fields.String(required=True, metadata={"example": "Invalid input: amount: Must be greater than 0."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Field name to its messages; present for input errors."},
    )
