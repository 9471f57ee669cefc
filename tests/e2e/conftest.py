"""Browser tests: the real app in a real server process, driven by headless Chromium (Playwright).

Fixtures for every end-to-end test:
- `live_server`: the base URL (`http://127.0.0.1:<port>`) of `flask run` serving the app on the
  test database (the `database_url` of tests/conftest.py), one server per test run. Data seeded
  through the usual fixtures (`make_user`, services) is visible to it, and emptied after each test.
- `browser_page`: a fresh page (own context, cookies and cache) whose guards fail the test on any
  console error, uncaught page error, Content-Security-Policy violation, failed request or
  request to a host other than the app's. Call `page_guard.assert_clean()` to check mid-test;
  the fixture checks again when the test ends. On failure a screenshot and the page's HTML are
  saved under test-artifacts/e2e/ and their paths printed.
- `log_in(page, email, password)`: log in through the login page.

Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM). When it is missing the tests are skipped
with one line, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 30.0

# Reported by the page itself, so a violation is caught even when Chromium logs nothing for it.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
});
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app server exited with {process.returncode}; see {log}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own loopback server)
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"the app server did not answer {url} within {SERVER_START_TIMEOUT:.0f} s; see {log}")


@pytest.fixture(scope="session")
def live_server(database_url) -> str:
    """Serve the app from a `flask run` process on a free loopback port; yield its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "server.log"
    env = {
        **os.environ,
        "ENV": "testing",
        "TEST_DATABASE_URL": database_url,
        "PROXY_HOPS": "0",
        "FLASK_DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    flask = Path(sys.executable).with_name("flask")
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(flask), "--app", "expense_app:create_app()", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"{base_url}/login", process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, one per test run."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        message = f"Chromium not found at {CHROMIUM} (set CHROMIUM=/path/to/chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageGuard:
    """Collects what must never happen on a page: console errors, page errors, CSP violations,
    failed requests and requests to any host but the app's."""

    def __init__(self, base_url: str):
        self.allowed = urlsplit(base_url).netloc
        self.problems: list[str] = []

    def watch(self, context, page) -> None:
        context.add_init_script(CSP_LISTENER)
        context.route("**/*", self._route)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._request_failed)

    def _route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.allowed:
            self.problems.append(f"request to another host: {url}")
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _request_failed(self, request) -> None:
        failure = request.failure or ""
        # A navigation cancels the previous page's pending requests; that is not a failure.
        if failure == "net::ERR_ABORTED" and request.resource_type != "document":
            return
        if urlsplit(request.url).netloc != self.allowed:
            return  # already reported as a request to another host
        self.problems.append(f"request failed: {request.method} {request.url} ({failure})")

    def assert_clean(self) -> None:
        if self.problems:
            pytest.fail("the browser reported problems:\n  " + "\n  ".join(self.problems), pytrace=False)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _save_artifacts(page, name: str) -> list[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    screenshot, html = ARTIFACTS / f"{stem}.png", ARTIFACTS / f"{stem}.html"
    try:
        page.screenshot(path=str(screenshot), full_page=True)
        html.write_text(page.content())
    except Exception as error:  # the page may have crashed: say so, keep the original failure
        print(f"could not save the page: {error}")
        return []
    return [screenshot, html]


@pytest.fixture
def page_guard(live_server) -> PageGuard:
    return PageGuard(live_server)


@pytest.fixture
def browser_context_args(request) -> dict:
    """Options of the page's browser context (viewport, color_scheme, ...); parametrize it with
    `indirect=True` to change them, e.g. `{"color_scheme": "dark"}`."""
    return getattr(request, "param", {})


@pytest.fixture
def browser_page(request, browser, live_server, page_guard, browser_context_args):
    """A fresh page on the live server with the guards on; see the module docstring."""
    context = browser.new_context(base_url=live_server, **browser_context_args)
    page = context.new_page()
    page_guard.watch(context, page)
    try:
        yield page
        call = getattr(request.node, "report_call", None)
        failed = call is not None and call.failed
        if failed or page_guard.problems:
            for path in _save_artifacts(page, request.node.name):
                print(f"saved {path}")
        page_guard.assert_clean()
    finally:
        context.close()


def log_in(page, email: str, password: str) -> None:
    """Log in through the login page and wait for the page it leads to."""
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
