"""Authentication: register, log in (with the second factor of two-factor sign-in), rotate the refresh
token, log out."""

from flask import jsonify
from flask_jwt_extended import current_user as token_user
from flask_jwt_extended import get_jwt, jwt_required
from flask_smorest import Blueprint

from expense_app.api.docs import errors, protected
from expense_app.api.schemas import ApiErrorSchema
from expense_app.api.schemas.accounts import LoginSchema, RegisterSchema, TokenPairSchema, UserSchema
from expense_app.api.schemas.two_factor import CODE_EXAMPLE, MFA_TOKEN_EXAMPLE, LoginRefusedSchema, MfaLoginSchema
from expense_app.ops.rate_limits import auth_limit
from expense_app.services import accounts, mfa_challenges, tokens

MFA_REQUIRED = "A second factor is required: send the mfa_token with a code to POST /api/v1/auth/mfa."

URL_PREFIX = "/auth"
blp = Blueprint(
    "Authentication",
    __name__,
    description="Create an account, exchange credentials for tokens, refresh and revoke them.",
)


@blp.post("/register")
@blp.doc(operationId="register")
@auth_limit
@errors(blp, 409, 422, 429)
@blp.arguments(
    RegisterSchema,
    example={
        "email": "alex@example.com",
        "password": "correct horse battery staple",
        "full_name": "Alex Doe",
        "currency": "USD",
    },
)
@blp.response(201, UserSchema)
def register(data):
    """Create an account

    Creates a user with the starter categories (Food, Transport, ...). The email is
    case-insensitive and must not be registered yet. Log in afterwards to get tokens.
    """
    return accounts.register_user(**data)


@blp.post("/login")
@blp.doc(operationId="login")
@auth_limit
@errors(blp, 422, 429)
@blp.alt_response(
    401,
    schema=LoginRefusedSchema,
    description="Wrong email or password; or, with two-factor sign-in on, a correct password that "
    "needs the second step (`mfa_required` and `mfa_token` are then present).",
    examples={
        "wrong_credentials": {
            "value": {"code": 401, "status": "Unauthorized", "message": accounts.INVALID_CREDENTIALS}
        },
        "mfa_required": {
            "value": {
                "code": 401,
                "status": "Unauthorized",
                "message": MFA_REQUIRED,
                "mfa_required": True,
                "mfa_token": MFA_TOKEN_EXAMPLE,
            }
        },
    },
)
@blp.arguments(LoginSchema, example={"email": "alex@example.com", "password": "correct horse battery staple"})
@blp.response(200, TokenPairSchema)
def login(data):
    """Log in and get a token pair

    Returns an access token (send it as `Authorization: Bearer <token>`) and a refresh token
    (only for `POST /auth/refresh`). A wrong email and a wrong password give the same 401.
    With two-factor sign-in on, a correct password answers 401 with `mfa_required: true` and a
    short-lived, single-use `mfa_token`: exchange it with a code at `POST /auth/mfa`.
    """
    outcome, result = mfa_challenges.sign_in(email=data["email"], password=data["password"], purpose="api")
    if outcome == "done":
        return tokens.issue_token_pair(user=result)
    response = jsonify(code=401, status="Unauthorized", message=MFA_REQUIRED, mfa_required=True, mfa_token=result)
    response.status_code = 401
    return response


@blp.post("/mfa")
@blp.doc(operationId="login_second_factor")
@auth_limit
@errors(blp, 422, 429)
@blp.alt_response(
    401,
    schema=ApiErrorSchema,
    description="The mfa_token is unknown, expired or already used (log in again), or the code is wrong.",
    example={"code": 401, "status": "Unauthorized", "message": mfa_challenges.EXPIRED},
)
@blp.arguments(MfaLoginSchema, example={"mfa_token": MFA_TOKEN_EXAMPLE, "code": CODE_EXAMPLE})
@blp.response(200, TokenPairSchema)
def login_second_factor(data):
    """Complete a two-factor login

    Send the `mfa_token` of the login's 401 with the current `code` of the authenticator app, or
    a `recovery_code` (each works once). Returns the token pair. The token works once and for a
    few minutes; five wrong codes end it, and wrong codes count against the account's sign-in
    limit (429 with `Retry-After` once it is spent).
    """
    done = mfa_challenges.complete(
        token=data["mfa_token"], purpose="api", code=data.get("code"), recovery_code=data.get("recovery_code")
    )
    return tokens.issue_token_pair(user=done.user)


@blp.post("/refresh")
@blp.doc(operationId="refresh_token")
@auth_limit
@protected(blp, 429)
@blp.response(200, TokenPairSchema)
@jwt_required(refresh=True)
def refresh():
    """Rotate the refresh token

    Send the **refresh** token in the Authorization header. Returns a new pair; the presented
    refresh token dies. Presenting a dead refresh token again is treated as theft: the whole
    token family, including the newest pair, is revoked and the user must log in again.
    """
    return tokens.rotate(user=token_user, refresh_payload=get_jwt())


@blp.post("/logout")
@blp.doc(operationId="logout")
@protected(blp)
@blp.response(204)
@jwt_required(verify_type=False)
def logout():
    """Log out

    Revokes the presented token and every token issued with it by the same login (access and
    refresh). Works with either token type.
    """
    tokens.revoke_family(family_id=get_jwt().get("fam"))
