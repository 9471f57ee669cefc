"""Forms of the forgotten-password pages: ask for a link, choose the new password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import EqualTo

from expense_app.services.accounts import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH
from expense_app.web.forms.accounts import PASSWORD_HELP
from expense_app.web.forms.messages import AtMost, required


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[required("the email address of your account"), AtMost(EMAIL_MAX_LENGTH)])
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(FlaskForm):
    # The rule itself (length, NUL...) is the accounts service's; its message comes back on the field.
    new_password = PasswordField("New password", description=PASSWORD_HELP)
    confirm_password = PasswordField(
        "New password again",
        validators=[AtMost(PASSWORD_MAX_LENGTH), EqualTo("new_password", message="The two passwords differ.")],
    )
    submit = SubmitField("Set the new password")
