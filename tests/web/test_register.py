"""Sign-up: base currency and locale from the browser's language, named currencies, messages that
say what to do, and a taken email reported together with the other errors."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import accounts
from tests.conftest import PASSWORD, count_rows


def field_errors(html: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-errors"[^>]*>([^<]*)<', html)
    return match.group(1) if match else ""


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    option = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select.group(1))
    return next(value for value in option.groups() if value) if option else None


@pytest.mark.parametrize(
    ("header", "locale", "currency", "label"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de_DE", "EUR", "EUR — Euro"),
        ("en-GB", "en_GB", "GBP", "GBP — British Pound"),
        ("ja", "ja_JP", "JPY", "JPY — 日本円"),
        (None, "en_US", "USD", "USD — US Dollar"),
        ("xx-YY, ;;q=banana", "en_US", "USD", "USD — US Dollar"),
    ],
)
def test_the_form_defaults_from_the_browser_language(client, header, locale, currency, label):
    page = client.get("/register", headers={"Accept-Language": header} if header else {})
    assert page.status_code == 200
    assert selected(page.text, "currency") == currency
    assert selected(page.text, "locale") == locale
    assert f">{label}</option>" in page.text
    # Every currency is offered with its name, not only the browser's.
    assert len(re.findall(r'<option[^>]*value="[A-Z]{3}"[^>]*>[A-Z]{3} — ', page.text)) > 150


def test_the_chosen_currency_and_locale_are_stored(app, client):
    response = client.post(
        "/register",
        headers={"Accept-Language": "de-DE"},
        data={"email": "lea@example.com", "password": PASSWORD, "currency": "CHF", "locale": "fr_CH"},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "lea@example.com"))
        assert (user.currency, user.locale) == ("CHF", "fr_CH")


def test_a_form_without_currency_or_locale_takes_the_browser_defaults(app, client):
    response = client.post(
        "/register", headers={"Accept-Language": "de-AT"}, data={"email": "max@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "max@example.com"))
        assert (user.currency, user.locale) == ("EUR", "de_AT")


def test_a_taken_email_is_reported_with_the_other_errors(app, client, user):
    response = client.post(
        "/register", data={"email": user.email.upper(), "password": "short", "currency": "XXXX", "locale": "en_US"}
    )
    assert response.status_code == 422
    assert field_errors(response.text, "email") == "This email is already registered: log in, or use another address."
    assert field_errors(response.text, "password") == "Use at least 8 characters (you typed 5)."
    assert field_errors(response.text, "currency")
    assert count_rows(app, User) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "", "password": PASSWORD}, "email", "Enter your email address, e.g. name@example.com."),
        ({"email": "not-an-address", "password": PASSWORD}, "email", "Enter an email address like name@example.com."),
        ({"email": "a@b", "password": PASSWORD}, "email", "Enter an email address like name@example.com."),
        ({"email": "x" * 250 + "@example.com", "password": PASSWORD}, "email", "Enter an email address like"),
        ({"email": "new@example.com", "password": ""}, "password", "Choose a password of at least 8 characters."),
        (
            {"email": "new@example.com", "password": "x" * 129},
            "password",
            "Use at most 128 characters (you typed 129).",
        ),
        (
            {"email": "new@example.com", "password": PASSWORD, "full_name": "n" * 101},
            "full_name",
            "Use at most 100 characters (you typed 101).",
        ),
        ({"email": "new@example.com", "password": PASSWORD, "locale": "xx_XX"}, "locale", ""),
        ({"email": "new@example.com", "password": PASSWORD, "currency": "€"}, "currency", ""),
    ],
)
def test_every_message_says_what_to_do(app, client, data, field, message):
    response = client.post("/register", data=data)
    assert response.status_code == 422
    shown = field_errors(response.text, field)
    assert shown and shown.startswith(message)
    assert not re.search(r"Field must be|This field is required|Not a valid", response.text)
    assert count_rows(app, User) == 0


def test_login_and_settings_messages_say_what_to_do(client, user, login):
    empty = client.post("/login", data={"email": "", "password": ""})
    assert empty.status_code == 422
    assert field_errors(empty.text, "email") == "Enter your email address."
    assert field_errors(empty.text, "password") == "Enter your password."
    long = client.post("/login", data={"email": "a@example.com", "password": "p" * 200})
    assert field_errors(long.text, "password") == "Use at most 128 characters (you typed 200)."


def test_the_service_reports_a_taken_email_alone_as_a_conflict_and_with_others_as_field_errors(ctx, user):
    with pytest.raises(Conflict):
        accounts.register_user(email=user.email, password=PASSWORD)
    with pytest.raises(ValidationFailed) as caught:
        accounts.register_user(email=user.email, password="short", currency="??")
    assert set(caught.value.errors) == {"email", "password", "currency"}
