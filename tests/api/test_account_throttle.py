"""The per-account limit on failed password checks, on the API face (issue 16).

`ACCOUNT_LOCKOUT` is set to 3 per 15 minutes here; the per-address limiter is off (the default in
tests), so every refusal below is the account's own limit, whatever address the guesses come from.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import SecurityEvent, User
from expense_app.services import account_throttle
from tests.conftest import PASSWORD, bearer

WRONG = "not the password at all"
LOCKED = "Too many failed sign-in attempts for this account"


@pytest.fixture
def app(app_factory):
    return app_factory(ACCOUNT_LOCKOUT="3/15 minutes")


def login(client, email, password, address="203.0.113.1"):
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def events(app, kind):
    with app.app_context():
        return db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind)).all()


def test_wrong_passwords_from_many_addresses_lock_the_account_even_for_the_right_password(app, client, user):
    statuses = [login(client, user.email, WRONG, f"203.0.113.{n}").status_code for n in range(1, 4)]
    assert statuses == [401, 401, 401]
    locked = login(client, user.email, PASSWORD, "198.51.100.99")
    assert locked.status_code == 429
    assert locked.json["code"] == 429 and locked.json["message"].startswith(LOCKED)
    assert "reset your password" in locked.json["message"]
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    assert "access_token" not in locked.json
    assert len(events(app, "sign_in_failed")) == 3
    assert [event.user_id for event in events(app, "sign_in_locked")] == [user.id]


def test_an_unknown_email_is_answered_and_locked_exactly_like_a_known_one(app, client, user):
    def run(email):
        answers = [login(client, email, WRONG) for _ in range(4)]
        return [
            (r.status_code, r.json["message"], sorted({name for name, _ in r.headers} - {"X-Request-ID"}))
            for r in answers
        ]

    known, unknown = run(user.email), run("nobody@example.com")
    assert known == unknown
    assert [status for status, _, _ in known] == [401, 401, 401, 429]


def test_the_limit_is_per_account_and_a_success_clears_it(client, user, make_user):
    other = make_user(email="sam@example.com")
    for _ in range(2):
        assert login(client, user.email, WRONG).status_code == 401
    assert login(client, other.email, PASSWORD).status_code == 200  # sam's account has its own count
    assert login(client, user.email, PASSWORD).status_code == 200  # 2 of 3: still allowed, and cleared
    assert [login(client, user.email, WRONG).status_code for _ in range(3)] == [401, 401, 401]
    assert login(client, user.email, PASSWORD).status_code == 429


def test_the_email_is_normalised_for_the_count(client, user):
    for email in ("ALEX@example.com", " alex@EXAMPLE.com ", "alex@example.com"):
        assert login(client, email, WRONG).status_code == 401
    assert login(client, "Alex@Example.com", PASSWORD).status_code == 429


def test_with_two_factor_on_the_password_step_does_not_clear_the_count(app, ctx, user, monkeypatch):
    from expense_app.services import accounts

    monkeypatch.setattr(User, "mfa_enabled", property(lambda self: True))
    cleared = []
    monkeypatch.setattr(account_throttle, "clear", cleared.append)
    accounts.authenticate(email=user.email, password=PASSWORD)
    assert cleared == []  # the mfa step clears it, after the second factor
    monkeypatch.setattr(User, "mfa_enabled", property(lambda self: False))
    accounts.authenticate(email=user.email, password=PASSWORD)
    assert cleared == [user.email]


def test_password_change_guesses_spend_the_accounts_budget(app, client, user, api_login):
    token = bearer(api_login(user)["access_token"])
    change = {"current_password": WRONG, "new_password": "a brand new passphrase"}
    statuses = [client.post("/api/v1/users/me/password", json=change, headers=token).status_code for _ in range(3)]
    assert statuses == [422, 422, 422]
    right = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    locked = client.post("/api/v1/users/me/password", json=right, headers=token)
    assert locked.status_code == 429 and locked.json["message"].startswith(LOCKED)
    assert locked.headers["Retry-After"]
    # Nothing changed, and signing in is locked too: one budget per account.
    assert login(client, user.email, PASSWORD).status_code == 429
    with app.app_context():
        from expense_app.passwords import verify_password

        assert verify_password(db.session.get(User, user.id).password_hash, PASSWORD)
    assert [e.detail for e in events(app, "sign_in_failed")] == [{"check": "current_password"}] * 3


def test_a_locked_account_cannot_change_its_password_even_with_the_right_one(client, user, api_login):
    token = bearer(api_login(user)["access_token"])
    for _ in range(3):
        login(client, user.email, WRONG)
    right = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    assert client.post("/api/v1/users/me/password", json=right, headers=token).status_code == 429


@pytest.mark.parametrize("password", ["12345678", "password", " " * 8, "\x00" * 8])
def test_the_api_refuses_weak_passwords_on_register_and_change(client, user, api_login, password):
    registered = client.post("/api/v1/auth/register", json={"email": "new@example.com", "password": password})
    assert registered.status_code == 422 and registered.json["errors"]["password"]
    token = bearer(api_login(user)["access_token"])
    change = {"current_password": PASSWORD, "new_password": password}
    changed = client.post("/api/v1/users/me/password", json=change, headers=token)
    assert changed.status_code == 422 and changed.json["errors"]["new_password"]
    assert login(client, user.email, PASSWORD).status_code == 200


def test_the_api_refuses_the_email_as_password(client, user, api_login):
    registered = client.post("/api/v1/auth/register", json={"email": "new@example.com", "password": "new@example.com"})
    assert registered.status_code == 422 and "email" in registered.json["errors"]["password"][0]
    token = bearer(api_login(user)["access_token"])
    change = {"current_password": PASSWORD, "new_password": user.email.upper()}
    assert client.post("/api/v1/users/me/password", json=change, headers=token).status_code == 422


def test_turning_the_lockout_off_lets_every_guess_through(app_factory, user):
    client = app_factory(ACCOUNT_LOCKOUT="3/15 minutes", ACCOUNT_LOCKOUT_ENABLED=False).test_client()
    assert [login(client, user.email, WRONG).status_code for _ in range(5)] == [401] * 5
    assert login(client, user.email, PASSWORD).status_code == 200


def test_access_tokens_are_counted_by_a_hash_prefix_without_a_query(app):
    from expense_app.ops.rate_limits import api_client_key

    credential = "em_pat_" + "A" * 43
    with app.test_request_context("/api/v1/expenses", headers={"Authorization": f"Bearer {credential}"}):
        key = api_client_key()
    assert key.startswith("token:") and len(key) == len("token:") + 16
    assert credential not in key and "A" * 10 not in key
    with app.test_request_context("/api/v1/expenses", headers={"Authorization": "Bearer em_pat_other"}):
        assert api_client_key() != key


def test_with_the_limiter_on_a_locked_account_keeps_its_own_retry_after(app_factory, user):
    # `user` (the default app) first: flask-limiter is one object, switched on by the last app built.
    client = app_factory(
        RATELIMIT_ENABLED=True, RATELIMIT_AUTH="100/minute", ACCOUNT_LOCKOUT="3/15 minutes"
    ).test_client()
    for _ in range(3):
        assert login(client, user.email, WRONG).status_code == 401
    locked = login(client, user.email, PASSWORD)
    assert locked.status_code == 429 and locked.json["message"].startswith(LOCKED)
    # The account's window (15 minutes), not the per-address limiter's (a minute).
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
