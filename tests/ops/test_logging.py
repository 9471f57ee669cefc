"""Logging: request ids, one access line per request, events with their fields, and redaction."""

from __future__ import annotations

import json
import logging
import re

import pytest

from expense_app.ops.logging import redact_text
from tests.conftest import PASSWORD, bearer, csrf_token_from

VALID_ID = "client-supplied-id-0123456789abcdef"


def test_valid_incoming_request_id_is_echoed_and_on_every_line(build_app, log_output, user):
    app = build_app()
    log_output.attach()
    response = app.test_client().post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": PASSWORD},
        headers={"X-Request-ID": VALID_ID},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == VALID_ID
    lines = [line for line in log_output().splitlines() if line.strip()]
    assert any("login succeeded" in line for line in lines)
    assert any("expense_app.access" in line for line in lines)
    assert lines and all(f"[{VALID_ID}]" in line for line in lines), lines


@pytest.mark.parametrize(
    "incoming", ["short", "x" * 201, "has spaces in it, twenty+ chars", "<script>alert(1)</script>-padding"]
)
def test_invalid_request_id_is_replaced(client, incoming):
    response = client.get("/health", headers={"X-Request-ID": incoming})
    generated = response.headers["X-Request-ID"]
    assert generated != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


def test_each_request_gets_its_own_id(client):
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert first != second


def test_access_line_has_method_path_status_duration_and_user(build_app, log_output, user, api_login):
    app = build_app(LOG_FORMAT="json")
    log_output.attach()
    client = app.test_client()
    tokens = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json
    client.get("/api/v1/users/me?page=2", headers=bearer(tokens["access_token"]))
    records = [json.loads(line) for line in log_output().splitlines() if line.strip()]
    access = [r for r in records if r["logger"] == "expense_app.access"]
    assert len(access) == 2  # one per request
    me = access[1]
    assert me["method"] == "GET"
    assert me["path"] == "/api/v1/users/me"  # no query string
    assert me["status"] == 200
    assert isinstance(me["duration_ms"], float)
    assert me["user_id"] == str(user.id)
    assert me["request_id"] and me["level"] == "INFO"
    assert me["request_id"] != access[0]["request_id"]


def test_access_line_names_the_session_user(build_app, log_output, user):
    app = build_app()
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    log_output.attach()
    assert client.get("/settings").status_code == 200
    access = [line for line in log_output().splitlines() if "expense_app.access" in line]
    assert len(access) == 1
    assert "path=/settings" in access[0]
    assert "status=200" in access[0]
    assert f"user_id={user.id}" in access[0]


def test_extra_fields_render_in_text_and_json(build_app, log_output):
    for log_format in ("text", "json"):
        app = build_app(LOG_FORMAT=log_format)
        log_output.attach()
        with app.test_request_context("/", headers={"X-Request-ID": VALID_ID}):
            app.preprocess_request()
            logging.getLogger("expense_app.services.expenses").info(
                "expense created", extra={"user_id": 7, "expense_id": 42}
            )
    text_line, json_line = [line for line in log_output().splitlines() if "expense created" in line]
    assert "user_id=7" in text_line and "expense_id=42" in text_line and f"[{VALID_ID}]" in text_line
    record = json.loads(json_line)
    assert record["user_id"] == 7 and record["expense_id"] == 42 and record["request_id"] == VALID_ID
    assert record["logger"] == "expense_app.services.expenses"


def test_lines_outside_a_request_have_no_request_id(build_app, log_output):
    build_app(LOG_FORMAT="json")
    log_output.attach()
    logging.getLogger("expense_app.cli").warning("purged", extra={"count": 3})
    record = json.loads(log_output().strip())
    assert record["request_id"] is None
    assert record["count"] == 3


def test_secret_looking_extra_fields_are_masked(build_app, log_output):
    for log_format in ("text", "json"):
        build_app(LOG_FORMAT=log_format)
        log_output.attach()
        logging.getLogger("expense_app").info(
            "careless", extra={"password": "hunter2hunter2", "refresh_token": "abc123def456", "user_id": 1}
        )
    output = log_output()
    assert "hunter2hunter2" not in output
    assert "abc123def456" not in output
    assert output.count("[REDACTED]") >= 4


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123",
        "GET /x?token=abcdef0123456789&page=2",
        "form password=hunter2hunter2&email=a@b.c",
        'body {"password": "hunter2hunter2", "email": "a@b.c"}',
        "Cookie: session=eyJhbGciOi.abc.def; remember_token=zzz",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl in text",
    ],
)
def test_redact_text_masks_credentials(line):
    redacted = redact_text(line)
    for secret in ("abcdefghijklmnopqrstuvwxyz0123", "abcdef0123456789", "hunter2hunter2", "zzz", "c2lnbmF0dXJl"):
        assert secret not in redacted
    assert "[REDACTED]" in redacted


