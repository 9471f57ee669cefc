"""API sign-up: the locale and currency it takes, and a taken email reported with the other errors."""

from __future__ import annotations

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import User
from tests.conftest import PASSWORD, count_rows


def test_register_takes_locale_and_currency(client, app):
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "lena@example.com", "password": PASSWORD, "currency": "EUR", "locale": "de_DE"},
    )
    assert response.status_code == 201, response.json
    assert (response.json["currency"], response.json["locale"]) == ("EUR", "de_DE")
    with app.app_context():
        stored = db.session.scalar(sa.select(User).where(User.email == "lena@example.com"))
        assert (stored.currency, stored.locale) == ("EUR", "de_DE")


def test_a_taken_email_comes_with_the_other_field_errors(client, app, user):
    response = client.post("/api/v1/auth/register", json={"email": user.email, "password": "short", "locale": "xx_XX"})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors["email"] == ["This email is already registered: log in, or use another address."]
    assert errors["password"] == ["Use at least 8 characters (you typed 5)."]
    assert errors["locale"]
    alone = client.post("/api/v1/auth/register", json={"email": user.email, "password": PASSWORD})
    assert alone.status_code == 409
    assert count_rows(app, User) == 1
