"""The locale over the API: shown by /users/me, changed by PATCH, chosen at registration.

The locale only changes how the HTML pages write figures; the API keeps decimal strings and ISO
dates whatever it is.
"""

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import User
from tests import factories
from tests.conftest import PASSWORD, bearer


def test_me_shows_and_patch_changes_the_locale(client, api_headers):
    assert client.get("/api/v1/users/me", headers=api_headers).json["locale"] == "en_US"
    response = client.patch("/api/v1/users/me", json={"locale": "de-de"}, headers=api_headers)
    assert response.status_code == 200
    assert (response.json["locale"], response.json["currency"]) == ("de_DE", "USD")
    assert client.get("/api/v1/users/me", headers=api_headers).json["locale"] == "de_DE"


def test_patch_refuses_an_unknown_locale_and_changes_nothing(client, app, user, api_headers):
    for value in ("xx_YY", "", "de_DE; DROP TABLE users", "x" * 36, 42, None):
        response = client.patch("/api/v1/users/me", json={"locale": value, "full_name": "Changed"}, headers=api_headers)
        assert response.status_code == 422, value
        assert "locale" in response.json["errors"], value
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert (stored.locale, stored.full_name) == ("en_US", "Alex")


def test_register_takes_an_optional_locale(client, app):
    default = client.post(
        "/api/v1/auth/register",
        json={"email": "a@example.com", "password": PASSWORD},
        headers={"Accept-Language": "fr"},
    )
    assert default.status_code == 201 and default.json["locale"] == "en_US"  # the API ignores the browser header
    chosen = client.post(
        "/api/v1/auth/register", json={"email": "b@example.com", "password": PASSWORD, "locale": "fr_CH"}
    )
    assert chosen.status_code == 201 and chosen.json["locale"] == "fr_CH"
    refused = client.post(
        "/api/v1/auth/register", json={"email": "c@example.com", "password": PASSWORD, "locale": "zz"}
    )
    assert refused.status_code == 422 and "locale" in refused.json["errors"]
    with app.app_context():
        assert db.session.scalar(sa.select(User.id).where(User.email == "c@example.com")) is None


def test_a_german_users_api_figures_stay_machine_readable(client, app, make_user, api_login):
    user = make_user(email="de@example.com", locale="de_DE", currency="EUR")
    with app.app_context():
        factories.create_expense(user, amount="1234.56", date="2024-03-15", currency="EUR")
    headers = bearer(api_login(user)["access_token"])
    item = client.get("/api/v1/expenses", headers=headers).json["items"][0]
    assert (item["amount"], item["date"]) == ("1234.56", "2024-03-15")
    plain = client.post(
        "/api/v1/expenses",
        json={"amount": "1.234,56", "date": "2024-03-16", "category_id": item["category"]["id"]},
        headers=headers,
    )
    assert plain.status_code == 422 and "amount" in plain.json["errors"]  # the API takes plain decimals only
