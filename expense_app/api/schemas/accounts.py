"""Schemas of the Authentication and Users endpoints."""

from marshmallow import fields, validate

from expense_app.api.schemas import StrictSchema
from expense_app.services.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from expense_app.services.locales import LOCALE_MAX_LENGTH

# The length rule is the accounts service's (its 422 names the field); the schema describes it.
PASSWORD_SHAPE = {
    "minLength": PASSWORD_MIN_LENGTH,
    "maxLength": PASSWORD_MAX_LENGTH,
    "description": f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters.",
}

EMAIL_EXAMPLE = "alex@example.com"
# Pages only: the API's own figures stay machine-readable (decimal strings, ISO dates) whatever it says.
LOCALE_DESCRIPTION = (
    "Babel locale id (`en_US`, `de_DE`, `fr_CH`; `de-DE` is accepted) used by the HTML pages to write "
    "amounts, numbers and dates. API responses are not affected."
)
PASSWORD_EXAMPLE = "correct horse battery staple"  # noqa: S105 (documentation example)


class RegisterSchema(StrictSchema):
    email = fields.Email(required=True, metadata={"example": EMAIL_EXAMPLE})
    password = fields.String(required=True, load_only=True, metadata={**PASSWORD_SHAPE, "example": PASSWORD_EXAMPLE})
    full_name = fields.String(load_default="", validate=validate.Length(max=100), metadata={"example": "Alex Doe"})
    currency = fields.String(
        load_default="USD",
        validate=validate.Length(equal=3),
        metadata={"description": "ISO 4217 code, the default for new expenses.", "example": "USD"},
    )
    locale = fields.String(
        load_default=None,
        validate=validate.Length(max=LOCALE_MAX_LENGTH),
        metadata={"description": LOCALE_DESCRIPTION + " Default `en_US`.", "example": "en_US"},
    )


class LoginSchema(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(max=254), metadata={"example": EMAIL_EXAMPLE})
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(max=128), metadata={"example": PASSWORD_EXAMPLE}
    )


class TokenPairSchema(StrictSchema):  # a response: `required` says every field is sent
    access_token = fields.String(
        required=True, metadata={"description": "JWT for the Authorization header; lives 30 minutes by default."}
    )
    refresh_token = fields.String(
        required=True, metadata={"description": "JWT for POST /auth/refresh only; single use, lives 7 days by default."}
    )
    token_type = fields.String(required=True, metadata={"example": "bearer"})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Access token lifetime in seconds.", "example": 1800}
    )


class UserSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 1})
    email = fields.Email(dump_only=True, metadata={"example": EMAIL_EXAMPLE})
    full_name = fields.String(dump_only=True, metadata={"example": "Alex Doe"})
    currency = fields.String(dump_only=True, metadata={"example": "USD"})
    locale = fields.String(dump_only=True, metadata={"description": LOCALE_DESCRIPTION, "example": "en_US"})
    created_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})


class ProfileUpdateSchema(StrictSchema):
    full_name = fields.String(validate=validate.Length(max=100), metadata={"example": "Alex Doe"})
    currency = fields.String(
        validate=validate.Length(equal=3),
        metadata={
            "description": "Your base currency: every total is in it. A new one re-converts every expense at "
            "the ECB rate of its date (manual rates are carried over) in one transaction; refused, with "
            "nothing changed, when a manual rate cannot be carried over.",
            "example": "EUR",
        },
    )
    locale = fields.String(
        validate=validate.Length(max=LOCALE_MAX_LENGTH),
        metadata={"description": LOCALE_DESCRIPTION, "example": "de_DE"},
    )
    budgets = fields.String(
        load_default="keep",
        validate=validate.OneOf(["keep", "convert"]),
        metadata={
            "description": "With a new `currency`: `keep` your budget amounts as they are (default) or "
            "`convert` them at today's ECB rate.",
            "example": "keep",
        },
    )


class PasswordChangeSchema(StrictSchema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))
    new_password = fields.String(required=True, load_only=True, metadata=PASSWORD_SHAPE)
