"""The one password rule (`accounts.check_password`, OWASP ASVS 6.2) and the equal work on every
sign-in and registration path (issue 16: the audit's timing and weak-password findings)."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from expense_app import passwords
from expense_app.errors import AuthError, Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import accounts
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("ctx")

REFUSED = [
    ("12345678", "most common passwords"),
    ("password", "most common passwords"),
    ("PassWord", "most common passwords"),
    ("dragon2024", "most common passwords"),
    (" " * 8, "only spaces"),
    ("\t \n      ", "only spaces"),
    ("\x00" * 8, "NUL"),
    ("correct\x00horse", "NUL"),
    ("short", "at least 8"),
    ("x" * 129, "at most 128"),
]


def _rule(password, **context):
    errors = {}
    accounts.check_password(errors, "password", password, **context)
    return errors.get("password", [])


@pytest.mark.parametrize(("password", "said"), REFUSED)
def test_weak_passwords_are_refused_with_a_message_that_says_why(password, said):
    messages = _rule(password)
    assert len(messages) == 1 and said in messages[0]


@pytest.mark.parametrize(
    "password",
    [
        "sam.river@example.com",  # the email
        "SAM.RIVER@EXAMPLE.COM",
        "sam.river",  # its local part
        "sam.river-2024!",  # contained
        "Samantha River",  # the name
        "i am samantha river",
    ],
)
def test_the_email_its_local_part_and_the_name_are_refused(password):
    messages = _rule(password, email="Sam.River@example.com", full_name="Samantha River")
    assert messages == ["Do not use your email address or your name in the password."]


def test_short_context_parts_are_only_refused_when_they_are_the_whole_password():
    assert _rule("al is a quiet walker", email="al@example.com", full_name="Al") == []
    assert _rule("Al@example.com", email="al@example.com") != []


@pytest.mark.parametrize("password", [PASSWORD, "a quiet walk at dawn", "Tr0ub4dor&3-extra", "ünïcødé pässwörd"])
def test_good_passwords_pass(password):
    assert _rule(password, email="alex@example.com", full_name="Alex Doe") == []


def test_the_common_list_is_zxcvbns_and_read_once():
    assert len(accounts.common_passwords()) > 25_000
    assert accounts.common_passwords() is accounts.common_passwords()


@pytest.mark.parametrize(("password", "said"), REFUSED[:7])
def test_registration_refuses_them_and_stores_nothing(password, said):
    with pytest.raises(ValidationFailed) as refused:
        accounts.register_user(email="new@example.com", password=password)
    assert said in refused.value.errors["password"][0]
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_registration_refuses_the_email_as_password():
    with pytest.raises(ValidationFailed) as refused:
        accounts.register_user(email="new.person@example.com", password="New.Person@example.com")
    assert "email address or your name" in refused.value.errors["password"][0]


@pytest.mark.parametrize("new_password", ["12345678", "password", " " * 8, "\x00" * 8, "alex@example.com", "Alex Doe"])
def test_password_change_refuses_them_and_keeps_the_old_one(user, new_password):
    accounts.update_profile(user=user, full_name="Alex Doe")
    with pytest.raises(ValidationFailed) as refused:
        accounts.change_password(user=user, current_password=PASSWORD, new_password=new_password)
    assert set(refused.value.errors) == {"new_password"}
    assert accounts.authenticate(email=user.email, password=PASSWORD).id == user.id


class ArgonSpy:
    """Counts argon2 hash and verify calls made through the app's hasher."""

    def __init__(self, monkeypatch):
        self.calls = []
        real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify
        monkeypatch.setattr(PasswordHasher, "hash", lambda *a, **k: self.calls.append("hash") or real_hash(*a, **k))
        monkeypatch.setattr(
            PasswordHasher, "verify", lambda *a, **k: self.calls.append("verify") or real_verify(*a, **k)
        )

    def during(self, action) -> list[str]:
        self.calls.clear()
        with contextlib.suppress(AuthError, Conflict):
            action()
        return list(self.calls)


def test_an_unknown_email_costs_one_verification_like_a_wrong_password(user, monkeypatch):
    passwords.verify_password(None, "warm the dummy hash")  # the first call per app makes it, once
    spy = ArgonSpy(monkeypatch)
    known = spy.during(lambda: accounts.authenticate(email=user.email, password="wrong password here"))
    unknown = [spy.during(lambda: accounts.authenticate(email="nobody@example.com", password="wrong password here"))]
    unknown.append(spy.during(lambda: accounts.authenticate(email="nobody@example.com", password="wrong password")))
    assert known == ["verify"]
    assert unknown == [["verify"], ["verify"]]  # before the fix: hash + verify on every call


def test_the_dummy_hash_is_made_once_per_parameter_set(app, monkeypatch):
    spy = ArgonSpy(monkeypatch)
    first = spy.during(lambda: passwords.verify_password(None, "x"))
    again = spy.during(lambda: passwords.verify_password(None, "y"))
    assert first.count("hash") <= 1 and again == ["verify"]


def test_registering_a_taken_email_hashes_the_password_like_a_new_one(user, monkeypatch):
    spy = ArgonSpy(monkeypatch)
    taken = spy.during(lambda: accounts.register_user(email=user.email, password=PASSWORD))
    new = spy.during(lambda: accounts.register_user(email="new@example.com", password=PASSWORD))
    assert taken == new == ["hash"]


def test_a_registration_refused_for_its_password_hashes_nothing_either_way(user, monkeypatch):
    spy = ArgonSpy(monkeypatch)
    for email in (user.email, "new@example.com"):
        with pytest.raises(ValidationFailed):
            spy.calls.clear()
            accounts.register_user(email=email, password="password")
        assert spy.calls == []
