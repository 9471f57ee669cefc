"""Browser sessions live on the server (issue 16, item 5): logout ends a copied cookie too.

The audit reproduced that a `session` or `remember_token` cookie copied before `POST /logout`
kept working (the remember cookie for 30 days). Each test copies the cookies out of one browser
into a fresh one, as an attacker with a stolen cookie would.
"""

from __future__ import annotations

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import SecurityEvent, WebSession
from expense_app.services import sign_ins
from tests.conftest import PASSWORD


def _cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _browser_with(app, cookies: dict[str, str]):
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser


def _signed_in(browser) -> bool:
    return browser.get("/settings").status_code == 200


def test_a_session_cookie_copied_before_logout_gets_the_login_page_after_it(app, client, user, login):
    login(user)
    stolen = {"session": _cookies(client)["session"]}
    assert _signed_in(_browser_with(app, stolen))

    client.post("/logout")

    replay = _browser_with(app, stolen).get("/settings")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")


def test_a_remember_me_cookie_copied_before_logout_signs_nobody_in_after_it(app, client, user, login):
    login(user, remember=True)
    stolen = {"remember_token": _cookies(client)["remember_token"]}
    # The remember cookie alone (no session cookie) signs a browser in while the session lives...
    assert _signed_in(_browser_with(app, stolen))

    client.post("/logout")

    # ...and no longer once it has ended.
    replay = _browser_with(app, stolen).get("/settings")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")


def test_logout_ends_only_this_browsers_session(app, client, user, login):
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD})
    login(user)

    client.post("/logout")

    assert _signed_in(other)
    assert not _signed_in(client)


def test_each_sign_in_is_a_session_row_that_logout_ends_and_logs(app, client, user, login):
    login(user)
    with app.app_context():
        (live,) = sign_ins.active_web_sessions(user.id)
        assert live.user_agent is not None and live.client_address == "127.0.0.1"

    client.post("/logout")

    with app.app_context():
        assert sign_ins.active_web_sessions(user.id) == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebSession)) == 1
        kinds = db.session.scalars(sa.select(SecurityEvent.kind).where(SecurityEvent.user_id == user.id)).all()
        assert sorted(kinds) == ["sign_in", "sign_out"]


def test_a_session_id_of_the_old_form_signs_nobody_in(app, user):
    # Before server-side sessions the id was "<user id>.<session version>": such a cookie, from
    # before the upgrade, must not be enough (it names no session row).
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{user.id}.1"
        session["_fresh"] = True
    assert not _signed_in(browser)


def test_a_made_up_sid_for_a_real_user_signs_nobody_in(app, user, login, client):
    login(user)
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{user.id}.1.not-a-real-session-id"
        session["_fresh"] = True
    assert not _signed_in(browser)


def test_another_users_sid_does_not_sign_in_as_this_user(app, make_user, login, client):
    alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
    with app.app_context():
        bobs_sid = sign_ins.start_web_session(user=db.session.get(type(bob), bob.id))
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{alice.id}.1.{bobs_sid}"
    assert not _signed_in(browser)


def test_the_session_id_is_stored_only_as_a_digest(app, client, user, login):
    login(user)
    with app.app_context():
        (row,) = sign_ins.active_web_sessions(user.id)
    with client.session_transaction() as session:
        cookie_sid = session["_user_id"].split(".", 2)[2]
    assert row.sid_hash == sign_ins.digest(cookie_sid) and cookie_sid not in row.sid_hash
