"""The access tokens page (`/settings/tokens`): list, create with the token shown once, revoke, and
the fresh sign-in that creating needs."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import PersonalAccessToken
from expense_app.models.base import utcnow
from expense_app.services import access_tokens
from expense_app.web.session_login import VERIFIED_AT
from tests import factories
from tests.conftest import PASSWORD, bearer, count_rows

TOKEN_IN_PAGE = re.compile(r'value="(em_pat_[A-Za-z0-9_-]+)"')


def _created_token(html: str) -> str:
    match = TOKEN_IN_PAGE.search(html)
    assert match, "the new token is not on the page"
    return match.group(1)


def _age_sign_in(client, seconds: int) -> None:
    with client.session_transaction() as session:
        session[VERIFIED_AT] = int(time.time()) - seconds


def _tokens(app) -> list[PersonalAccessToken]:
    with app.app_context():
        return list(db.session.scalars(sa.select(PersonalAccessToken).order_by(PersonalAccessToken.id)))


def test_the_settings_page_links_to_the_tokens_page(client, user, login):
    login(user)
    page = client.get("/settings")
    assert 'href="/settings/tokens"' in page.text


def test_an_empty_list_and_the_form_without_a_password_after_a_fresh_sign_in(client, user, login):
    login(user)
    page = client.get("/settings/tokens")
    assert page.status_code == 200
    assert "You have no access tokens yet." in page.text
    assert 'name="name"' in page.text and 'name="scopes"' in page.text and 'name="expires_at"' in page.text
    assert 'name="password"' not in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_creating_shows_the_token_once_and_it_works_on_the_api(app, client, user, login):
    login(user)
    response = client.post("/settings/tokens", data={"name": "Backup", "scopes": "read", "expires_at": ""})
    assert response.status_code == 200
    token = _created_token(response.text)
    assert token.startswith("em_pat_")
    assert "Copy it now" in response.text and "data-copy-target" in response.text
    assert "js/copy-token.js" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    (row,) = _tokens(app)
    assert (row.name, row.scopes, row.expires_at) == ("Backup", ["read"], None)
    # Shown once: the list page afterwards has its name, never the token.
    listed = client.get("/settings/tokens")
    assert "Backup" in listed.text and "read only" in listed.text
    assert token not in listed.text and token.removeprefix("em_pat_") not in listed.text
    api = app.test_client()
    assert api.get("/api/v1/expenses", headers=bearer(token)).status_code == 200
    assert api.post("/api/v1/categories", json={"name": "Nope"}, headers=bearer(token)).status_code == 403


def test_creating_a_read_write_token_with_an_expiry_date(app, client, user, login):
    login(user)
    day = (utcnow() + dt.timedelta(days=20)).date()
    response = client.post("/settings/tokens", data={"name": "Sync", "scopes": "write", "expires_at": day.isoformat()})
    assert response.status_code == 200
    token = _created_token(response.text)
    (row,) = _tokens(app)
    assert row.scopes == ["read", "write"]
    assert row.expires_at == dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    assert "read, write" in client.get("/settings/tokens").text
    food = app.test_client().get("/api/v1/categories", headers=bearer(token)).json[0]["id"]
    created = app.test_client().post(
        "/api/v1/expenses", json={"amount": "1.00", "date": "2026-01-15", "category_id": food}, headers=bearer(token)
    )
    assert created.status_code == 201


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scopes": "read"}, "This field is required."),
        ({"name": "x" * 101, "scopes": "read"}, "Use at most 100 characters"),
        ({"name": "bad\x01", "scopes": "read"}, "control characters"),
        ({"name": "Backup", "scopes": "admin"}, "Unknown scope"),
        ({"name": "Backup"}, "Choose at least one scope"),
        ({"name": "Backup", "scopes": "read", "expires_at": "31/12/2026"}, "Use a date such as 2027-03-31."),
        ({"name": "Backup", "scopes": "read", "expires_at": "2020-01-01"}, "Must be in the future."),
        ({"name": "Backup", "scopes": "read", "expires_at": "2099-01-01"}, "at most 366 days"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_created(app, client, user, login, data, message):
    login(user)
    response = client.post("/settings/tokens", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert TOKEN_IN_PAGE.search(response.text) is None
    assert count_rows(app, PersonalAccessToken) == 0


def test_a_name_in_use_is_409_on_the_form(app, client, user, login):
    login(user)
    client.post("/settings/tokens", data={"name": "Backup", "scopes": "read"})
    response = client.post("/settings/tokens", data={"name": "Backup", "scopes": "write"})
    assert response.status_code == 409
    assert "You already have a token named" in response.text
    assert count_rows(app, PersonalAccessToken) == 1


def test_an_old_sign_in_must_enter_the_password_again(app, client, user, login):
    login(user)
    _age_sign_in(client, 16 * 60)
    page = client.get("/settings/tokens")
    assert 'name="password"' in page.text and "confirm it is you" in page.text
    missing = client.post("/settings/tokens", data={"name": "Backup", "scopes": "read"})
    assert missing.status_code == 422 and "Enter your current password" in missing.text
    wrong = client.post("/settings/tokens", data={"name": "Backup", "scopes": "read", "password": "wrong password"})
    assert wrong.status_code == 422 and "The password is not correct." in wrong.text
    assert count_rows(app, PersonalAccessToken) == 0
    right = client.post("/settings/tokens", data={"name": "Backup", "scopes": "read", "password": PASSWORD})
    assert right.status_code == 200 and _created_token(right.text)
    # The password counts as a fresh proof: the next token needs none.
    assert 'name="password"' not in client.get("/settings/tokens").text
    again = client.post("/settings/tokens", data={"name": "Second", "scopes": "read"})
    assert again.status_code == 200 and _created_token(again.text)
    assert count_rows(app, PersonalAccessToken) == 2


def test_a_fresh_sign_in_ignores_a_password_field(app, client, user, login):
    login(user)
    response = client.post("/settings/tokens", data={"name": "Backup", "scopes": "read", "password": "anything"})
    assert response.status_code == 200 and _created_token(response.text)


def test_wrong_passwords_lock_the_form_like_a_sign_in(app_factory, user):
    app = app_factory(ACCOUNT_LOCKOUT="3/15 minutes", WTF_CSRF_ENABLED=False)
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    _age_sign_in(client, 3600)
    for _ in range(3):
        wrong = client.post("/settings/tokens", data={"name": "B", "scopes": "read", "password": "wrong password"})
        assert wrong.status_code == 422
    locked = client.post("/settings/tokens", data={"name": "B", "scopes": "read", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Retry-After" in locked.headers
    assert TOKEN_IN_PAGE.search(locked.text) is None
    assert count_rows(app, PersonalAccessToken) == 0


def test_revoking_ends_the_token(app, client, user, login):
    login(user)
    token = _created_token(client.post("/settings/tokens", data={"name": "Backup", "scopes": "read"}).text)
    (row,) = _tokens(app)
    response = client.post(f"/settings/tokens/{row.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings/tokens")
    page = client.get("/settings/tokens")
    assert "Token “Backup” revoked" in page.text and "Revoked" in page.text
    assert f"/settings/tokens/{row.id}/revoke" not in page.text  # no button for an ended token
    assert app.test_client().get("/api/v1/expenses", headers=bearer(token)).status_code == 401


def test_an_expired_token_is_listed_as_expired(app, client, user, login):
    login(user)
    client.post("/settings/tokens", data={"name": "Soon", "scopes": "read"})
    with app.app_context():
        from expense_app.services.unit_of_work import transaction

        with transaction() as session:
            session.execute(sa.update(PersonalAccessToken).values(expires_at=utcnow() - dt.timedelta(hours=1)))
    page = client.get("/settings/tokens")
    assert "Expired" in page.text


def test_another_users_token_is_404_and_keeps_working(app, client, user, login, make_user):
    other = make_user(email="sam@example.com")
    with app.app_context():
        token_id, token = factories.create_access_token(other, name="Theirs")
    login(user)
    assert client.post(f"/settings/tokens/{token_id}/revoke").status_code == 404
    assert client.post("/settings/tokens/999999/revoke").status_code == 404
    assert "Theirs" not in client.get("/settings/tokens").text
    with app.app_context():
        assert access_tokens.user_for_token(token) is not None


def test_the_page_needs_a_sign_in(client):
    assert client.get("/settings/tokens").status_code == 302
    assert client.post("/settings/tokens", data={"name": "x", "scopes": "read"}).status_code == 302


def test_forms_need_a_csrf_token(app_factory, user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    from tests.conftest import csrf_token_from

    login_page = client.get("/login")
    client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(login_page.text)}
    )
    refused = client.post("/settings/tokens", data={"name": "Forged", "scopes": "write"})
    assert refused.status_code in (400, 422)
    assert count_rows(app, PersonalAccessToken) == 0
    form = client.get("/settings/tokens")
    accepted = client.post(
        "/settings/tokens", data={"name": "Mine", "scopes": "read", "csrf_token": csrf_token_from(form.text)}
    )
    assert accepted.status_code == 200 and _created_token(accepted.text)
