"""Users: the authenticated user's own profile, password and account."""

from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.accounts import PasswordChangeSchema, ProfileUpdateSchema, UserSchema
from expense_app.services import accounts

URL_PREFIX = "/users"
blp = Blueprint("Users", __name__, description="The authenticated user's profile, password and account.")


@blp.route("/me")
class Me(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_my_profile")
    @protected(blp)
    @blp.response(200, UserSchema)
    def get(self):
        """Get my profile

        Returns the user the access token belongs to.
        """
        return token_user

    @blp.doc(operationId="update_my_profile")
    @protected(blp, 422)
    @blp.arguments(ProfileUpdateSchema, example={"full_name": "Alex Doe", "currency": "EUR", "locale": "de_DE"})
    @blp.response(200, UserSchema)
    def patch(self, data):
        """Update my profile

        Changes the display name, the default currency of new expenses and/or the locale the
        HTML pages write figures in (the API's own figures stay machine-readable). Omitted
        fields stay as they are.
        """
        return accounts.update_profile(user=token_user, **data)

    @blp.doc(operationId="delete_my_account")
    @protected(blp)
    @blp.response(204)
    def delete(self):
        """Delete my account

        Deletes the account and everything it owns (categories, expenses, tags, tokens). This
        cannot be undone.
        """
        accounts.delete_account(user=token_user)


@blp.route("/me/password")
class MyPassword(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="change_my_password")
    @protected(blp, 422)
    @blp.arguments(
        PasswordChangeSchema, example={"current_password": "old password here", "new_password": "a new long passphrase"}
    )
    @blp.response(204)
    def post(self, data):
        """Change my password

        Requires the current password. Every token of the account is revoked, this one
        included, and every browser session ends: log in again with the new password.
        """
        accounts.change_password(user=token_user, **data)
