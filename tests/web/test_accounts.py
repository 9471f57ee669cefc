"""Account pages: register, log in (with next and remember me), log out, settings."""

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Category, User
from tests import factories
from tests.conftest import PASSWORD, count_rows, csrf_token_from


def test_register_logs_in_and_lands_on_dashboard(client, app):
    response = client.post("/register", data={"email": "New@Example.com", "full_name": "New", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Hello, New" in page.text
    with app.app_context():
        stored = db.session.scalar(sa.select(User).where(User.email == "new@example.com"))
        assert stored is not None
        assert db.session.scalar(sa.select(sa.func.count()).where(Category.user_id == stored.id)) == 8


def test_register_errors_keep_input_and_are_tied_to_fields(client, app, user):
    response = client.post(
        "/register", data={"email": "alex@example.com", "full_name": "Kept Name", "password": PASSWORD}
    )
    assert response.status_code == 409  # a conflict with the stored state, as the API answers
    assert "This email is already registered: log in, or use another address." in response.text
    assert 'value="Kept Name"' in response.text
    assert 'aria-describedby="email-errors"' in response.text
    short = client.post("/register", data={"email": "b@example.com", "password": "short"})
    assert short.status_code == 422
    assert 'id="password-errors"' in short.text
    assert count_rows(app, User) == 1


def test_login_with_wrong_password_or_unknown_email_says_the_same(client, user):
    wrong = client.post("/login", data={"email": user.email, "password": "wrong password"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert "Invalid email or password." in wrong.text
    assert "Invalid email or password." in unknown.text


def test_pages_behind_login_redirect_to_login_with_next(client):
    for path in ("/", "/settings"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/settings", "/settings"),
        ("https://evil.example", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_follows_only_local_next(client, user, next_url, landing):
    response = client.post("/login", query_string={"next": next_url}, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_remember_me_sets_a_persistent_cookie(client, user, login):
    response = login(user, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "Expires=" in remember[0] and "HttpOnly" in remember[0]


def test_login_without_remember_sets_no_persistent_cookie(client, user, login):
    response = login(user)
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]


def test_logout_is_post_only(client, user, login):
    login(user)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_settings_profile_update(client, app, user, login):
    login(user)
    response = client.post("/settings/profile", data={"full_name": "Alex Doe", "currency": "EUR"})
    assert response.status_code == 302
    assert "Your profile was saved." in client.get("/settings").text
    with app.app_context():
        assert db.session.get(User, user.id).currency == "EUR"


def test_settings_profile_rejects_unknown_currency(client, app, user, login):
    login(user)
    response = client.post("/settings/profile", data={"full_name": "X", "currency": "ZZZ"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(User, user.id).currency == "USD"


def test_password_change_keeps_this_session_and_ends_others(app, user, login, client):
    other_browser = app.test_client()
    other_browser.post("/login", data={"email": user.email, "password": PASSWORD})
    login(user)
    wrong = client.post("/settings/password", data={"current_password": "nope nope", "new_password": "new password 1"})
    assert wrong.status_code == 422
    assert "The current password is not correct." in wrong.text
    response = client.post("/settings/password", data={"current_password": PASSWORD, "new_password": "new password 1"})
    assert response.status_code == 302
    assert client.get("/settings").status_code == 200
    assert other_browser.get("/settings").status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": user.email, "password": "new password 1"}).status_code == 302


def test_delete_account_needs_password_then_removes_everything(client, app, user, make_user, login):
    other = make_user()
    login(user)
    refused = client.post("/settings/delete", data={"password": "wrong password"})
    assert refused.status_code == 422
    assert count_rows(app, User) == 2
    response = client.post("/settings/delete", data={"password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/register"
    with app.app_context():
        assert db.session.get(User, user.id) is None
        assert db.session.get(User, other.id) is not None
        assert db.session.scalar(sa.select(sa.func.count()).where(Category.user_id == user.id)) == 0
    assert client.get("/settings").status_code == 302


def test_deleting_an_account_that_owns_every_kind_of_row_removes_all_of_them(
    client, app, login, full_user, other_full_user
):
    with app.app_context():
        others_before = factories.owned_rows(other_full_user.id)
    login(full_user.user)

    response = client.post("/settings/delete", data={"password": PASSWORD})

    assert response.status_code == 302, response.text
    assert response.headers["Location"] == "/register"
    with app.app_context():
        left = {table: rows for table, rows in factories.owned_rows(full_user.id).items() if rows}
        assert not left, f"the deleted account still has rows in {sorted(left)}"
        assert factories.owned_rows(other_full_user.id) == others_before, "another user's rows changed"
    assert client.get("/settings").status_code == 302


class TestCsrf:
    """With CSRF protection on (as in production), forms without their token change nothing."""

    @pytest.fixture
    def csrf_client(self, app_factory):
        app = app_factory(WTF_CSRF_ENABLED=True)
        return app, app.test_client()

    def test_register_without_token_is_400_and_stores_nothing(self, csrf_client):
        app, client = csrf_client
        response = client.post("/register", data={"email": "x@example.com", "password": PASSWORD})
        assert response.status_code == 400
        assert "text/html" in response.content_type
        assert "security token" in response.text
        assert count_rows(app, User) == 0

    def test_settings_forms_need_their_token(self, csrf_client, user):
        app, client = csrf_client
        token = csrf_token_from(client.get("/login").text)
        assert (
            client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}).status_code
            == 302
        )
        assert client.post("/settings/profile", data={"full_name": "Hacked", "currency": "EUR"}).status_code == 400
        assert client.post("/settings/delete", data={"password": PASSWORD}).status_code == 400
        assert client.post("/logout").status_code == 400
        with app.app_context():
            stored = db.session.get(User, user.id)
            assert (stored.full_name, stored.currency) == ("Alex", "USD")
        token = csrf_token_from(client.get("/settings").text)
        ok = client.post("/settings/profile", data={"full_name": "Real", "currency": "EUR", "csrf_token": token})
        assert ok.status_code == 302

    def test_api_is_exempt_because_it_uses_bearer_tokens(self, csrf_client, user):
        _, client = csrf_client
        assert client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).status_code == 200
