#!/usr/bin/env python3
"""Smoke-test a deployed Expense Manager end to end; exit 1 on any failure.

    python scripts/smoke_test.py https://expenses.example.com
    python scripts/smoke_test.py http://127.0.0.1:8000 --assume-https   # gunicorn without its proxy

Checks health and readiness, the security headers, the docs, then as a new random user: register,
log in, read the profile, create / list / delete an expense, analytics, refresh, log out (the old
tokens must then be refused), and finally deletes that user again. Standard library only, so it
runs anywhere Python 3.11 does.

`--assume-https` is for an instance reached over plain HTTP without the TLS-terminating proxy
(CI, a VM before nginx): every request carries `X-Forwarded-Proto: https`, as the proxy would add,
and the script also checks that a request without it is redirected to HTTPS.

The run uses 5 of the credential attempts that one client address gets per minute (register, log
in, refresh, a refused replay of the old refresh token, log in again to delete the user): with
the default RATELIMIT_AUTH=5/minute, wait a minute before running it again from the same address.
Behind a proxy the instance trusts (PROXY_HOPS=1, as CI runs its two instances), `--client-address`
sends that address as `X-Forwarded-For`, so checks of several instances sharing one Redis each get
their own budget.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date

CSP_MUST_HAVE = ("script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Smoke:
    base: str
    assume_https: bool
    timeout: float
    metrics_token: str | None = None
    client_address: str | None = None
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def request(self, method, path, body=None, token=None, proxy_headers=True) -> Response:
        headers = {"Accept": "application/json", "User-Agent": "expense-smoke-test/1"}
        if self.assume_https and proxy_headers:
            headers["X-Forwarded-Proto"] = "https"
        if self.client_address and proxy_headers:
            headers["X-Forwarded-For"] = self.client_address
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        # main() accepts only http(s) base URLs.
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)  # noqa: S310
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=self.timeout) as resp:
                return Response(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}" + (f"  ({detail})" if detail and not ok else ""))
        if not ok:
            self.failures.append(f"{what} {detail}".strip())
        return ok

    def warn(self, what: str) -> None:
        print(f"  WARN {what}")
        self.warnings.append(what)

    def expect(self, response: Response, status: int, what: str) -> bool:
        detail = f"got {response.status}: {response.body[:200].decode(errors='replace')}"
        return self.check(response.status == status, f"{what} -> {status}", detail)


def run(smoke: Smoke) -> None:
    print(f"Smoke test of {smoke.base}")

    print("Health")
    health = smoke.request("GET", "/health")
    if smoke.expect(health, 200, "GET /health"):
        smoke.check(health.json().get("status") == "healthy", "liveness says healthy")
    ready = smoke.request("GET", "/health/db")
    if smoke.expect(ready, 200, "GET /health/db"):
        smoke.check(
            ready.json() == {"status": "healthy", "database": "connected", "migrations": "current"},
            "database connected, migrations current",
            str(ready.json()),
        )

    print("Security headers")
    page = smoke.request("GET", "/login")
    smoke.expect(page, 200, "GET /login")
    csp = page.headers.get("content-security-policy", "")
    for directive in CSP_MUST_HAVE:
        smoke.check(directive in csp, f"CSP has {directive}", csp)
    smoke.check(page.headers.get("x-content-type-options") == "nosniff", "X-Content-Type-Options: nosniff")
    smoke.check(page.headers.get("x-frame-options") == "DENY", "X-Frame-Options: DENY")
    smoke.check(
        page.headers.get("referrer-policy") == "strict-origin-when-cross-origin",
        "Referrer-Policy: strict-origin-when-cross-origin",
    )
    smoke.check(bool(page.headers.get("x-request-id")), "X-Request-ID echoed")
    secure = smoke.base.startswith("https://") or smoke.assume_https
    if secure:
        smoke.check(
            page.headers.get("strict-transport-security", "").startswith("max-age="), "Strict-Transport-Security"
        )
        cookie = page.headers.get("set-cookie", "")
        if cookie:
            smoke.check("secure" in cookie.lower() and "httponly" in cookie.lower(), "cookies Secure and HttpOnly")
    if smoke.assume_https and smoke.base.startswith("http://"):
        plain = smoke.request("GET", "/login", proxy_headers=False)
        smoke.check(
            plain.status in (301, 302, 308) and plain.headers.get("location", "").startswith("https://"),
            "plain HTTP is redirected to HTTPS",
            f"got {plain.status} {plain.headers.get('location')}",
        )
        probe = smoke.request("GET", "/health", proxy_headers=False)
        smoke.expect(probe, 200, "GET /health over plain HTTP (probes are not redirected)")

    print("API documentation")
    smoke.expect(smoke.request("GET", "/api/docs"), 200, "GET /api/docs")
    smoke.expect(smoke.request("GET", "/api/redoc"), 200, "GET /api/redoc")
    spec = smoke.request("GET", "/api/openapi.json")
    if smoke.expect(spec, 200, "GET /api/openapi.json"):
        smoke.check(bool(spec.json().get("paths")), "spec lists paths")

    print("Account and tokens")
    email = f"smoke-{secrets.token_hex(6)}@example.com"
    password = secrets.token_urlsafe(18)
    registered = smoke.request("POST", "/api/v1/auth/register", {"email": email, "password": password})
    if not smoke.expect(registered, 201, "register a new user"):
        return
    login = smoke.request("POST", "/api/v1/auth/login", {"email": email, "password": password})
    if not smoke.expect(login, 200, "log in"):
        return
    access, refresh = login.json()["access_token"], login.json()["refresh_token"]
    me = smoke.request("GET", "/api/v1/users/me", token=access)
    if smoke.expect(me, 200, "GET /api/v1/users/me"):
        smoke.check(me.json().get("email") == email, "profile is the new user")
    smoke.expect(smoke.request("GET", "/api/v1/users/me"), 401, "no token is refused")

    print("Expenses")
    categories = smoke.request("GET", "/api/v1/categories", token=access)
    category_id = None
    if smoke.expect(categories, 200, "GET /api/v1/categories"):
        body = categories.json()
        items = body.get("items", []) if isinstance(body, dict) else body
        smoke.check(bool(items), "the new user has starter categories")
        category_id = items[0]["id"] if items else None
    if category_id is not None:
        payload = {
            "amount": "12.50",
            "date": date.today().isoformat(),
            "category_id": category_id,
            "description": "smoke test",
        }
        created = smoke.request("POST", "/api/v1/expenses", payload, token=access)
        if smoke.expect(created, 201, "create an expense"):
            expense = created.json()
            smoke.check(expense.get("amount") == "12.50", "amount kept exactly as a decimal string", str(expense))
            listed = smoke.request("GET", "/api/v1/expenses", token=access)
            if smoke.expect(listed, 200, "list expenses"):
                ids = [item["id"] for item in listed.json().get("items", [])]
                smoke.check(expense["id"] in ids, "the new expense is listed")
            path = f"/api/v1/expenses/{expense['id']}"
            smoke.expect(smoke.request("DELETE", path, token=access), 204, "delete the expense")
            smoke.expect(smoke.request("GET", path, token=access), 404, "the deleted expense is gone")

    print("Analytics")
    summary = smoke.request("GET", "/api/v1/analytics/summary", token=access)
    if summary.status == 404:
        smoke.warn("GET /api/v1/analytics/summary is 404: the analytics API is not deployed yet")
    elif smoke.expect(summary, 200, "GET /api/v1/analytics/summary"):
        smoke.check(isinstance(summary.json(), dict), "analytics summary is a JSON object")

    print("Refresh and log out")
    refreshed = smoke.request("POST", "/api/v1/auth/refresh", token=refresh)
    if smoke.expect(refreshed, 200, "refresh the tokens"):
        new_access = refreshed.json()["access_token"]
        smoke.expect(smoke.request("GET", "/api/v1/users/me", token=new_access), 200, "new access token works")
        smoke.expect(smoke.request("POST", "/api/v1/auth/logout", token=new_access), 204, "log out")
        smoke.expect(smoke.request("GET", "/api/v1/users/me", token=new_access), 401, "logged-out token is refused")
        smoke.expect(smoke.request("POST", "/api/v1/auth/refresh", token=refresh), 401, "old refresh token is dead")

    print("Clean up")
    again = smoke.request("POST", "/api/v1/auth/login", {"email": email, "password": password})
    if smoke.expect(again, 200, "log in again"):
        token = again.json()["access_token"]
        smoke.expect(smoke.request("DELETE", "/api/v1/users/me", token=token), 204, "delete the smoke-test user")
        smoke.expect(smoke.request("GET", "/api/v1/users/me", token=token), 401, "its token no longer works")

    print("Metrics")
    # Production serves /metrics only with METRICS_TOKEN (or not at all, METRICS_ENABLED=false):
    # an answer without the token is a failure, never a warning.
    anonymous = smoke.request("GET", "/metrics", proxy_headers=False)
    smoke.check(anonymous.status in (401, 404), "/metrics refuses a request without the token", str(anonymous.status))
    if anonymous.status == 404:
        smoke.warn("/metrics is off (METRICS_ENABLED=false)")
    elif not smoke.metrics_token:
        smoke.warn("/metrics needs METRICS_TOKEN (pass --metrics-token or set METRICS_TOKEN to check it)")
    else:
        metrics = smoke.request("GET", "/metrics", token=smoke.metrics_token, proxy_headers=False)
        if smoke.expect(metrics, 200, "GET /metrics with the token"):
            smoke.check(b"flask_http_request_duration_seconds" in metrics.body, "request metrics exported")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="base URL of the instance, e.g. https://expenses.example.com")
    parser.add_argument("--assume-https", action="store_true", help="send X-Forwarded-Proto: https (no proxy in front)")
    parser.add_argument(
        "--metrics-token",
        default=os.environ.get("METRICS_TOKEN") or None,
        help="the instance's METRICS_TOKEN (default: the METRICS_TOKEN variable)",
    )
    parser.add_argument(
        "--client-address",
        help="send X-Forwarded-For: ADDRESS (an instance behind a trusted proxy counts rate limits by it)",
    )
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per request (default 15)")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.error("URL must start with http:// or https://")
    smoke = Smoke(args.url.rstrip("/"), args.assume_https, args.timeout, args.metrics_token, args.client_address)
    try:
        run(smoke)
    except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
        smoke.check(False, "the instance answered", f"{type(error).__name__}: {error}")
    print()
    for warning in smoke.warnings:
        print(f"WARNING: {warning}")
    if smoke.failures:
        print(f"SMOKE TEST FAILED: {len(smoke.failures)} check(s) failed")
        for failure in smoke.failures:
            print(f"  - {failure}")
        return 1
    print("Smoke test passed" + (f" with {len(smoke.warnings)} warning(s)" if smoke.warnings else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
