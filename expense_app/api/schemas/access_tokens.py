"""Schemas of the personal access tokens API: shape and type only (the rules are the service's)."""

from marshmallow import fields, validate

from expense_app.api.schemas import StrictSchema
from expense_app.services.access_tokens import MAX_LIFETIME_DAYS, NAME_MAX_LENGTH, SCOPES, is_live

TIMESTAMP_EXAMPLE = "2026-11-26T09:30:00+00:00"


class AccessTokenCreateSchema(StrictSchema):
    name = fields.String(
        required=True,
        metadata={
            "description": f"What the token is for, 1-{NAME_MAX_LENGTH} characters; unique among your live tokens.",
            "example": "Nightly backup script",
        },
    )
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        metadata={
            "description": "`read` (GET requests only) and/or `write` (everything; it includes `read`).",
            "example": ["read"],
        },
    )
    expires_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=None,
        metadata={
            "description": f"When the token stops working (UTC offset required); at most {MAX_LIFETIME_DAYS} days "
            "from now. Omit it (and `expires_in_days`) for a token that works until revoked.",
            "example": "2027-03-31T00:00:00+00:00",
        },
    )
    expires_in_days = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={
            "description": f"Instead of `expires_at`: the token expires this many days from now (1-{MAX_LIFETIME_DAYS}).",
            "example": 90,
        },
    )


class AccessTokenSchema(StrictSchema):
    """A token's metadata: never the token itself (it is shown once, by the create operation)."""

    id = fields.Integer(dump_only=True, metadata={"example": 3})
    name = fields.String(dump_only=True, metadata={"example": "Nightly backup script"})
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), dump_only=True, metadata={"example": ["read"]})
    created_at = fields.AwareDateTime(dump_only=True, metadata={"example": TIMESTAMP_EXAMPLE})
    last_used_at = fields.AwareDateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Updated at most once a minute; null until first used.", "example": None},
    )
    expires_at = fields.AwareDateTime(
        dump_only=True, allow_none=True, metadata={"description": "Null: never expires.", "example": None}
    )
    revoked_at = fields.AwareDateTime(dump_only=True, allow_none=True, metadata={"example": None})
    active = fields.Function(
        is_live,
        dump_only=True,
        metadata={"type": "boolean", "description": "True while the token works: not revoked, not expired."},
    )


class CreatedAccessTokenSchema(AccessTokenSchema):
    token = fields.String(
        dump_only=True,
        metadata={
            "description": "The token, shown this once: send it as `Authorization: Bearer <token>`. Only its "
            "SHA-256 is kept, so it cannot be shown again.",
            "example": "em_pat_3q2f8Jx0mN4yHkT7bV1cR9wZ6sP5aL2dE8gU0iO4nMk",
        },
    )
