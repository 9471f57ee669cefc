"""The forgotten-password flow on the web face, end to end against a real local SMTP server."""

from __future__ import annotations

import io
import logging
import threading
import time
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import SecurityEvent, TokenFamily, User
from expense_app.ops.logging import build_handler
from expense_app.services import mailer, password_reset
from tests import mail_server
from tests.conftest import PASSWORD, bearer
from tests.fuzz.test_html_fuzz import HOSTILE_VALUES
from tests.mail_server import link_in, text_and_html
from tests.security.test_headers import assert_security_headers

# The SMTP server and the app that mails to it, as fixtures of this module.
smtp_server = mail_server.smtp_server
mail_app = mail_server.mail_app

NEW = "a fresh passphrase for spring"


def _register(app, email="alex@example.com"):
    from expense_app.services import accounts

    with app.app_context():
        user = accounts.register_user(email=email, password=PASSWORD, full_name="Alex")
        return user.id


def _login(client, email="alex@example.com", password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _ask(client, email):
    response = client.post("/forgot-password", data={"email": email})
    mailer.wait_for_pending()
    return response


def _events(app, user_id, kind):
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(SecurityEvent).where(SecurityEvent.user_id == user_id, SecurityEvent.kind == kind)
            )
        )


def test_without_mail_the_forgot_page_does_not_exist_and_login_does_not_offer_it(client):
    assert client.get("/forgot-password").status_code == 404
    assert client.post("/forgot-password", data={"email": "alex@example.com"}).status_code == 404
    assert "Forgot your password?" not in client.get("/login").text


def test_with_mail_the_login_page_links_to_the_form(mail_app):
    page = mail_app.test_client().get("/login")
    assert "Forgot your password?" in page.text and 'href="/forgot-password"' in page.text
    form = mail_app.test_client().get("/forgot-password")
    assert form.status_code == 200 and 'name="email"' in form.text


def test_forgot_flow_end_to_end(mail_app, smtp_server):
    user_id = _register(mail_app)
    # Sign-ins from before the reset: a browser and an API login.
    other_browser = mail_app.test_client()
    assert _login(other_browser).status_code == 302
    api = mail_app.test_client()
    pair = api.post("/api/v1/auth/login", json={"email": "alex@example.com", "password": PASSWORD}).json

    client = mail_app.test_client()
    answer = _ask(client, "  Alex@Example.com ")
    assert answer.status_code == 200
    assert "If an account exists for that address" in answer.text

    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "alex@example.com"
    text, html = text_and_html(message)
    path = link_in(text)
    assert path in html
    for body in (text, html):
        assert "expires in 30 minutes" in body
        assert "nothing happens" in body
    assert [event.detail for event in _events(mail_app, user_id, "password_reset_requested")] == [{"mailed": True}]

    form = client.get(path)
    assert form.status_code == 200 and 'name="new_password"' in form.text
    # Bad input first: nothing changes and the link still works.
    differ = client.post(path, data={"new_password": NEW, "confirm_password": NEW + "x"})
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    short = client.post(path, data={"new_password": "short", "confirm_password": "short"})
    assert short.status_code == 422 and "Use at least 8 characters" in short.text
    with mail_app.app_context():
        assert db.session.get(User, user_id).password_changed_at is None

    done = client.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert "Every session and API token of your account was signed out" in client.get("/login").text

    # The old password is refused, the new one works.
    assert _login(mail_app.test_client()).status_code == 401
    assert _login(mail_app.test_client(), password=NEW).status_code == 302
    # Every older sign-in ended: the browser is sent to log in, the API tokens are refused.
    assert other_browser.get("/settings").status_code == 302
    assert api.get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 401
    assert api.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"])).status_code == 401
    # The link works once.
    again = client.get(path)
    assert again.status_code == 410 and "already used" in again.text
    assert 'href="/forgot-password"' in again.text
    reused = client.post(
        path, data={"new_password": "yet another passphrase", "confirm_password": "yet another passphrase"}
    )
    assert reused.status_code == 410
    assert _login(mail_app.test_client(), password=NEW).status_code == 302
    assert len(_events(mail_app, user_id, "password_reset")) == 1


