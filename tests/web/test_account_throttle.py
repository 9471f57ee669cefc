"""The per-account limit and the password rule on the HTML face's settings forms (issue 16).

The password-change and delete-account forms check the current password under the account's
limit (`ACCOUNT_LOCKOUT`, 3 per 15 minutes here): while it is spent the form says so above its
fields with status 429 and Retry-After, nothing changes, and the API is locked too (one budget).
"""

from __future__ import annotations

import html

import pytest

from expense_app.extensions import db
from expense_app.models import User
from expense_app.passwords import verify_password
from tests.conftest import PASSWORD, count_rows

WRONG = "not the password at all"
LOCKED = "Too many failed sign-in attempts for this account"
NEW = "a brand new passphrase"


@pytest.fixture
def app(app_factory):
    return app_factory(ACCOUNT_LOCKOUT="3/15 minutes")


def change(client, current, new=NEW):
    return client.post("/settings/password", data={"current_password": current, "new_password": new})


def password_is(app, user, password):
    with app.app_context():
        return verify_password(db.session.get(User, user.id).password_hash, password)


def test_password_change_guesses_lock_the_form_with_429_and_a_clear_message(app, client, user, login):
    login(user)
    assert [change(client, WRONG).status_code for _ in range(3)] == [422, 422, 422]
    locked = change(client, PASSWORD)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    page = html.unescape(locked.text)
    assert LOCKED in page and "reset your password" in page
    assert 'name="current_password"' in locked.text  # the settings page, not a bare error page
    assert password_is(app, user, PASSWORD) and not password_is(app, user, NEW)
    # The same budget as signing in, on the other face as well.
    api = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert api.status_code == 429


def test_delete_account_guesses_lock_the_form_and_delete_nothing(app, client, user, login):
    login(user)
    statuses = [client.post("/settings/delete", data={"password": WRONG}).status_code for _ in range(3)]
    assert statuses == [422, 422, 422]
    locked = client.post("/settings/delete", data={"password": PASSWORD})
    assert locked.status_code == 429 and locked.headers["Retry-After"]
    assert LOCKED in html.unescape(locked.text)
    assert count_rows(app, User) == 1
    assert client.get("/settings").status_code == 200  # still signed in


def test_sign_in_guesses_from_elsewhere_lock_the_settings_forms_too(app, client, user, login):
    login(user)
    attacker = app.test_client()
    for number in range(3):
        attacker.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": WRONG},
            environ_base={"REMOTE_ADDR": f"203.0.113.{number + 1}"},
        )
    assert change(client, PASSWORD).status_code == 429
    assert password_is(app, user, PASSWORD)


@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("12345678", "most common passwords"),
        ("password", "most common passwords"),
        (" " * 8, "only spaces"),
        ("\x00" * 8, "NUL"),
        ("alex@example.com", "email address or your name"),
    ],
)
def test_the_web_forms_refuse_weak_passwords_with_the_services_message(app, client, user, login, password, said):
    # Password = email means the account's own email: on sign-up the one being registered.
    own = "New@Example.com" if said == "email address or your name" else password
    registered = client.post("/register", data={"email": "new@example.com", "password": own, "currency": "USD"})
    assert registered.status_code == 422
    assert count_rows(app, User) == 1
    assert said in html.unescape(registered.text)
    login(user)
    changed = change(client, PASSWORD, password)
    assert changed.status_code == 422
    assert said in html.unescape(changed.text)
    assert password_is(app, user, PASSWORD)


def test_a_current_password_of_spaces_from_before_the_rule_can_still_be_typed(app, client, make_user, login):
    # The API accepted such passwords before the rule: their owners must be able to change them.
    from expense_app.passwords import hash_password
    from expense_app.services.unit_of_work import transaction

    spaces = " " * 10
    user = make_user(email="old@example.com")
    with app.app_context(), transaction():
        db.session.get(User, user.id).password_hash = hash_password(spaces)
    assert client.post("/login", data={"email": user.email, "password": spaces}).status_code == 302
    assert change(client, spaces).status_code == 302
    assert password_is(app, user, NEW)


def test_with_the_limiter_on_the_form_keeps_the_accounts_retry_after(app_factory, user):
    # `user` (the default app) first: flask-limiter is one object, switched on by the last app built.
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_AUTH="100/minute", ACCOUNT_LOCKOUT="3/15 minutes")
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    for _ in range(3):
        change(client, WRONG)
    locked = change(client, PASSWORD)
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
