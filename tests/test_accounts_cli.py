"""`flask reset-password EMAIL`: the operator prints a one-time link, or sets a password, and unlocks."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from expense_app.errors import TooManyAttempts
from expense_app.extensions import db
from expense_app.models import SecurityEvent, User, WebSession
from expense_app.services import account_throttle
from tests.conftest import PASSWORD, bearer

NEW = "an operator's new passphrase"


def _lock(app, email):
    with app.test_request_context():
        for _ in range(10):
            account_throttle.record_failure(email)
        with pytest.raises(TooManyAttempts):
            account_throttle.check(email)


def _is_locked(app, email) -> bool:
    with app.test_request_context():
        try:
            account_throttle.check(email)
        except TooManyAttempts:
            return True
    return False


def test_prints_a_one_time_link_that_works_once(app, client, user):
    result = app.test_cli_runner().invoke(args=["reset-password", "  ALEX@example.com "])
    assert result.exit_code == 0, result.output
    assert "valid 30 minutes" in result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://localhost:8000/reset-password/")
    path = urlsplit(link).path
    assert client.get(path).status_code == 200
    done = client.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302
    assert client.get(path).status_code == 410
    login = client.post("/login", data={"email": user.email, "password": NEW})
    assert login.status_code == 302


def test_the_link_uses_public_url(app_factory, user):
    app = app_factory(PUBLIC_URL="https://money.example.org/")
    result = app.test_cli_runner().invoke(args=["reset-password", user.email])
    assert result.output.strip().splitlines()[-1].startswith("https://money.example.org/reset-password/")


def test_unlocks_a_locked_out_account(app, user):
    _lock(app, user.email)
    assert _is_locked(app, user.email)
    result = app.test_cli_runner().invoke(args=["reset-password", user.email])
    assert result.exit_code == 0 and "Unlocked alex@example.com" in result.output
    assert not _is_locked(app, user.email)


def test_an_unknown_email_is_an_error(app):
    result = app.test_cli_runner().invoke(args=["reset-password", "nobody@example.com"])
    assert result.exit_code == 1
    assert "No account has the email 'nobody@example.com'" in result.output
    for impossible in ("alex\x00@example.com", "a" * 300 + "@example.com"):
        result = app.test_cli_runner().invoke(args=["reset-password", impossible])
        assert result.exit_code == 1 and "No account has the email" in result.output


def test_set_prompts_twice_sets_the_password_and_ends_every_sign_in(app, client, user, login, api_login):
    login(user)
    pair = api_login(user)
    _lock(app, user.email)
    result = app.test_cli_runner().invoke(args=["reset-password", user.email, "--set"], input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert NEW not in result.output  # hidden input is not echoed
    assert "Every session and token of the account was signed out" in result.output
    assert client.get("/settings").status_code == 302
    assert client.get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 401
    assert not _is_locked(app, user.email)
    other = app.test_client()
    assert other.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    assert other.post("/login", data={"email": user.email, "password": NEW}).status_code == 302
    with app.app_context():
        kinds = db.session.scalars(sa.select(SecurityEvent.detail).where(SecurityEvent.kind == "password_reset")).all()
    assert kinds == [{"how": "operator"}]


def test_set_refuses_a_bad_password_and_changes_nothing(app, client, user, login):
    login(user)
    with app.app_context():
        before = db.session.get(User, user.id).password_hash
    result = app.test_cli_runner().invoke(args=["reset-password", user.email, "--set"], input="short\nshort\n")
    assert result.exit_code == 1
    assert "Use at least 8 characters" in result.output
    with app.app_context():
        assert db.session.get(User, user.id).password_hash == before
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(WebSession).where(WebSession.ended_at.is_(None)))
            == 1
        )
    assert client.get("/settings").status_code == 200


def test_set_asks_again_when_the_two_entries_differ(app, user):
    result = app.test_cli_runner().invoke(
        args=["reset-password", user.email, "--set"], input=f"{NEW}\n{NEW}x\n{NEW}\n{NEW}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output
    other = app.test_client()
    assert other.post("/login", data={"email": user.email, "password": NEW}).status_code == 302
