"""Two-factor sign-in on the HTML face: the login's second step, and the settings page (QR code,
confirm, recovery codes shown once, regenerate, turn off)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import User
from tests.conftest import PASSWORD
from tests.factories import enable_two_factor, totp_code

PAGE = "/settings/two-factor"


@pytest.fixture
def enrolled(app, user):
    with app.app_context():
        secret, codes = enable_two_factor(user)
    return user, secret, codes


def password_step(client, user, password=PASSWORD, remember=False, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": user.email, "password": password, "remember": "y" if remember else ""})


def signed_in(client) -> bool:
    return client.get("/settings").status_code == 200


def test_with_two_factor_the_password_alone_does_not_sign_in(client, enrolled):
    user, _, _ = enrolled
    response = password_step(client, user)
    assert response.status_code == 302 and response.location.startswith("/login/two-factor")
    assert not signed_in(client)
    with client.session_transaction() as session:
        # Only the challenge token waits in the session: no user id.
        assert set(session) & {"_user_id", "user_id"} == set() and len(session["mfa_challenge"]) >= 40


def test_the_second_step_page_asks_for_a_one_time_code(client, enrolled):
    user, _, _ = enrolled
    password_step(client, user)
    page = client.get("/login/two-factor")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.text and 'inputmode="numeric"' in page.text
    assert "recovery code" in page.text and 'href="/login"' in page.text


def test_the_code_signs_in_and_keeps_next_and_remember(client, enrolled):
    user, secret, _ = enrolled
    response = password_step(client, user, remember=True, next_url="/expenses")
    response = client.post(response.location, data={"code": totp_code(secret, steps=1)})
    assert response.status_code == 302 and response.location == "/expenses"
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in value for value in response.headers.getlist("Set-Cookie")
    )
    assert signed_in(client)


def test_an_outside_next_is_not_followed(client, enrolled):
    user, _, codes = enrolled
    response = password_step(client, user, next_url="https://evil.example/")
    response = client.post(response.location, data={"recovery_code": codes[0]})
    assert response.status_code == 302 and response.location == "/"


def test_a_wrong_code_is_refused_on_the_form_and_the_same_code_works_only_once(client, enrolled):
    user, secret, _ = enrolled
    password_step(client, user)
    wrong = client.post("/login/two-factor", data={"code": "000000"})
    assert wrong.status_code == 401 and "not correct" in wrong.text and not signed_in(client)
    malformed = client.post("/login/two-factor", data={"code": "12"})
    assert malformed.status_code == 422 and "6-digit" in malformed.text
    code = totp_code(secret, steps=1)
    assert client.post("/login/two-factor", data={"code": code}).status_code == 302
    client.post("/logout")
    password_step(client, user)
    replay = client.post("/login/two-factor", data={"code": code})
    assert replay.status_code == 401 and "already used" in replay.text and not signed_in(client)


def test_a_recovery_code_signs_in_once_and_warns_when_few_are_left(app, client, enrolled):
    user, _, codes = enrolled
    for code in codes[:7]:
        password_step(client, user)
        response = client.post("/login/two-factor", data={"recovery_code": code}, follow_redirects=True)
        assert response.status_code == 200
        client.post("/logout")
    assert "3 recovery code(s) left" in response.text
    password_step(client, user)
    used = client.post("/login/two-factor", data={"recovery_code": codes[0]})
    assert used.status_code == 401 and not signed_in(client)


def test_the_second_step_without_a_challenge_goes_back_to_login(client):
    response = client.get("/login/two-factor")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert client.post("/login/two-factor", data={"code": "123456"}).status_code == 302


def test_five_wrong_codes_end_the_second_step(client, enrolled):
    user, secret, _ = enrolled
    password_step(client, user)
    for _ in range(5):
        client.post("/login/two-factor", data={"code": "000000"})
    response = client.post("/login/two-factor", data={"code": totp_code(secret, steps=1)})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert not signed_in(client)


def test_a_locked_account_is_told_so_with_429(app_factory, make_user):
    app = app_factory(ACCOUNT_LOCKOUT="2/15 minutes")
    client = app.test_client()
    user = make_user(email="lock@example.com")
    with app.app_context():
        secret, _ = enable_two_factor(user)
    password_step(client, user)
    for _ in range(2):
        assert client.post("/login/two-factor", data={"code": "000000"}).status_code == 401
    locked = client.post("/login/two-factor", data={"code": totp_code(secret, steps=1)})
    assert locked.status_code == 429 and "Too many failed sign-in attempts" in locked.text
    assert int(locked.headers["Retry-After"]) > 0 and not signed_in(client)


# --- settings ------------------------------------------------------------------------------------


def test_enrol_with_a_qr_code_then_see_the_codes_once(app, client, user, login):
    login(user)
    assert "Manage two-factor sign-in" in client.get("/settings").text
    off = client.get(PAGE)
    assert off.status_code == 200 and "is <strong>off</strong>" in off.text
    assert client.post(f"{PAGE}/start").status_code == 302
    page = client.get(PAGE)
    assert page.status_code == 200 and "<svg" in page.text and "<path" in page.text
    assert "style=" not in page.text.split("<svg", 1)[1].split("</svg>", 1)[0]
    grouped = re.search(r'<code id="totp-secret" class="fs-5">([A-Z2-7 ]+)</code>', page.text).group(1)
    secret = grouped.replace(" ", "")
    wrong = client.post(f"{PAGE}/confirm", data={"code": "000000"})
    assert wrong.status_code == 422 and "not correct" in wrong.text
    with app.app_context():
        assert not db.session.get(User, user.id).mfa_enabled
    shown = client.post(f"{PAGE}/confirm", data={"code": totp_code(secret)})
    assert shown.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>", shown.text)
    assert len(codes) == 10 and "Download as .txt" in shown.text
    on = client.get(PAGE)
    assert "is <strong>on</strong>" in on.text and not any(code in on.text for code in codes)
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user.id}).scalar()
    assert secret not in raw


def test_the_page_passes_the_content_security_policy(client, user, login):
    login(user)
    client.post(f"{PAGE}/start")
    page = client.get(PAGE)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "<script>" not in page.text


def test_regenerate_and_disable_need_the_password_and_a_code(app, client, enrolled, login):
    user, secret, codes = enrolled
    login(user)
    bad = client.post(f"{PAGE}/recovery-codes", data={"password": "wrong password", "code": totp_code(secret, steps=1)})
    assert bad.status_code == 422 and "password is not correct" in bad.text
    new = client.post(f"{PAGE}/recovery-codes", data={"password": PASSWORD, "code": totp_code(secret, steps=1)})
    assert new.status_code == 200
    fresh = re.findall(r"<li>([a-z2-7-]{19})</li>", new.text)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    no_factor = client.post(f"{PAGE}/disable", data={"password": PASSWORD})
    assert no_factor.status_code == 422
    wrong = client.post(f"{PAGE}/disable", data={"password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 422
    with app.app_context():
        assert db.session.get(User, user.id).mfa_enabled
    off = client.post(f"{PAGE}/disable", data={"password": PASSWORD, "recovery_code": fresh[0]})
    assert off.status_code == 302
    with app.app_context():
        assert not db.session.get(User, user.id).mfa_enabled
    client.post("/logout")
    assert password_step(client, user).location == "/"


def test_a_user_with_only_a_recovery_code_gets_in_turns_it_off_and_enrols_again(app, client, enrolled):
    user, _, codes = enrolled
    password_step(client, user)
    assert client.post("/login/two-factor", data={"recovery_code": codes[0]}).status_code == 302
    assert client.post(f"{PAGE}/disable", data={"password": PASSWORD, "recovery_code": codes[1]}).status_code == 302
    client.post(f"{PAGE}/start")
    grouped = re.search(r'<code id="totp-secret" class="fs-5">([A-Z2-7 ]+)</code>', client.get(PAGE).text).group(1)
    assert client.post(f"{PAGE}/confirm", data={"code": totp_code(grouped.replace(" ", ""))}).status_code == 200
    with app.app_context():
        assert db.session.get(User, user.id).mfa_enabled


def test_starting_while_enabled_is_refused(client, enrolled, login):
    user, _, _ = enrolled
    login(user)
    refused = client.post(f"{PAGE}/start")
    assert refused.status_code == 409 and "turn it off first" in refused.text


def test_the_settings_pages_need_a_login(client):
    assert client.get(PAGE).status_code == 302
    assert client.post(f"{PAGE}/start").status_code == 302
