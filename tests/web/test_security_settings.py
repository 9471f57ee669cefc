"""The security page: sign-ins listed and ended (one, or all but this browser), and the log."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import SecurityEvent, TokenFamily, WebSession
from expense_app.services import security_log
from expense_app.services.sessions import describe_client
from tests.conftest import PASSWORD, bearer

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
EDGE = CHROME_WINDOWS + " Edg/126.0.2592.87"


def _browser(app, user, agent=FIREFOX, address="127.0.0.1"):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _api(app, user):
    client = app.test_client()
    return client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json


def _sessions(app, user_id):
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
            )
        )


def _families(app, user_id):
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(TokenFamily).where(TokenFamily.user_id == user_id, TokenFamily.revoked_at.is_(None))
            )
        )


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (FIREFOX, "Firefox on Linux"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (CHROME_WINDOWS, "Chrome on Windows"),
        (EDGE, "Edge on Windows"),
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32", "Python script"),
        ("Mozilla/5.0 (Linux; Android 14)", "A browser on Android"),
        ("something else", "Unknown client"),
        (None, "Unknown client"),
        ("", "Unknown client"),
    ],
)
def test_describe_client(agent, name):
    assert describe_client(agent) == name


def test_the_page_needs_a_sign_in(client):
    response = client.get("/settings/security")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_settings_page_links_to_it(app, user):
    assert 'href="/settings/security"' in _browser(app, user).get("/settings").text


def test_lists_browsers_with_this_one_marked_api_sign_ins_and_the_log(app, user):
    _browser(app, user, agent=SAFARI_IPHONE, address="203.0.113.7")
    _api(app, user)
    this = _browser(app, user, agent=FIREFOX)
    # Another kind of event, written later (the sign-in pages write failed sign-ins).
    with app.test_request_context():
        security_log.record(user.id, "sign_in_failed", face="web")
    page = this.get("/settings/security")
    assert page.status_code == 200
    text = page.text
    assert "Safari on iOS" in text and "203.0.113.7" in text
    assert re.search(r"Firefox on Linux\s*<span[^>]*>This browser</span>", text)
    assert text.count("This browser</span>") == 1
    api_section = text.split('id="api-heading"')[1].split('id="log-heading"')[0]
    assert api_section.count("/settings/security/api-sign-ins/") == 1
    log = text.split('id="log-heading"')[1]
    assert "Signed in (web)" in log and "Failed sign-in" in log
    assert log.index("Failed sign-in") < log.index("Signed in (web)")  # newest first
    assert " UTC" in log


def test_another_users_sign_ins_are_not_listed(app, user, make_user):
    sam = make_user(email="sam@example.com")
    _browser(app, sam, agent=SAFARI_IPHONE, address="198.51.100.9")
    _api(app, sam)
    text = _browser(app, user).get("/settings/security").text
    assert "198.51.100.9" not in text and "Safari" not in text
    assert "No API sign-in." in text


def test_ending_another_browser_signs_it_out(app, user):
    phone = _browser(app, user, agent=SAFARI_IPHONE)
    this = _browser(app, user)
    (phone_row,) = [row for row in _sessions(app, user.id) if row.user_agent == SAFARI_IPHONE]
    response = this.post(f"/settings/security/sessions/{phone_row.id}/end")
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings/security")
    assert "That browser was signed out." in this.get("/settings/security").text
    assert phone.get("/settings").status_code == 302
    assert this.get("/settings").status_code == 200
    with app.app_context():
        event = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "session_ended")).one()
    assert event.detail == {"what": "browser", "count": 1}
    # Ended already: 404.
    assert this.post(f"/settings/security/sessions/{phone_row.id}/end").status_code == 404


def test_ending_this_browser_signs_it_out(app, user):
    this = _browser(app, user)
    (row,) = _sessions(app, user.id)
    response = this.post(f"/settings/security/sessions/{row.id}/end")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert this.get("/settings").status_code == 302


def test_another_users_browser_session_is_404_and_stays(app, user, make_user):
    sam = make_user(email="sam@example.com")
    sams = _browser(app, sam)
    (sam_row,) = _sessions(app, sam.id)
    this = _browser(app, user)
    assert this.post(f"/settings/security/sessions/{sam_row.id}/end").status_code == 404
    assert this.post("/settings/security/sessions/999999/end").status_code == 404
    assert sams.get("/settings").status_code == 200


def test_ending_an_api_sign_in_kills_its_tokens_only(app, user):
    first, second = _api(app, user), _api(app, user)
    this = _browser(app, user)
    api = app.test_client()
    families = [row.id for row in _families(app, user.id)]
    assert len(families) == 2
    response = this.post(f"/settings/security/api-sign-ins/{families[0]}/end")
    assert response.status_code == 302
    assert "That API sign-in was ended" in this.get("/settings/security").text
    assert [row.id for row in _families(app, user.id)] == families[1:]
    alive = [api.get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code for pair in (first, second)]
    assert sorted(alive) == [200, 401]
    assert this.post(f"/settings/security/api-sign-ins/{families[0]}/end").status_code == 404


def test_another_users_api_sign_in_is_404_and_stays(app, user, make_user):
    sam = make_user(email="sam@example.com")
    pair = _api(app, sam)
    (family,) = _families(app, sam.id)
    this = _browser(app, user)
    assert this.post(f"/settings/security/api-sign-ins/{family.id}/end").status_code == 404
    for bad in ("not-a-uuid", "00000000-0000-4000-8000-000000000000", "1"):
        assert this.post(f"/settings/security/api-sign-ins/{bad}/end").status_code == 404
    assert app.test_client().get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 200


def test_sign_out_everywhere_else_keeps_only_this_browser(app, user, make_user):
    phone = _browser(app, user, agent=SAFARI_IPHONE)
    pair = _api(app, user)
    sam = make_user(email="sam@example.com")
    sams = _browser(app, sam)
    this = _browser(app, user)
    response = this.post("/settings/security/sign-out-others")
    assert response.status_code == 302
    assert "Signed out everywhere else (2 sign-ins ended)" in this.get("/settings/security").text
    assert this.get("/settings").status_code == 200
    assert phone.get("/settings").status_code == 302
    assert app.test_client().get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 401
    assert len(_sessions(app, user.id)) == 1
    assert _families(app, user.id) == []
    assert sams.get("/settings").status_code == 200
    with app.app_context():
        event = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "session_ended")).one()
    assert event.detail == {"what": "all others", "count": 2}


def test_the_buttons_need_the_csrf_token(app_factory, user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    phone = _browser_with_csrf(app, user)
    this = _browser_with_csrf(app, user)
    (row, _) = _sessions(app, user.id)
    assert this.post(f"/settings/security/sessions/{row.id}/end").status_code == 400
    assert this.post("/settings/security/sign-out-others").status_code == 400
    assert len(_sessions(app, user.id)) == 2
    # With the page's token, it works.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', this.get("/settings/security").text).group(1)
    assert this.post("/settings/security/sign-out-others", data={"csrf_token": token}).status_code == 302
    assert phone.get("/settings").status_code == 302


def _browser_with_csrf(app, user):
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def test_the_log_shows_at_most_the_last_hundred_events(app, user):
    with app.test_request_context():
        for _ in range(105):
            security_log.record(user.id, "sign_in_failed", face="api")
    text = _browser(app, user).get("/settings/security").text
    log = text.split('id="log-heading"')[1]
    assert log.count("<td>Failed sign-in (API)</td>") == 99  # and this browser's own sign-in on top
    assert "Signed in (web)" in log
