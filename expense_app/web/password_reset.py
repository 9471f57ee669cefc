"""The forgotten-password pages: ask for a reset link by mail, and follow one to set a password.

`/forgot-password` exists only when mail is configured (`MAIL_SERVER`); without it, an operator
prints a link with `flask reset-password EMAIL`. Its answer (page, status, and time: the mail goes
out on a background thread) is the same whether or not the address has an account.

`/reset-password/<token>` always exists (the operator's links lead here). After a reset it sends
the browser to the login page rather than signing it in: a link proves only access to the
mailbox, and signing in must still pass every factor the account has (two-factor sign-in).
"""

from flask import Blueprint, abort, current_app, render_template, url_for
from flask_login import current_user, logout_user

from expense_app.errors import ValidationFailed
from expense_app.extensions import limiter
from expense_app.services import mailer, password_reset
from expense_app.services.password_reset import ResetLinkInvalid
from expense_app.web.forms import apply_service_errors, submit
from expense_app.web.forms.password_reset import ForgotPasswordForm, ResetPasswordForm

bp = Blueprint("password_reset", __name__)

RESET_DONE = (
    "Your password was changed. Every session and API token of your account was signed out: "
    "log in with the new password."
)


def _reset_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(
    _reset_limit,
    methods=["POST"],
    error_message="Too many reset requests from this address; wait a while and try again.",
)
def forgot_password():
    if not mailer.mail_configured():
        abort(404)
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.request_reset(form.email.data)
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            return render_template(
                "auth/forgot_password.html", form=form, sent=True, minutes=password_reset.minutes_valid()
            )
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot_password.html", form=form, sent=False), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        password_reset.user_for_token(token)
    except ResetLinkInvalid as error:
        return _bad_link(error)
    form = ResetPasswordForm()

    def reset():
        user = password_reset.reset_password(token, form.new_password.data or "")
        if current_user.is_authenticated:
            # This browser's session ended with every other one: drop its cookies too.
            logout_user()
        return user

    try:
        outcome = submit(form, reset, message=RESET_DONE, next_url=url_for("auth.login"))
    except ResetLinkInvalid as error:  # used by another tab between the check above and now
        return _bad_link(error)
    return outcome.response or (render_template("auth/reset_password.html", form=form), outcome.status)


def _bad_link(error: ResetLinkInvalid):
    return render_template("auth/reset_password.html", link_error=error.message), error.status_code


@bp.app_context_processor
def _mail_links():
    # The login page offers "Forgot your password?" only where the form exists.
    return {"password_reset_by_mail": mailer.mail_configured}
