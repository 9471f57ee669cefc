"""Accessibility tests run in the browser suites' server and Chromium (tests/e2e/conftest.py).

The fixtures are imported, not copied: one way to start the app and the browser for every suite.
Chromium's absence is handled by tests/requirements.py: a one-line skip locally, a failure in CI.
"""

from tests.e2e.conftest import browser, live_server, log_in

__all__ = ["browser", "live_server", "log_in"]
