"""Forms of two-factor sign-in: the login's second step and the settings page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField

from expense_app.services.accounts import PASSWORD_MAX_LENGTH
from expense_app.web.forms.messages import AtMost, required

CODE_HELP = "The 6-digit code your authenticator app shows now."
RECOVERY_HELP = "One of the codes you saved when you turned two-factor sign-in on (like abcd-efgh-ijkl-mnop)."


def _password(label: str = "Your password") -> PasswordField:
    return PasswordField(label, validators=[required("your password"), AtMost(PASSWORD_MAX_LENGTH)])


class TwoFactorLoginForm(FlaskForm):
    """The second step: a code, or (for a lost device) a recovery code. The service says which is missing."""

    code = StringField("Authentication code", validators=[AtMost(20)], description=CODE_HELP)
    recovery_code = StringField("Recovery code", validators=[AtMost(40)], description=RECOVERY_HELP)
    submit = SubmitField("Verify")


class StartEnrolmentForm(FlaskForm):
    submit = SubmitField("Set up two-factor sign-in")


class ConfirmEnrolmentForm(FlaskForm):
    code = StringField(
        "Code from the app", validators=[required("the 6-digit code from the app"), AtMost(20)], description=CODE_HELP
    )
    submit = SubmitField("Turn on two-factor sign-in")


class RegenerateCodesForm(FlaskForm):
    password = _password()
    code = StringField(
        "Code from the app", validators=[required("the 6-digit code from the app"), AtMost(20)], description=CODE_HELP
    )
    submit = SubmitField("Make new recovery codes")


class DisableForm(FlaskForm):
    password = _password()
    code = StringField("Code from the app", validators=[AtMost(20)], description=CODE_HELP)
    recovery_code = StringField(
        "Or a recovery code", validators=[AtMost(40)], description="If you lost the device with the app."
    )
    submit = SubmitField("Turn off two-factor sign-in")
