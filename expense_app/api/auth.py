"""Authentication: register, log in, rotate the refresh token, log out."""

from flask_jwt_extended import current_user as token_user
from flask_jwt_extended import get_jwt, jwt_required
from flask_smorest import Blueprint

from expense_app.api.docs import errors, protected
from expense_app.api.schemas.accounts import LoginSchema, RegisterSchema, TokenPairSchema, UserSchema
from expense_app.ops.rate_limits import auth_limit
from expense_app.services import accounts, tokens

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
@errors(blp, 401, 422, 429)
@blp.arguments(LoginSchema, example={"email": "alex@example.com", "password": "correct horse battery staple"})
@blp.response(200, TokenPairSchema)
def login(data):
    """Log in and get a token pair

    Returns an access token (send it as `Authorization: Bearer <token>`) and a refresh token
    (only for `POST /auth/refresh`). A wrong email and a wrong password give the same 401.
    """
    return accounts.login_for_tokens(**data)


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
