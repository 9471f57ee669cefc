#!/usr/bin/env python3
"""Prove that two app instances behind one load balancer behave as one app; exit 1 on any failure.

    python scripts/smoke_two_instances.py http://127.0.0.1:8001 http://127.0.0.1:8002 --assume-https

Run it after `scripts/smoke_test.py` has checked each instance on its own. It checks what a load
balancer spreading requests over the instances relies on:

- a user who registers and signs in on instance A is served on B with the same JWT, and a log-out
  on B revokes the token on A (the revocation list is in the database, not in a process);
- a browser signed in on A's login page is signed in on B (the session cookie is signed with the
  shared SECRET_KEY; no sticky sessions needed);
- the sign-in rate limit is one budget across both (Redis, RATELIMIT_STORAGE_URI): failed log-ins
  alternating between A and B are refused with 429 after RATELIMIT_AUTH attempts in total.

The instances must run with PROXY_HOPS=1 (they sit behind a proxy): each phase sends its own
`X-Forwarded-For` client address from TEST-NET-3, so its sign-in budget is its own and the run does
not eat the budget of `smoke_test.py` (which uses 127.0.0.1 or its `--client-address`). Standard
library only.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key.lower() == name.lower()), "")

    def cookies(self) -> dict[str, str]:
        jar = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                jar[name.strip()] = rest.split(";", 1)[0]
        return jar

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Client:
    """A client of several instances: one client address, one cookie jar (a browser, a script)."""

    address: str
    assume_https: bool
    timeout: float
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, base: str, method: str, path: str, *, json_body=None, form=None, token=None) -> Answer:
        headers = {"User-Agent": "expense-smoke-two-instances/1", "X-Forwarded-For": self.address}
        if self.assume_https:
            headers["X-Forwarded-Proto"] = "https"
            # Flask-WTF's strict HTTPS check wants a same-origin Referer on form posts.
            headers["Referer"] = "https://" + urllib.parse.urlsplit(base).netloc + path
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        data = None
        if json_body is not None:
            data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # main() accepts only http(s) base URLs.
        req = urllib.request.Request(base + path, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.build_opener(NoRedirect).open(req, timeout=self.timeout) as resp:
                answer = Answer(resp.status, list(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, list(error.headers.items()), error.read())
        self.cookies.update(answer.cookies())
        return answer


@dataclass
class Checks:
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}" + (f"  ({detail})" if detail and not ok else ""))
        if not ok:
            self.failures.append(f"{what} {detail}".strip())
        return ok

    def status(self, answer: Answer, status: int, what: str) -> bool:
        detail = f"got {answer.status}: {answer.body[:200].decode(errors='replace')}"
        return self.check(answer.status == status, f"{what} -> {status}", detail)


def tokens_across(checks: Checks, a: str, b: str, client: Client) -> tuple[str, str]:
    print(f"JWT: sign up and sign in on A ({a}), use the token on B ({b})")
    email = f"smoke-two-{secrets.token_hex(6)}@example.com"
    password = secrets.token_urlsafe(18)
    if not checks.status(
        client.request(a, "POST", "/api/v1/auth/register", json_body={"email": email, "password": password}),
        201,
        "register on A",
    ):
        return email, password
    login = client.request(a, "POST", "/api/v1/auth/login", json_body={"email": email, "password": password})
    if not checks.status(login, 200, "log in on A"):
        return email, password
    access = login.json()["access_token"]
    me = client.request(b, "GET", "/api/v1/users/me", token=access)
    if checks.status(me, 200, "GET /api/v1/users/me on B with A's token"):
        checks.check(me.json().get("email") == email, "B sees the user A signed in")
    checks.status(client.request(b, "POST", "/api/v1/auth/logout", token=access), 204, "log out on B")
    checks.status(client.request(a, "GET", "/api/v1/users/me", token=access), 401, "A refuses the token B revoked")
    return email, password


def session_across(checks: Checks, a: str, b: str, browser: Client, email: str, password: str) -> None:
    print("Browser session: sign in on A's login page, browse B")
    page = browser.request(a, "GET", "/login")
    match = CSRF_FIELD.search(page.body.decode(errors="replace"))
    if not checks.check(page.status == 200 and match is not None, "A's login page has a CSRF token"):
        return
    signed_in = browser.request(
        a, "POST", "/login", form={"email": email, "password": password, "csrf_token": match.group(1)}
    )
    checks.check(
        signed_in.status == 302 and "/login" not in signed_in.header("Location"),
        "signed in on A",
        f"{signed_in.status} {signed_in.header('Location')}",
    )
    expenses = browser.request(b, "GET", "/expenses")
    checks.status(expenses, 200, "GET /expenses on B with A's session cookie")
    checks.check(b'action="/logout"' in expenses.body, "B's page is a signed-in page (it offers Log out)")
    # The cookie, not B's state, signed the browser in: without it B sends the browser to its login page.
    anonymous = Client(browser.address, browser.assume_https, browser.timeout).request(b, "GET", "/expenses")
    checks.check(
        anonymous.status == 302 and "/login" in anonymous.header("Location"),
        "without the cookie B redirects to its login page",
        f"{anonymous.status} {anonymous.header('Location')}",
    )


def shared_rate_limit(checks: Checks, a: str, b: str, client: Client, limit: int) -> None:
    print(f"Sign-in rate limit ({limit} per minute per address) shared by A and B")
    bad = {"email": f"nobody-{secrets.token_hex(4)}@example.com", "password": "wrong password, on purpose"}
    statuses = []
    for attempt in range(limit):
        base = (a, b)[attempt % 2]
        statuses.append(client.request(base, "POST", "/api/v1/auth/login", json_body=bad).status)
    checks.check(
        all(status == 401 for status in statuses), f"{limit} failed log-ins alternating A/B -> 401", str(statuses)
    )
    # Each instance alone has seen at most ceil(limit / 2) attempts: only a shared count refuses now.
    for name, base in (("B", b), ("A", a)):
        refused = client.request(base, "POST", "/api/v1/auth/login", json_body=bad)
        checks.status(refused, 429, f"attempt {limit + 1} on {name} is over the shared budget")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instance_a", help="base URL of instance A, e.g. http://127.0.0.1:8001")
    parser.add_argument("instance_b", help="base URL of instance B")
    parser.add_argument("--assume-https", action="store_true", help="send X-Forwarded-Proto: https (no proxy in front)")
    parser.add_argument(
        "--auth-limit", type=int, default=5, help="the instances' RATELIMIT_AUTH per minute (default 5)"
    )
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per request (default 15)")
    args = parser.parse_args(argv)
    for url in (args.instance_a, args.instance_b):
        if not url.startswith(("http://", "https://")):
            parser.error("URLs must start with http:// or https://")
    a, b = args.instance_a.rstrip("/"), args.instance_b.rstrip("/")
    checks = Checks()
    # One client address per phase (TEST-NET-3), a random last octet so that a rerun within the
    # minute starts with a fresh budget.
    base_octet = secrets.randbelow(80) * 3 + 1
    api_client, browser, guesser = (
        Client(f"203.0.113.{base_octet + offset}", args.assume_https, args.timeout) for offset in range(3)
    )
    try:
        email, password = tokens_across(checks, a, b, api_client)
        session_across(checks, a, b, browser, email, password)
        shared_rate_limit(checks, a, b, guesser, args.auth_limit)
        # Leave nothing behind: delete the user on B.
        login = api_client.request(b, "POST", "/api/v1/auth/login", json_body={"email": email, "password": password})
        if checks.status(login, 200, "log in on B"):
            token = login.json()["access_token"]
            checks.status(api_client.request(b, "DELETE", "/api/v1/users/me", token=token), 204, "delete the user on B")
    except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
        checks.check(False, "the instances answered", f"{type(error).__name__}: {error}")
    print()
    if checks.failures:
        print(f"TWO-INSTANCE SMOKE TEST FAILED: {len(checks.failures)} check(s) failed")
        for failure in checks.failures:
            print(f"  - {failure}")
        return 1
    print("Two-instance smoke test passed: A and B behave as one app")
    return 0


if __name__ == "__main__":
    sys.exit(main())
