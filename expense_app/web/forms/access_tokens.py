"""Forms of the access tokens page (`/settings/tokens`): shape only, the rules are the service's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectChoice, StringField, SubmitField
from wtforms.widgets import DateInput

from expense_app.services.access_tokens import MAX_LIFETIME_DAYS, NAME_MAX_LENGTH
from expense_app.services.accounts import PASSWORD_MAX_LENGTH
from expense_app.web.forms.messages import AtMost

SCOPE_CHOICES = [
    SelectChoice("read", "Read only: the token may look at your data (GET requests)"),
    SelectChoice("write", "Read and write: the token may also create, change and delete"),
]


class AccessTokenForm(FlaskForm):
    """A new token. The view shows `password` only when this browser's sign-in is not fresh."""

    # No maxlength: a browser would cut a longer name silently; the service says how long it may be.
    name = StringField("Name", description=f"What the token is for, e.g. “Backup script” (up to {NAME_MAX_LENGTH}).")
    # Not checked against the choices: which scopes exist is the service's rule.
    scopes = RadioField("Scopes", choices=SCOPE_CHOICES, default="read", validate_choice=False)
    expires_at = StringField(
        "Expires after (optional)",
        widget=DateInput(),
        description=f"The last day it works (UTC), at most {MAX_LIFETIME_DAYS} days from today. "
        "Empty: it works until you revoke it.",
    )
    password = PasswordField(
        "Your current password",
        validators=[AtMost(PASSWORD_MAX_LENGTH)],
        description="You signed in a while ago: confirm it is you.",
    )
    submit = SubmitField("Create token")


class RevokeAccessTokenForm(FlaskForm):
    submit = SubmitField("Revoke")
