"""Forms of the security page: each is a button (ending a sign-in) that carries only its CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class EndSignInForm(FlaskForm):
    submit = SubmitField("End")


class EndOthersForm(FlaskForm):
    submit = SubmitField("Sign out everywhere else")
