"""Forms for registration, login and the settings page."""

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
from wtforms.validators import DataRequired, Email, Length

from expense_app.services.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from expense_app.web.forms.choices import currency_choices, locale_choices

# The length rule is the accounts service's; the form only describes it (and the service's
# message comes back on the field when it is broken).
PASSWORD_HELP = f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters."


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    full_name = StringField("Name (optional)", validators=[Length(max=100)])
    password = PasswordField("Password", validators=[DataRequired()], description=PASSWORD_HELP)
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])
    remember = BooleanField("Remember me")
    submit = SubmitField("Log in")


class ProfileForm(FlaskForm):
    full_name = StringField("Name", validators=[Length(max=100)])
    currency = SelectField(
        "Base currency",
        choices=currency_choices,
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
        description="How amounts, numbers and dates are written, e.g. 1.234,56 € and 15.03.2024 for Deutsch (Deutschland).",
    )
    submit = SubmitField("Save profile")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=128)])
    new_password = PasswordField("New password", validators=[DataRequired()], description=PASSWORD_HELP)
    submit = SubmitField("Change password")


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=128)])
    submit = SubmitField("Delete my account")