def test_an_unknown_address_gets_the_same_answer_and_no_mail(mail_app, smtp_server):
    user_id = _register(mail_app)
    known = _ask(mail_app.test_client(), "alex@example.com")
    unknown = _ask(mail_app.test_client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    strip = lambda page: page.text.replace(page.text.split('name="csrf_token"')[0], "")  # noqa: E731
    assert strip(known) == strip(unknown)
    messages = smtp_server.wait_for(2, timeout=1)
    assert [message["To"] for message in messages] == ["alex@example.com"]
    assert len(_events(mail_app, user_id, "password_reset_requested")) == 1


def test_the_answer_does_not_wait_for_the_mail_server(mail_app, smtp_server):
    _register(mail_app)
    smtp_server.gate = threading.Event()  # the server takes the mail only when released
    started = time.monotonic()
    response = mail_app.test_client().post("/forgot-password", data={"email": "alex@example.com"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert smtp_server.messages == []
    assert elapsed < 2
    smtp_server.gate.set()
    mailer.wait_for_pending()
    assert len(smtp_server.wait_for(1)) == 1


def test_an_account_gets_at_most_three_mails_an_hour(mail_app, smtp_server):
    user_id = _register(mail_app)
    client = mail_app.test_client()
    answers = [_ask(client, "alex@example.com") for _ in range(5)]
    assert {answer.status_code for answer in answers} == {200}
    assert len(smtp_server.wait_for(5, timeout=1)) == 3
    refused = [event.detail for event in _events(mail_app, user_id, "password_reset_requested")]
    assert refused.count({"mailed": True}) == 3
    assert refused.count({"mailed": False, "reason": "mail limit"}) == 2


def test_the_form_is_rate_limited_per_address(app_factory, smtp_server):
    app = app_factory(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        MAIL_USE_TLS=False,
        MAIL_BACKEND="smtp",
        RATELIMIT_ENABLED=True,
        RATELIMIT_PASSWORD_RESET="2/hour",
    )
    client = app.test_client()
    assert [_ask(client, f"someone{n}@example.com").status_code for n in range(2)] == [200, 200]
    refused = _ask(client, "someone9@example.com")
    assert refused.status_code == 429
    # The form itself stays readable.
    assert client.get("/forgot-password").status_code == 200


def test_a_bad_email_is_refused_with_a_message(mail_app, smtp_server):
    client = mail_app.test_client()
    empty = client.post("/forgot-password", data={"email": ""})
    assert empty.status_code == 422 and "Enter the email address of your account." in empty.text
    long = client.post("/forgot-password", data={"email": "a" * 300 + "@example.com"})
    assert long.status_code == 422 and "Use at most 254 characters" in long.text
    nul = client.post("/forgot-password", data={"email": "alex\x00@example.com"})
    assert nul.status_code == 422 and "Enter an email address like name@example.com." in nul.text
    mailer.wait_for_pending()
    assert smtp_server.messages == []


def test_a_tampered_link_is_refused_and_changes_nothing(app, client, user):
    with app.app_context():
        token = password_reset.make_token(db.session.get(User, user.id))
    for bad in (token[:-2] + "xx", "not-a-token"):
        page = client.get(f"/reset-password/{bad}")
        assert page.status_code == 400 and "not valid" in page.text
        post = client.post(f"/reset-password/{bad}", data={"new_password": NEW, "confirm_password": NEW})
        assert post.status_code == 400
    assert _login(client, email=user.email).status_code == 302


def test_a_link_expires_after_thirty_minutes(app, client, user, monkeypatch):
    now = time.time()
    with app.app_context():
        owner = db.session.get(User, user.id)
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(now - 29 * 60))
        fresh = password_reset.make_token(owner)
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(now - 31 * 60))
        stale = password_reset.make_token(owner)
    monkeypatch.undo()
    expired = client.post(f"/reset-password/{stale}", data={"new_password": NEW, "confirm_password": NEW})
    assert expired.status_code == 410 and "expired" in expired.text
    assert "Ask the administrator" in expired.text  # no mail here: no form to ask again
    assert _login(app.test_client(), email=user.email).status_code == 302
    assert client.get(f"/reset-password/{fresh}").status_code == 200


def test_a_signed_in_browser_that_resets_is_signed_out(app, client, user, login):
    login(user)
    with app.app_context():
        path = urlsplit(password_reset.reset_link(db.session.get(User, user.id))).path
    done = client.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302
    assert client.get("/settings").status_code == 302


def test_a_password_change_in_settings_kills_older_links(app, client, user, login):
    with app.app_context():
        token = password_reset.make_token(db.session.get(User, user.id))
    login(user)
    changed = client.post("/settings/password", data={"current_password": PASSWORD, "new_password": NEW})
    assert changed.status_code == 302
    assert client.get(f"/reset-password/{token}").status_code == 410


def test_csrf_is_required_on_both_forms(app_factory, smtp_server, user):
    app = app_factory(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        MAIL_USE_TLS=False,
        MAIL_BACKEND="smtp",
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        token = password_reset.make_token(db.session.get(User, user.id))
    client = app.test_client()
    assert client.post("/forgot-password", data={"email": user.email}).status_code == 400
    assert (
        client.post(f"/reset-password/{token}", data={"new_password": NEW, "confirm_password": NEW}).status_code == 400
    )
    mailer.wait_for_pending()
    assert smtp_server.messages == []
    with app.app_context():
        assert db.session.get(User, user.id).password_changed_at is None


@pytest.mark.parametrize("public_url", ["https://money.example.org", "https://example.org/expenses/"])
def test_mailed_links_use_public_url(app_factory, smtp_server, user, public_url):
    app = app_factory(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        MAIL_USE_TLS=False,
        MAIL_BACKEND="smtp",
        PUBLIC_URL=public_url,
    )
    _ask(app.test_client(), user.email)
    (message,) = smtp_server.wait_for(1)
    text, _ = text_and_html(message)
    assert public_url.rstrip("/") + "/reset-password/" in text


def test_token_families_of_other_users_survive_a_reset(app, client, user, make_user, api_login):
    sam = make_user(email="sam@example.com")
    api_login(sam)
    with app.app_context():
        password_reset.reset_password(password_reset.make_token(db.session.get(User, user.id)), NEW)
        live = db.session.scalars(sa.select(TokenFamily.user_id).where(TokenFamily.revoked_at.is_(None))).all()
    assert live == [sam.id]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_reset_link_appears_in_no_log(mail_app, smtp_server, log_format):
    stream = io.StringIO()
    handler = build_handler(log_format, stream=stream)
    logging.getLogger().addHandler(handler)
    try:
        _register(mail_app)
        client = mail_app.test_client()
        _ask(client, "alex@example.com")
        path = link_in(text_and_html(smtp_server.wait_for(1)[0])[0])
        client.get(path)
        client.post(path, data={"new_password": NEW, "confirm_password": NEW})
    finally:
        logging.getLogger().removeHandler(handler)
    token = path.rsplit("/", 1)[1]
    logged = stream.getvalue()
    assert "reset-password/[REDACTED]" in logged and "password_reset_requested" in logged
    assert token not in logged and token.split(".")[0] not in logged


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_the_forgot_form_refuses_or_accepts_any_input_without_an_error(mail_app, smtp_server, value):
    """With mail on (the HTML fuzz runs without it, where the form is 404): any email field value
    gets the same confirmation or a 422 with a message, never a 5xx."""
    response = _ask(mail_app.test_client(), value)
    assert response.status_code in (200, 422), response.status_code
    if response.status_code == 422:
        assert 'class="invalid-feedback' in response.text or "alert" in response.text
    assert smtp_server.messages == []


def test_the_forgot_page_has_the_security_headers(mail_app):
    response = mail_app.test_client().get("/forgot-password")
    assert_security_headers(response, "GET /forgot-password with mail")
