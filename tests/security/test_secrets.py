"""Secrets never reach the logs: after a run of logins, refreshes and failures, no password, token,
cookie or CSRF value appears in what the app's log handler wrote (both formats, at DEBUG).

The run covers both faces and the unhappy paths, where careless logging usually hides: wrong
passwords, a replayed refresh token, a forged bearer token, a password change.
"""

from __future__ import annotations

import io
import logging

import pytest

from expense_app.ops.logging import HANDLER_NAME
from tests.conftest import PASSWORD, bearer, csrf_token_from

WRONG_PASSWORD = "wrong-password-Zq9x"
NEW_PASSWORD = "fresh-passphrase-Kv3m"
FORGED_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forgedforgedforgedforgedforged"


def _capture_logs() -> io.StringIO:
    stream = io.StringIO()
    for handler in logging.getLogger().handlers:
        if handler.get_name() == HANDLER_NAME:
            handler.setStream(stream)
            return stream
    raise AssertionError("the app installed no log handler")


def _session_run(app) -> list[str]:
    """Log in and out on both faces in every way; return every secret value that was used."""
    client = app.test_client()
    secrets = [PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, FORGED_TOKEN]

    # Web: register, log out, fail, log in with "remember me".
    token = csrf_token_from(client.get("/register").text)
    secrets.append(token)
    email = "secret@example.com"
    client.post("/register", data={"email": email, "password": PASSWORD, "full_name": "S", "csrf_token": token})
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/settings").text)})
    token = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"email": email, "password": WRONG_PASSWORD, "csrf_token": token})
    response = client.post("/login", data={"email": email, "password": PASSWORD, "remember": "y", "csrf_token": token})
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie after logging in"
        secrets.append(cookie.value)
    client.get("/settings")

    # API: fail, log in, refresh three times, replay a dead refresh token, use a forged token.
    api = app.test_client()
    api.post("/api/v1/auth/login", json={"email": email, "password": WRONG_PASSWORD})
    pair = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json
    first_refresh = pair["refresh_token"]
    secrets += [pair["access_token"], pair["refresh_token"]]
    for _ in range(3):
        pair = api.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"])).json
        secrets += [pair["access_token"], pair["refresh_token"]]
        assert api.get("/api/v1/users/me", headers=bearer(pair["access_token"])).status_code == 200
    assert api.post("/api/v1/auth/refresh", headers=bearer(first_refresh)).status_code == 401
    api.get("/api/v1/users/me", headers=bearer(FORGED_TOKEN))
    api.get("/api/v1/expenses", query_string={"access_token": pair["access_token"]})

    # A password change through the API, and a login with the new password.
    pair = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json
    secrets += [pair["access_token"], pair["refresh_token"]]
    api.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(pair["access_token"]),
    )
    pair = api.post("/api/v1/auth/login", json={"email": email, "password": NEW_PASSWORD}).json
    secrets += [pair["access_token"], pair["refresh_token"]]
    return secrets


def _fragments(secret: str) -> list[str]:
    """The secret, and each long part of it (a JWT's signature alone is enough to matter)."""
    parts = [secret] + [part for part in secret.replace(".", " ").split() if len(part) >= 16]
    return list(dict.fromkeys(parts))


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_logs_contain_no_secret(app_factory, log_format):
    app = app_factory(WTF_CSRF_ENABLED=True, LOG_FORMAT=log_format, LOG_LEVEL="DEBUG")
    logs = _capture_logs()

    secrets = _session_run(app)

    output = logs.getvalue()
    # The control: the run was logged (access lines of the requests, the service events).
    assert "/api/v1/auth/refresh" in output
    assert "login failed" in output
    assert "password changed" in output
    leaked = [secret[:12] + "..." for secret in secrets for part in _fragments(secret) if part in output]
    assert not leaked, f"secrets in the {log_format} logs: {sorted(set(leaked))}"
