"""Forms for registration, login and the settings page."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from expense_app.services.rules import iso_currencies


def currency_choices() -> list[SelectChoice]:
    return [SelectChoice(code) for code in sorted(iso_currencies())]


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    full_name = StringField("Name (optional)", validators=[Length(max=100)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(min=8, max=128)], description="8 to 128 characters."
    )
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])
    remember = BooleanField("Remember me")
    submit = SubmitField("Log in")


class ProfileForm(FlaskForm):
    full_name = StringField("Name", validators=[Length(max=100)])
    currency = SelectField("Currency", choices=currency_choices, description="Used for new expenses and totals.")
    submit = SubmitField("Save profile")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=128)])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=8, max=128)], description="8 to 128 characters."
    )
    submit = SubmitField("Change password")


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=128)])
    submit = SubmitField("Delete my account")
