"""The reset-token service: what a token carries, when it dies, and what a reset does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from expense_app.errors import TooManyAttempts, ValidationFailed
from expense_app.extensions import db
from expense_app.models import SecurityEvent, TokenFamily, User, WebSession
from expense_app.passwords import verify_password
from expense_app.services import account_throttle, password_reset, sign_ins, tokens
from expense_app.services.password_reset import ResetLinkInvalid
from expense_app.services.unit_of_work import transaction

NEW = "a brand new passphrase"


@pytest.fixture
def alex(app, user):
    with app.test_request_context():
        yield db.session.get(User, user.id)
        db.session.remove()


def test_a_token_names_its_user(alex):
    assert password_reset.user_for_token(password_reset.make_token(alex)) is alex


def test_a_token_holds_no_password_hash(alex):
    token = password_reset.make_token(alex)
    assert alex.password_hash not in token
    payload = password_reset._serializer().loads(token)
    assert set(payload) == {"user", "password"} and len(payload["password"]) == 16


@pytest.mark.parametrize("bad", ["", "abc", None, 42])
def test_garbage_is_invalid(alex, bad):
    with pytest.raises(ResetLinkInvalid) as caught:
        password_reset.user_for_token(bad)
    assert caught.value.status_code == 400


def test_a_token_signed_with_another_key_or_salt_is_invalid(alex, app):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("another key", salt="password-reset").dumps(
        {"user": alex.id, "password": password_reset._fingerprint(alex)}
    )
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="email-confirm").dumps(
        {"user": alex.id, "password": password_reset._fingerprint(alex)}
    )
    for token in (forged, other_salt):
        with pytest.raises(ResetLinkInvalid):
            password_reset.user_for_token(token)


def test_a_token_for_an_unknown_or_inactive_user_is_gone(alex):
    unknown = password_reset._serializer().dumps({"user": alex.id + 999, "password": "x"})
    with pytest.raises(ResetLinkInvalid) as caught:
        password_reset.user_for_token(unknown)
    assert caught.value.status_code == 410
    token = password_reset.make_token(alex)
    with transaction():
        alex.is_active = False
    with pytest.raises(ResetLinkInvalid):
        password_reset.user_for_token(token)


def test_the_validity_follows_the_setting(app_factory, user, monkeypatch):
    import itsdangerous.timed

    app = app_factory(PASSWORD_RESET_MINUTES=5)
    with app.app_context():
        alex = db.session.get(User, user.id)
        real = itsdangerous.timed.TimestampSigner.get_timestamp
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) - 6 * 60)
        token = password_reset.make_token(alex)
        monkeypatch.undo()
        with pytest.raises(ResetLinkInvalid, match="links work for 5 minutes") as caught:
            password_reset.user_for_token(token)
    assert caught.value.status_code == 410


def test_reset_sets_the_password_ends_every_sign_in_and_unlocks(alex):
    sid = sign_ins.start_web_session(user=alex)
    tokens.issue_token_pair(user=alex)
    for _ in range(10):
        account_throttle.record_failure(alex.email)
    with pytest.raises(TooManyAttempts):
        account_throttle.check(alex.email)
    token = password_reset.make_token(alex)

    password_reset.reset_password(token, NEW)

    assert verify_password(alex.password_hash, NEW)
    assert alex.password_changed_at is not None
    assert sign_ins.session_user(alex.id, sid) is None
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(TokenFamily).where(TokenFamily.revoked_at.is_(None)))
        == 0
    )
    account_throttle.check(alex.email)  # no longer locked
    events = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "password_reset")).all()
    assert [event.detail for event in events] == [{"how": "link"}]
    with pytest.raises(ResetLinkInvalid) as caught:
        password_reset.reset_password(token, "yet another passphrase")
    assert caught.value.status_code == 410


@pytest.mark.parametrize(("password", "message"), [("short", "at least 8"), ("x" * 129, "at most 128"), ("", "Choose")])
def test_reset_applies_the_password_rule_and_changes_nothing(alex, password, message):
    sid = sign_ins.start_web_session(user=alex)
    before = alex.password_hash
    token = password_reset.make_token(alex)
    with pytest.raises(ValidationFailed) as caught:
        password_reset.reset_password(token, password)
    assert message in caught.value.errors["new_password"][0]
    db.session.expire_all()
    assert db.session.get(User, alex.id).password_hash == before
    assert sign_ins.session_user(alex.id, sid) is not None
    assert password_reset.user_for_token(token).id == alex.id  # the link still works


def test_reset_link_is_built_on_public_url_or_the_request_host(app_factory, user):
    plain = app_factory()
    with plain.test_request_context(base_url="https://expenses.example.net"):
        link = password_reset.reset_link(db.session.get(User, user.id))
    assert link.startswith("https://expenses.example.net/reset-password/")
    public = app_factory(PUBLIC_URL="https://money.example.org/app")
    with public.test_request_context(base_url="https://attacker.example"):
        link = password_reset.reset_link(db.session.get(User, user.id))
    assert link.startswith("https://money.example.org/app/reset-password/")
    with plain.app_context():
        link = password_reset.reset_link(db.session.get(User, user.id))
    assert link.startswith("http://localhost:8000/reset-password/")


def test_request_reset_sends_no_mail_for_unknown_or_inactive_accounts(app_factory, user):
    from expense_app.services import mailer

    app = app_factory(MAIL_SERVER="mail.invalid")  # TESTING: flask-mailman's in-memory outbox
    with app.test_request_context():
        password_reset.request_reset("nobody@example.com")
        with transaction():
            db.session.get(User, user.id).is_active = False
        password_reset.request_reset(user.email)
        mailer.wait_for_pending()
        assert getattr(app.extensions["mailman"], "outbox", []) == []
        with transaction():
            db.session.get(User, user.id).is_active = True
        password_reset.request_reset(user.email)
        mailer.wait_for_pending()
        (message,) = app.extensions["mailman"].outbox
    assert message.to == [user.email] and "/reset-password/" in message.body


def test_web_sessions_of_other_users_survive(alex, make_user):
    sam = db.session.get(User, make_user(email="sam@example.com").id)
    sam_sid = sign_ins.start_web_session(user=sam)
    password_reset.reset_password(password_reset.make_token(alex), NEW)
    assert sign_ins.session_user(sam.id, sam_sid) is not None
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(WebSession).where(WebSession.ended_at.is_(None))) == 1
    )