def test_redaction_keeps_ordinary_text():
    line = "GET /api/v1/expenses 200 user_id=3 page=2 Missing bearer token in the Authorization header."
    assert redact_text(line) == line


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_secret_reaches_any_log_line(build_app, log_output, user, log_format):
    """Log in on both faces, refresh, log out, change the password: no credential is ever logged."""
    app = build_app(LOG_FORMAT=log_format, LOG_LEVEL="DEBUG", WTF_CSRF_ENABLED=True)
    log_output.attach()
    client = app.test_client()
    secrets: list[str] = [PASSWORD]

    tokens = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json
    secrets += [tokens["access_token"], tokens["refresh_token"]]
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 200
    secrets += [refreshed.json["access_token"], refreshed.json["refresh_token"]]
    # Replaying the dead refresh token is logged as a warning; the token must not be in it.
    assert client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=bearer(refreshed.json["access_token"])).status_code == 401
    wrong = client.post("/api/v1/auth/login", json={"email": user.email, "password": "wrong-" + PASSWORD})
    assert wrong.status_code == 401
    secrets.append("wrong-" + PASSWORD)

    page = client.get("/login")
    csrf = csrf_token_from(page.text)
    secrets.append(csrf)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": csrf}
    )
    assert response.status_code == 302
    cookies = {cookie.key: cookie.value for cookie in client._cookies.values()}
    assert "session" in cookies and "remember_token" in cookies
    secrets += list(cookies.values())
    settings = client.get("/settings")
    new_password = "brand new password 42"
    secrets.append(new_password)
    changed = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": new_password, "csrf_token": csrf_token_from(settings.text)},
    )
    assert changed.status_code == 302

    output = log_output()
    for event in ("login succeeded", "login failed", "token family revoked", "refresh token replayed"):
        assert event in output, f"event {event!r} was not logged"
    assert output.count("expense_app.access") >= 8
    for secret in secrets:
        assert secret not in output, "a credential reached the log"


# --- no logged value can forge a line ------------------------------------------------------------

FORGED = "2026-01-01 00:00:00,000 INFO expense_app.access [forged-request-id-000000] GET /admin 200"
RECORD_START = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ ")


def text_records(output: str) -> list[str]:
    """The output's lines, each asserted to be a record's first line or an indented continuation."""
    lines = output.splitlines()
    for line in lines:
        assert RECORD_START.match(line) or line.startswith("    "), f"forged or stray line: {line!r}"
    assert not any(line.startswith("2026-01-01") for line in lines), "a forged line reached the log"
    return lines


@pytest.mark.parametrize("encoded", ["%0a", "%0d", "%0d%0a", "%e2%80%a8", "%1b[2J%0a"])
def test_newline_in_the_path_cannot_forge_a_text_line(build_app, log_output, encoded):
    app = build_app()
    log_output.attach()
    response = app.test_client().get(f"/nothing-here{encoded}{FORGED.replace(' ', '%20')}")
    assert response.status_code == 404
    lines = text_records(log_output())
    access = [line for line in lines if "expense_app.access" in line and "status=404" in line]
    assert len(access) == 1
    assert 'path="/nothing-here\\' in access[0]  # the newline is written as an escape, the value quoted


def test_raw_newline_in_a_logged_header_cannot_forge_a_text_line(build_app, log_output):
    # Behind a proxy the client address comes from X-Forwarded-For; some servers pass a bare CR/LF on.
    app = build_app(PROXY_HOPS=1)
    log_output.attach()
    app.test_client().get(
        "/health",
        environ_overrides={
            "HTTP_X_FORWARDED_FOR": f"203.0.113.9\r\n{FORGED}",
            "HTTP_USER_AGENT": f"agent\n{FORGED}",
            "HTTP_X_REQUEST_ID": f"valid-looking-id-0123456789\n{FORGED}",
        },
    )
    (access,) = [line for line in text_records(log_output()) if "expense_app.access" in line]
    # ProxyFix keeps the last comma-separated part: the forged text after the milliseconds' comma.
    assert 'remote_addr="000 INFO expense_app.access [forged-request-id-000000] GET /admin 200"' in access


def test_text_field_values_are_quoted_when_they_could_pass_for_more_fields(build_app, log_output):
    build_app()
    log_output.attach()
    logging.getLogger("expense_app.test").info("event", extra={"label": 'a b status=500 "x"', "empty": "", "n": 3})
    (line,) = log_output().splitlines()
    assert line.endswith(' label="a b status=500 \\"x\\"" empty="" n=3')


@pytest.mark.parametrize("value", ["\n", "\r\n", "\x00", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u202e"])
def test_json_lines_escape_every_control_character_and_keep_the_value(build_app, log_output, value):
    app = build_app(LOG_FORMAT="json")
    log_output.attach()
    with app.test_request_context("/"):
        logging.getLogger("expense_app.test").warning("path %s", f"/a{value}b", extra={"path": f"/a{value}b"})
    (line,) = log_output().splitlines()
    assert all(char.isprintable() and char.isascii() for char in line), repr(line)
    record = json.loads(line)
    assert record["path"] == f"/a{value}b"
    assert record["message"] == f"path /a{value}b"


def test_newline_in_an_exception_stays_inside_its_indented_traceback(build_app, log_output):
    build_app()
    log_output.attach()
    try:
        raise ValueError(f"bad value\n{FORGED}")
    except ValueError:
        logging.getLogger("expense_app.test").exception("failed on %s", f"x\r{FORGED}")
    first, *rest = text_records(log_output())
    assert first.endswith("failed on x\\r" + FORGED)
    assert rest and all(line.startswith("    ") for line in rest)
    assert any(line == "    " + FORGED for line in rest)  # still readable, but never a record of its own


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\tb", "a\\r\\tb"),
        ("\x00\x1b\x7f", "\\x00\\x1b\\x7f"),
        ("\u2028\u202e", "\\u2028\\u202e"),
    ],
)
def test_escape_control(raw, escaped):
    from expense_app.ops.logging import escape_control

    assert escape_control(raw) == escaped
    assert escape_control("plain café /path?x=1") == "plain café /path?x=1"
