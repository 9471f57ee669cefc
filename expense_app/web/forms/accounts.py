"""Forms for registration, login and the settings page (their messages: `web.forms.messages`)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired

from expense_app.services.accounts import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from expense_app.web.forms.choices import currency_choices, locale_choices, named_currency_choices
from expense_app.web.forms.messages import AtMost, required

# The password rule is the accounts service's (`accounts.check_password`); the form only
# describes it, and the service's message comes back on the field when it is broken.
PASSWORD_HELP = (
    f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters; not a common password, your email or your name."
)


def password_entered(what: str) -> InputRequired:
    """An existing password must be typed, but is not judged: InputRequired, not `required`
    (DataRequired strips it, so a password of spaces, accepted before the rule, could never be
    typed again to change it). Whether it is right is the service's answer."""
    return InputRequired(message=f"Enter {what}.")


LOCALE_HELP = "How amounts, numbers and dates are written, e.g. 1.234,56 € and 15.03.2024 for Deutsch (Deutschland)."


class RegisterForm(FlaskForm):
    """Sign-up. No checks of its own: the accounts service judges every field at once, so a
    taken email is reported together with a short password (not after it is fixed).

    The view gives the currency and locale defaults (from the browser's language) and calls
    `name_currencies` with that language.
    """

    email = EmailField("Email")
    full_name = StringField("Name (optional)")
    password = PasswordField("Password", description=PASSWORD_HELP)
    currency = SelectField(
        "Base currency",
        validate_choice=False,
        description="Every total is shown in it; you can record expenses in any currency.",
    )
    # Not checked against the choices: which locales exist is the accounts service's rule.
    locale = SelectField("Language and region", choices=locale_choices, validate_choice=False, description=LOCALE_HELP)
    submit = SubmitField("Create account")

    def name_currencies(self, locale: str) -> None:
        """Offer every currency with its name written in `locale` ("EUR — Euro")."""
        self.currency.choices = named_currency_choices(locale)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[required("your email address"), AtMost(EMAIL_MAX_LENGTH)])
    password = PasswordField("Password", validators=[password_entered("your password"), AtMost(PASSWORD_MAX_LENGTH)])
    remember = BooleanField("Remember me")
    submit = SubmitField("Log in")


class ProfileForm(FlaskForm):
    full_name = StringField("Name", validators=[AtMost(100)])
    currency = SelectField(
        "Base currency",
        choices=currency_choices,
        validate_choice=False,  # which codes exist is the accounts service's rule (its message comes back)
        description="Every total is in it; changing it converts all your expenses at the ECB rates of their dates.",
    )
    budgets = RadioField(
        "Your budgets when the base currency changes",
        choices=[SelectChoice("keep", "Keep their amounts"), SelectChoice("convert", "Convert them at today's rate")],
        default="keep",
        validate_choice=False,
    )
    # Not checked against the choices: which locales exist is the accounts service's rule.
    locale = SelectField(
        "Language and region",
        choices=locale_choices,
        validate_choice=False,
        description=LOCALE_HELP,
    )
    submit = SubmitField("Save profile")


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[password_entered("your current password"), AtMost(PASSWORD_MAX_LENGTH)]
    )
    new_password = PasswordField("New password", description=PASSWORD_HELP)
    submit = SubmitField("Change password")


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password", validators=[password_entered("your password to confirm"), AtMost(PASSWORD_MAX_LENGTH)]
    )
    submit = SubmitField("Delete my account")
