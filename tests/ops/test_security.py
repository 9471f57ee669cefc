"""Security hardening: headers, HTTPS in production, cookies, CORS, hosts, body size, rate limits."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest

from expense_app.ops.security_headers import CONTENT_SECURITY_POLICY
from tests.conftest import PASSWORD, bearer
from tests.ops.conftest import METRICS_SECRET

HTTPS = {"base_url": "https://expenses.example.com"}


def csp_directives(header: str) -> dict[str, set[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


@pytest.mark.parametrize("path", ["/login", "/api/docs", "/api/redoc", "/api/v1/users/me", "/health"])
def test_every_response_has_the_security_headers(client, path):
    response = client.get(path)
    csp = csp_directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == {"'self'"}  # no 'unsafe-inline', no nonce, no CDN
    assert csp["object-src"] == {"'none'"}
    assert csp["frame-ancestors"] == {"'none'"}
    assert csp["base-uri"] == {"'self'"}
    assert csp["form-action"] == {"'self'"}
    assert csp["style-src"] == {"'self'", "'unsafe-inline'"}
    assert csp["img-src"] == {"'self'", "data:"}
    assert csp["worker-src"] == {"'self'", "blob:"}
    assert csp["default-src"] == {"'self'"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # testing: plain HTTP, no HSTS


def test_policy_constant_has_no_unsafe_script_sources():
    script = CONTENT_SECURITY_POLICY["script-src"]
    assert script == "'self'"
    assert "unsafe-eval" not in str(CONTENT_SECURITY_POLICY)


def test_no_https_redirect_outside_production(client):
    assert client.get("/login").status_code == 200


@pytest.fixture
def production_app(build_app):
    return build_app(production=True)


@pytest.mark.parametrize("path", ["/login", "/api/v1/users/me", "/api/docs"])
def test_production_redirects_plain_http_to_https(production_app, path):
    response = production_app.test_client().get(path, base_url="http://expenses.example.com")
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://expenses.example.com{path}"


@pytest.mark.parametrize("path", ["/health", "/health/db", "/metrics"])
def test_probes_answer_over_plain_http_in_production(production_app, path):
    # Production requires METRICS_TOKEN; Prometheus sends it (tests/ops/test_metrics_production.py).
    headers = {"Authorization": f"Bearer {METRICS_SECRET}"} if path == "/metrics" else {}
    response = production_app.test_client().get(path, base_url="http://10.0.0.5:8000", headers=headers)
    assert response.status_code == 200


def test_production_over_https_sends_hsts(production_app):
    secure = production_app.test_client().get("/login", **HTTPS)
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # Behind a proxy: the router terminates TLS and says so in X-Forwarded-Proto (ProxyFix).
    proxied = production_app.test_client().get(
        "/login", base_url="http://expenses.example.com", headers={"X-Forwarded-Proto": "https"}
    )
    assert proxied.status_code == 200
    assert "Strict-Transport-Security" in proxied.headers


def test_production_cookies_are_secure_httponly_lax(production_app, user):
    client = production_app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}, **HTTPS)
    assert response.status_code == 302
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    assert set(cookies) >= {"session", "remember_token"}
    for name in ("session", "remember_token"):
        attributes = {part.strip().lower() for part in cookies[name].split(";")}
        assert "secure" in attributes, name
        assert "httponly" in attributes, name
        assert "samesite=lax" in attributes, name


def test_proxy_fix_uses_the_forwarded_client_address(build_app):
    # PROXY_HOPS defaults to 0 (issue 16): a platform that guarantees a proxy sets 1.
    app = build_app(PROXY_HOPS=1)
    seen = {}

    @app.get("/_test/remote")
    def remote():
        from flask import request

        seen["addr"] = request.remote_addr
        seen["secure"] = request.is_secure
        return ""

    app.test_client().get("/_test/remote", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.9", "secure": True}


def test_proxy_hops_zero_ignores_forwarded_headers(build_app):
    app = build_app(PROXY_HOPS=0)
    seen = {}

    @app.get("/_test/remote")
    def remote():
        from flask import request

        seen["addr"] = request.remote_addr
        return ""

    app.test_client().get("/_test/remote", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen["addr"] == "127.0.0.1"


ORIGIN = "https://app.example.com"


def test_cors_allows_listed_origins_on_the_api_only(build_app):
    client = build_app(ALLOWED_ORIGINS=[ORIGIN]).test_client()
    preflight = client.options(
        "/api/v1/auth/login",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    actual = client.get("/api/v1/users/me", headers={"Origin": ORIGIN})
    assert actual.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-ID" in actual.headers["Access-Control-Expose-Headers"]

    other = client.get("/api/v1/users/me", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    page = client.get("/login", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in page.headers


def test_no_cors_headers_without_allowed_origins(client):
    response = client.get("/api/v1/users/me", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_allowed_hosts_refuse_other_hosts(build_app):
    client = build_app(TRUSTED_HOSTS=["expenses.example.com", ".internal"]).test_client()
    assert client.get("/health", base_url="http://expenses.example.com").status_code == 200
    assert client.get("/health", base_url="http://api.internal:8000").status_code == 200
    refused_page = client.get("/login", base_url="http://evil.example")
    assert refused_page.status_code == 400
    assert "evil.example" not in refused_page.text
    refused_api = client.get("/api/v1/users/me", base_url="http://evil.example")
    assert refused_api.status_code == 400
    assert refused_api.json["code"] == 400


def test_oversized_body_is_413_json_on_the_api(build_app):
    client = build_app(MAX_CONTENT_LENGTH=1024).test_client()
    response = client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "x" * 4096})
    assert response.status_code == 413
    assert response.json["code"] == 413
    assert response.json["status"] == "Content Too Large" or response.json["status"] == "Request Entity Too Large"
    page = client.post("/login", data={"email": "a@example.com", "password": "x" * 4096})
    assert page.status_code == 413
    assert page.content_type.startswith("text/html")


# Rate limits -------------------------------------------------------------------------------------


@pytest.fixture
def limited_app(user, build_app):
    # flask-limiter is one object for the process, switched on or off by the last app built;
    # depending on `user` (which builds the default, unlimited app) first keeps this one last.
    return build_app(RATELIMIT_ENABLED=True)


def web_login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def api_login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_sixth_attempt_is_refused_whichever_face_the_first_five_used(limited_app, user):
    client = limited_app.test_client()
    assert client.get("/login").status_code == 200  # showing the form costs nothing
    for _ in range(3):
        assert web_login(client, user.email, "wrong password!").status_code == 401
    assert api_login(client, user.email, "wrong password!").status_code == 401
    assert api_login(client, user.email).status_code == 200  # successes count too
    refused = api_login(client, user.email)
    assert refused.status_code == 429
    assert refused.json["code"] == 429
    assert refused.json["status"] == "Too Many Requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    page = web_login(client, user.email)
    assert page.status_code == 429
    assert page.content_type.startswith("text/html")
    assert "Too Many Requests" in page.text
    assert "Retry-After" in page.headers
    assert client.get("/login").status_code == 200


def test_register_and_refresh_share_the_login_budget(limited_app, user):
    client = limited_app.test_client()
    tokens = api_login(client, user.email).json
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 200
    assert (
        client.post("/api/v1/auth/register", json={"email": "n1@example.com", "password": PASSWORD}).status_code == 201
    )
    assert client.post("/register", data={"email": "n2@example.com", "password": PASSWORD}).status_code == 302
    client.post("/logout")
    assert web_login(client, user.email).status_code == 302
    again = client.post("/api/v1/auth/refresh", headers=bearer(refreshed.json["refresh_token"]))
    assert again.status_code == 429


def test_budget_is_per_client_address(limited_app, user):
    client = limited_app.test_client()
    for _ in range(5):
        api_login(client, user.email, "wrong password!")
    assert api_login(client, user.email).status_code == 429
    other = client.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert other.status_code == 200


def test_default_api_limit_spares_health_metrics_and_pages(build_app):
    client = build_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3/minute", RATELIMIT_API="4/minute").test_client()
    for _ in range(6):
        assert client.get("/health").status_code == 200
        assert client.get("/metrics").status_code == 200
        assert client.get("/login").status_code == 200
    statuses = [client.get("/api/openapi.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Retry-After" in client.get("/api/openapi.json").headers
    limited = client.get("/api/v1/users/me")
    assert limited.status_code == 401  # an API operation: the API budget, not the docs' default one
    assert limited.headers["X-RateLimit-Limit"] == "4"
    assert "Retry-After" not in limited.headers  # only on 429 and 503


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """TEST_REDIS_URL, or a throwaway redis-server on a free loopback port."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed (apt-get install redis-server) and TEST_REDIS_URL is not set"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def test_two_instances_sharing_redis_share_the_budget(build_app, user, redis_url):
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    first = build_app(**settings).test_client()
    second = build_app(**settings).test_client()
    for _ in range(3):
        assert web_login(first, user.email, "wrong password!").status_code == 401
    for _ in range(2):
        assert api_login(second, user.email, "wrong password!").status_code == 401
    assert api_login(first, user.email).status_code == 429
    assert web_login(second, user.email).status_code == 429
