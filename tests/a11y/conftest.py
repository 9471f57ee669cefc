"""Accessibility tests run on the browser suites' server (tests/e2e/conftest.py) in Debian's Chromium.

The server fixture is imported, not copied: one way to start the app for every suite. The browser
is this folder's own and lives for one module only, because Playwright's sync API runs one
instance per thread: the browser suites start theirs after this one has closed.
Chromium's absence is handled by tests/requirements.py: a one-line skip locally, a failure in CI.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, live_server, log_in
from tests.requirements import require_chromium

__all__ = ["live_server", "log_in"]


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
