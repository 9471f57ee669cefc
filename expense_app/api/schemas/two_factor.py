"""Schemas of two-factor sign-in: the login's 401 with a challenge, the second step, enrolment."""

from marshmallow import fields, validate

from expense_app.api.schemas import StrictSchema
from expense_app.responses import ApiErrorSchema

CODE_EXAMPLE = "123456"
RECOVERY_CODE_EXAMPLE = "abcd-efgh-ijkl-mnop"
MFA_TOKEN_EXAMPLE = "tW3q2F0m6y0n8vJ3d2lqQb7oV9uKxA1sZrP4cE5hYgI"  # noqa: S105 (documentation example)
CODE_FIELD = {
    "description": "The current 6-digit code of the authenticator app (spaces and dashes are ignored).",
    "example": CODE_EXAMPLE,
}
RECOVERY_FIELD = {
    "description": "One of the recovery codes shown when two-factor sign-in was turned on; each works once.",
    "example": RECOVERY_CODE_EXAMPLE,
}


class LoginRefusedSchema(ApiErrorSchema):
    """The login's 401: wrong credentials, or a correct password that needs a second factor."""

    mfa_required = fields.Boolean(
        metadata={"description": "Present and true when the password was right and a second factor is needed."}
    )
    mfa_token = fields.String(
        metadata={
            "description": "Single-use challenge for `POST /auth/mfa`, valid for a few minutes "
            "(`MFA_CHALLENGE_MINUTES`, 5 by default). Present with `mfa_required`.",
            "example": MFA_TOKEN_EXAMPLE,
        }
    )


class MfaLoginSchema(StrictSchema):
    mfa_token = fields.String(
        required=True,
        validate=validate.Length(max=200),
        metadata={"description": "The `mfa_token` of the login's 401.", "example": MFA_TOKEN_EXAMPLE},
    )
    code = fields.String(validate=validate.Length(max=20), metadata=CODE_FIELD)
    recovery_code = fields.String(validate=validate.Length(max=40), metadata=RECOVERY_FIELD)


class TwoFactorStatusSchema(StrictSchema):  # a response
    enabled = fields.Boolean(required=True, metadata={"example": True})
    enabled_at = fields.AwareDateTime(required=True, allow_none=True, metadata={"example": "2026-11-26T09:30:00+00:00"})
    recovery_codes_left = fields.Integer(required=True, metadata={"example": 10})


class EnrolmentSchema(StrictSchema):  # a response
    secret = fields.String(
        required=True,
        metadata={
            "description": "Base32 secret for manual entry in the authenticator app.",
            "example": "JBSWY3DPEHPK3PXP",
        },
    )
    otpauth_uri = fields.String(
        required=True,
        metadata={
            "description": "The `otpauth://` URI to show as a QR code.",
            "example": "otpauth://totp/Expense%20Manager:alex%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Expense%20Manager",
        },
    )


class ConfirmSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(max=20), metadata=CODE_FIELD)


class RecoveryCodesSchema(StrictSchema):  # a response
    recovery_codes = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "Ten single-use codes, shown only now: store them safely.",
            "example": [RECOVERY_CODE_EXAMPLE],
        },
    )


class RegenerateSchema(StrictSchema):
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(max=128),
        metadata={"example": "correct horse battery staple"},
    )
    code = fields.String(required=True, validate=validate.Length(max=20), metadata=CODE_FIELD)


class DisableSchema(StrictSchema):
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(max=128),
        metadata={"example": "correct horse battery staple"},
    )
    code = fields.String(validate=validate.Length(max=20), metadata=CODE_FIELD)
    recovery_code = fields.String(validate=validate.Length(max=40), metadata=RECOVERY_FIELD)
