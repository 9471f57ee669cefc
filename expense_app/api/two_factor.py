"""Two-factor sign-in of the authenticated user: status, enrolment, recovery codes, turning it off."""

from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.two_factor import (
    CODE_EXAMPLE,
    ConfirmSchema,
    DisableSchema,
    EnrolmentSchema,
    RecoveryCodesSchema,
    RegenerateSchema,
    TwoFactorStatusSchema,
)
from expense_app.services import mfa

URL_PREFIX = "/users/me/two-factor"
blp = Blueprint(
    "Two-factor",
    __name__,
    description="Two-factor sign-in (TOTP) of the authenticated user: enrol, confirm, recovery codes, turn off.",
)
PASSWORD_EXAMPLE = "correct horse battery staple"  # noqa: S105 (documentation example)


@blp.route("")
class TwoFactor(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_two_factor_status")
    @protected(blp)
    @blp.response(200, TwoFactorStatusSchema)
    def get(self):
        """Get my two-factor status

        Whether two-factor sign-in is on, since when, and how many recovery codes are left.
        """
        return mfa.status(user=token_user)

    @blp.doc(operationId="start_two_factor_enrolment")
    @protected(blp, 409)
    @blp.response(201, EnrolmentSchema)
    def post(self):
        """Start two-factor enrolment

        Creates a new secret and returns it with its `otpauth://` URI (show it as a QR code). It is
        not active until `POST /users/me/two-factor/confirm` with a code from the app. 409 when
        two-factor sign-in is already on (turn it off first).
        """
        secret, uri = mfa.start_enrolment(user=token_user)
        return {"secret": secret, "otpauth_uri": uri}


@blp.route("/confirm")
class Confirm(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="confirm_two_factor")
    @protected(blp, 409, 422)
    @blp.arguments(ConfirmSchema, example={"code": CODE_EXAMPLE})
    @blp.response(200, RecoveryCodesSchema)
    def post(self, data):
        """Turn two-factor sign-in on

        Send the current code of the authenticator app for the secret of the enrolment. Returns
        the ten recovery codes, shown only this once. 422 when the code is wrong.
        """
        return {"recovery_codes": mfa.confirm_enrolment(user=token_user, code=data["code"])}


@blp.route("/recovery-codes")
class RecoveryCodes(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="regenerate_recovery_codes")
    @protected(blp, 409, 422)
    @blp.arguments(RegenerateSchema, example={"password": PASSWORD_EXAMPLE, "code": CODE_EXAMPLE})
    @blp.response(200, RecoveryCodesSchema)
    def post(self, data):
        """Replace my recovery codes

        Needs the password and a current code. Every old recovery code stops working; the ten new
        ones are shown only this once. Wrong guesses count against the account's sign-in limit.
        """
        return {"recovery_codes": mfa.regenerate_recovery_codes(user=token_user, **data)}


@blp.route("/disable")
class Disable(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="disable_two_factor")
    @protected(blp, 409, 422)
    @blp.arguments(DisableSchema, example={"password": PASSWORD_EXAMPLE, "code": CODE_EXAMPLE})
    @blp.response(204)
    def post(self, data):
        """Turn two-factor sign-in off

        Needs the password and a current code or a recovery code (for a lost device). The secret
        and the recovery codes are deleted. Wrong guesses count against the account's sign-in limit.
        """
        mfa.disable(user=token_user, **data)
